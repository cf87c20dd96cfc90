/**
 * Memory over time (issue 10): sandbox sessions on a real server process exchange messages both ways over HTTP
 * (half sent through the API, half written by the phone) while the PSS of the server and of each session's
 * Chromium tree is sampled. Prints the slope of each part after warm-up and the messages handled, checks that
 * every message arrived, and exits 1 when the total grew by 2 % or more after warm-up.
 * Run: npm run soak -- --minutes 30 --sessions 5 --rate 10
 */
import { ServerProcess, linkSession, pollUntil, sessionProcesses } from '../test/e2e/harness.js';
import { WebhookReceiver } from '../test/e2e/receiver.js';
import { loggedEvents, memoryOf, SERVER_ENV } from '../bench/lib/server.js';
import { chromiumArgs } from '../src/browser/profile-processes.js';
import { growthOf, parseSoakOptions, processTypeOf, slopePerMinute, type Sample } from './soak-stats.js';

const options = parseSoakOptions(process.argv.slice(2));
const CONTACT = '15557770000';

interface Traffic {
  sent: number;
  written: number;
  failures: string[];
}

/** One session's share of the load: every 1/rate s, alternately a send through the API and a message from the phone. */
async function drive(server: ServerProcess, sessionId: string, traffic: Traffic, until: number): Promise<void> {
  const intervalMs = 1000 / options.rate;
  for (let tick = 0, next = Date.now(); Date.now() < until; tick++) {
    const answer =
      tick % 2 === 0
        ? await server.api('POST', `/api/v1/sessions/${sessionId}/send-text`, { chatId: CONTACT, content: `soak ${tick}` })
        : await server.api('POST', `/api/v1/sessions/${sessionId}/sandbox/incoming`, { from: CONTACT, body: `soak ${tick}` });
    if (answer.status === 201) tick % 2 === 0 ? traffic.sent++ : traffic.written++;
    else if (traffic.failures.length < 20) traffic.failures.push(`${sessionId} #${tick}: ${answer.status} ${JSON.stringify(answer.body)}`);
    next += intervalMs;
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    else next = Date.now(); // behind: do not burst to catch up
  }
}

/** How many message / message.sent events the session's durable log holds. */
async function logged(server: ServerProcess, sessionId: string): Promise<{ received: number; sent: number }> {
  const events = await loggedEvents(server, sessionId);
  return {
    received: events.filter((envelope) => envelope.event === 'message').length,
    sent: events.filter((envelope) => envelope.event === 'message.sent').length,
  };
}

async function sample(server: ServerProcess, ids: readonly string[], startedAt: number): Promise<Sample> {
  const browsers: Record<string, number> = {};
  const types: Record<string, number> = {};
  for (const id of ids) {
    browsers[id] = 0;
    for (const info of await sessionProcesses(server, id)) {
      const { pss } = await memoryOf([info.pid]);
      browsers[id] += pss;
      const type = processTypeOf(chromiumArgs(info.args));
      types[type] = (types[type] ?? 0) + pss;
    }
  }
  return { minute: (Date.now() - startedAt) / 60_000, server: (await memoryOf([server.pid])).pss, browsers, types };
}

async function main(): Promise<number> {
  const receiver = await WebhookReceiver.start();
  const server = await ServerProcess.start({ env: SERVER_ENV });
  try {
    const ids = Array.from({ length: options.sessions }, (_, i) => `soak-${i}`);
    for (const [i, id] of ids.entries()) await linkSession(server, id, `1555222${String(i).padStart(4, '0')}`, { webhooks: [{ url: receiver.url }] });
    const startedAt = Date.now();
    const until = startedAt + options.minutes * 60_000;
    const traffic = new Map(ids.map((id) => [id, { sent: 0, written: 0, failures: [] } as Traffic]));
    const samples: Sample[] = [];
    const load = Promise.all(ids.map((id) => drive(server, id, traffic.get(id)!, until)));
    for (let at = startedAt; at <= until; at += options.sampleSeconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
      const taken = await sample(server, ids, startedAt);
      samples.push(taken);
      const total = taken.server + Object.values(taken.browsers).reduce((sum, pss) => sum + pss, 0);
      const browsers = Object.values(taken.browsers).map((pss) => pss.toFixed(0)).join(' ');
      const types = Object.entries(taken.types).map(([type, pss]) => `${type} ${pss.toFixed(0)}`).join(', ');
      console.error(`[${taken.minute.toFixed(1)} min] total PSS ${total.toFixed(0)} MiB (server ${taken.server.toFixed(0)}, browsers ${browsers}; ${types})`);
    }
    await load;

    let lost = 0;
    for (const id of ids) {
      const { sent, written } = traffic.get(id)!;
      await pollUntil(async () => {
        const counts = await logged(server, id);
        return counts.sent >= sent && counts.received >= written;
      }, { what: `${id}: every message in its log`, timeoutMs: 60_000 }).catch(() => undefined);
      const counts = await logged(server, id);
      lost += Math.max(0, sent - counts.sent) + Math.max(0, written - counts.received);
    }

    // a session that left WORKING during the load (crash, restart, recycle) shows it in its status history
    const restarted: string[] = [];
    for (const id of ids) {
      const status = await server.api<{ status: string; history?: { to: string; at: string }[] }>('GET', `/api/v1/sessions/${id}/status`);
      const changes = (status.body.history ?? []).filter((change) => Date.parse(change.at) >= startedAt);
      if (status.body.status !== 'WORKING' || changes.length > 0) restarted.push(`${id} (${[...changes.map((change) => change.to), status.body.status].join(' → ')})`);
    }

    const parts: [string, (taken: Sample) => number][] = [
      ['server', (taken) => taken.server],
      ...ids.map((id): [string, (taken: Sample) => number] => [`browser ${id}`, (taken) => taken.browsers[id] ?? 0]),
      ['total', (taken) => taken.server + Object.values(taken.browsers).reduce((sum, pss) => sum + pss, 0)],
    ];
    const handled = [...traffic.values()].reduce((sum, t) => sum + t.sent + t.written, 0);
    console.log(`soak: ${options.sessions} sessions, ${options.rate} messages/s each, ${options.minutes} min (warm-up ${options.warmupMinutes.toFixed(1)} min), ${samples.length} samples`);
    console.log(`messages handled: ${handled} (sent ${[...traffic.values()].reduce((s, t) => s + t.sent, 0)}, written by the phone ${[...traffic.values()].reduce((s, t) => s + t.written, 0)}), lost ${lost}`);
    /** The table of one stretch of the run (after warm-up, up to `until` minutes); its total growth. */
    const report = (title: string, until: number): number => {
      const warm = samples.filter((taken) => taken.minute >= options.warmupMinutes && taken.minute <= until + 1e-9);
      console.log(title);
      console.log('| part | PSS after warm-up (MiB) | PSS at the end (MiB) | slope (MiB/min) | growth |');
      console.log('| --- | ---: | ---: | ---: | ---: |');
      for (const [name, value] of parts) {
        const series = warm.map((taken) => ({ minute: taken.minute, mib: value(taken) }));
        console.log(`| ${name} | ${series[0]?.mib.toFixed(0) ?? '-'} | ${series.at(-1)?.mib.toFixed(0) ?? '-'} | ${slopePerMinute(series).toFixed(2)} | ${(growthOf(series) * 100).toFixed(1)} % |`);
      }
      return growthOf(warm.map((taken) => ({ minute: taken.minute, mib: parts.at(-1)![1](taken) })));
    };
    const growths = [report(`after warm-up, to minute ${options.minutes}:`, options.minutes)];
    // which part of Chromium grew, all sessions together (a type missing from a sample counts as 0 there)
    const types = [...new Set(samples.flatMap((taken) => Object.keys(taken.types)))].sort();
    const warm = samples.filter((taken) => taken.minute >= options.warmupMinutes);
    console.log(`by Chromium process type, all ${options.sessions} sessions together, after warm-up:`);
    console.log('| process type | PSS after warm-up (MiB) | PSS at the end (MiB) | slope (MiB/min) | growth |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    for (const type of types) {
      const series = warm.map((taken) => ({ minute: taken.minute, mib: taken.types[type] ?? 0 }));
      console.log(`| ${type} | ${series[0]?.mib.toFixed(0) ?? '-'} | ${series.at(-1)?.mib.toFixed(0) ?? '-'} | ${slopePerMinute(series).toFixed(2)} | ${(growthOf(series) * 100).toFixed(1)} % |`);
    }
    if (options.checkpointMinutes !== undefined && options.checkpointMinutes < options.minutes) {
      growths.push(report(`after warm-up, to minute ${options.checkpointMinutes} (checkpoint):`, options.checkpointMinutes));
    }
    const failures = [...traffic.values()].flatMap((t) => t.failures);
    for (const failure of failures) console.log(`failed: ${failure}`);
    console.log(`sessions that left WORKING: ${restarted.length === 0 ? 'none' : restarted.join(', ')}`);
    const verdict = growths.every((growth) => growth < 0.02) && lost === 0 && failures.length === 0 && restarted.length === 0;
    console.log(`verdict: ${verdict ? 'PASS' : 'FAIL'} (target: total PSS after warm-up grows < 2 %, nothing lost, no failed request, no session restarted)`);
    return verdict ? 0 : 1;
  } finally {
    await server.cleanup();
    await receiver.down();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
