/**
 * Sessions that sleep (issue 9), measured on a real server process with real Chromium against the sandbox, over
 * HTTP: what a HIBERNATED session costs, how long a send to one takes (wake included), and many linked sessions
 * on this machine with scheduled wakes, at most --wake-concurrency awake at once.
 * Run: node --import tsx bench/hibernation.bench.ts (BENCH_RUNS, BENCH_SLEEPERS, BENCH_WAKE_CONCURRENCY).
 * Writes the figures as JSON to bench/last-hibernation-run.json as well.
 */
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ServerProcess, browsersOf, linkSession, processesUnder, waitForStatus } from '../test/e2e/harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SLEEPERS = Number(process.env.BENCH_SLEEPERS ?? 50);
const WAKE_CONCURRENCY = Number(process.env.BENCH_WAKE_CONCURRENCY ?? 5);
/** Scheduled wakes of the sleepers; the window measured is two of these. */
const WAKE_EVERY_MINUTES = Number(process.env.BENCH_WAKE_EVERY_MINUTES ?? 1);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVER_ENV = { RATE_LIMIT_MAX: '1000000', WAKE_CONCURRENCY: String(WAKE_CONCURRENCY), MAX_SESSIONS: String(SLEEPERS + 10) };
const SLEEP_SOON = { hibernateAfterMinutes: 0.05 };

interface Figure {
  name: string;
  value: number;
  unit: string;
  target: string;
  runs: number[];
}
const figures: Figure[] = [];
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const record = (name: string, runs: number[], unit: string, target: string) => figures.push({ name, value: median(runs), unit, target, runs });

async function pssOf(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    total += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) / 1024;
  }
  return total;
}

/** Which of these sessions have a Chromium process on their profile right now. */
async function awake(server: ServerProcess, ids: string[]): Promise<string[]> {
  const processes = await processesUnder(server.sessionsDir);
  return ids.filter((id) => processes.some((info) => info.args.some((arg) => arg.includes(server.profileDir(id)))));
}

async function sleepingCost(server: ServerProcess): Promise<void> {
  await linkSession(server, 'cost', '15552220000', SLEEP_SOON);
  const awakePss = await pssOf((await browsersOf(server.profileDir('cost'))).map((info) => info.pid));
  await waitForStatus(server, 'cost', 'HIBERNATED', 60_000);
  const browsers = await browsersOf(server.profileDir('cost'));
  record('HIBERNATED: Chromium processes per session', [browsers.length], '', '0');
  record('HIBERNATED: browser PSS per session (WORKING before)', [await pssOf(browsers.map((info) => info.pid))], 'MiB', `0 (was ${awakePss.toFixed(0)})`);
}

async function wakeToSend(server: ServerProcess): Promise<void> {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await waitForStatus(server, 'cost', 'HIBERNATED', 60_000);
    const start = performance.now();
    const sent = await server.api('POST', '/api/v1/sessions/cost/send-text', { chatId: '15557770000', content: `after sleep ${run}` });
    if (sent.status !== 201) throw new Error(`send after sleep: ${sent.status} ${JSON.stringify(sent.body)}`);
    runs.push(performance.now() - start);
  }
  record('HIBERNATED -> send-text answered (wake included)', runs, 'ms', '<= 1500');
  await server.api('DELETE', '/api/v1/sessions/cost');
}

async function manySleepers(server: ServerProcess): Promise<void> {
  const ids = Array.from({ length: SLEEPERS }, (_, i) => `sleeper-${i}`);
  const linkStart = performance.now();
  for (const [i, sessionId] of ids.entries()) {
    await linkSession(server, sessionId, `1555333${String(i).padStart(4, '0')}`, { ...SLEEP_SOON, wakeEveryMinutes: WAKE_EVERY_MINUTES });
  }
  const linkSeconds = (performance.now() - linkStart) / 1000;
  // the session linked last is awake because it was just linked, not by the schedule: the window starts once it sleeps
  await waitForStatus(server, ids.at(-1)!, 'HIBERNATED', 60_000);
  // two rounds of scheduled wakes, sampled: how many sessions have a browser at once, and what everything weighs
  const windowMs = 2 * WAKE_EVERY_MINUTES * 60_000;
  const end = performance.now() + windowMs;
  let mostAwake = 0;
  let mostPss = 0;
  let samples = 0;
  while (performance.now() < end) {
    const now = await awake(server, ids);
    mostAwake = Math.max(mostAwake, now.length);
    if (samples++ % 10 === 0) {
      const pids = [server.pid, ...(await processesUnder(server.sessionsDir)).map((info) => info.pid)];
      mostPss = Math.max(mostPss, await pssOf([...new Set(pids)]));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let scheduledWakes = 0;
  for (const sessionId of ids) {
    const { history } = (await server.api<{ history: { to: string; reason: string }[] }>('GET', `/api/v1/sessions/${sessionId}/status`)).body;
    scheduledWakes += history.filter((change) => change.to === 'STARTING' && /scheduled/.test(change.reason)).length;
  }
  record(`${SLEEPERS} linked, wakeEveryMinutes ${WAKE_EVERY_MINUTES}: most awake at once`, [mostAwake], 'sessions', `<= ${WAKE_CONCURRENCY}`);
  record(`${SLEEPERS} linked: scheduled wakes in ${windowMs / 60_000} min`, [scheduledWakes], '', '-');
  record(`${SLEEPERS} linked: most total PSS, server included`, [mostPss], 'MiB', '-');
  record(`${SLEEPERS} linked: time to link them one by one`, [linkSeconds], 's', '-');
  for (const sessionId of ids) await server.api('DELETE', `/api/v1/sessions/${sessionId}`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const server = await ServerProcess.start({ env: SERVER_ENV });
  try {
    await sleepingCost(server);
    await wakeToSend(server);
    await manySleepers(server);
  } finally {
    await server.cleanup();
  }
  console.log(
    `hibernation bench: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${RUNS} runs, ${Math.round((performance.now() - started) / 1000)} s`,
  );
  console.log('| figure | median | unit | target (issue 9) | runs |');
  console.log('| --- | ---: | --- | --- | --- |');
  for (const figure of figures) {
    const shown = (value: number) => (figure.unit === 'ms' || figure.unit === 'MiB' ? value.toFixed(0) : value.toFixed(1));
    console.log(`| ${figure.name} | ${shown(figure.value)} | ${figure.unit} | ${figure.target} | ${figure.runs.map(shown).join(', ')} |`);
  }
  await writeFile(path.join(HERE, 'last-hibernation-run.json'), JSON.stringify({ at: new Date().toISOString(), runs: RUNS, figures }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
