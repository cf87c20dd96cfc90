/**
 * Three wamux instances on one Postgres (a real server started for this file), with sandbox sessions spread over
 * them: placement, any instance answering for any session, and what happens when an instance dies (SIGKILL), hangs
 * (SIGSTOP past its lease) or leaves (SIGTERM), and when the database goes away for a while. Throughout, a sampler
 * reads the process table: at no moment may two browsers run one session.
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TestPostgres } from '../support/postgres.js';
import { ClusterDatabase } from '../../src/cluster/cluster-database.js';
import { ServerProcess, linkSession, pollUntil, processesUnder, signalPid } from './harness.js';
import { WebhookReceiver } from './receiver.js';

const API_KEY = 'cluster-test-key-1234';
/** Shorter than the default (15 s) to keep the suite quick; CLUSTER_TEST_LEASE_MS=15000 measures the default. */
const LEASE_MS = Number(process.env.CLUSTER_TEST_LEASE_MS ?? 8_000);
const NAMES = ['alpha', 'bravo', 'charlie'] as const;

interface ClusterView {
  instances: { name: string; live: boolean; sessions: string[] }[];
  sessions: { id: string; instance: string | null; loginBackup: { bytes: number; savedAt: string } | null }[];
}
interface StatusView {
  status: string;
  me?: { id: string };
  history: { from: string; to: string; reason: string }[];
}

let postgres: TestPostgres;
let receiver: WebhookReceiver;
let database: ClusterDatabase;
const servers = new Map<string, ServerProcess>();
const everStarted: [string, ServerProcess][] = [];
/**
 * The process-table sampler. A paused (SIGSTOP) instance's browsers run on while another instance takes its
 * sessions over (nothing inside a stopped process can close them); that instance is left out while paused, and
 * the test checks that it closes them once it runs again.
 */
const sampler = { timer: undefined as NodeJS.Timeout | undefined, worst: new Map<string, number>(), sampling: false, ignored: new Set<ServerProcess>() };

async function startInstance(name: string): Promise<ServerProcess> {
  if (servers.get(name)?.running()) throw new Error(`instance ${name} is running already`);
  const server = await ServerProcess.start({
    env: { API_KEY, WEBHOOK_ALLOW_HOSTS: '127.0.0.1' },
    args: ['--database-url', postgres.url, '--instance-name', name, '--lease-ms', String(LEASE_MS), '--login-backup-interval-ms', '1000'],
  });
  servers.set(name, server);
  everStarted.push([name, server]);
  return server;
}

function instance(name: string): ServerProcess {
  const server = servers.get(name);
  if (!server) throw new Error(`no instance ${name}`);
  return server;
}

async function clusterView(via: ServerProcess): Promise<ClusterView> {
  const answer = await via.api<ClusterView>('GET', '/api/v1/cluster');
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/** Main browser processes (no --type) of each session, over every instance's folder. */
async function mainBrowsersBySession(): Promise<Map<string, number[]>> {
  const found = new Map<string, number[]>();
  for (const server of servers.values()) {
    if (sampler.ignored.has(server)) continue;
    for (const [sessionId, pids] of await mainBrowsersBySessionUnder(server.sessionsDir)) found.set(sessionId, [...(found.get(sessionId) ?? []), ...pids]);
  }
  return found;
}

/**
 * Main browser processes by session under one instance's folder: Chromium processes without --type whose parent
 * is not a Chromium process of the same session (a browser forks helpers that carry no --type either).
 */
async function mainBrowsersBySessionUnder(folder: string): Promise<Map<string, number[]>> {
  const bySession = new Map<string, { pid: number; ppid: number; main: boolean }[]>();
  for (const info of await processesUnder(folder)) {
    if (!/chrom(e|ium)/i.test(path.basename(info.args[0] ?? ''))) continue;
    const sessionId = /session-([^/]+)$/.exec(info.args.find((arg) => arg.startsWith('--user-data-dir=')) ?? '')?.[1];
    if (sessionId === undefined) continue;
    const main = !info.args.some((arg) => arg.startsWith('--type='));
    bySession.set(sessionId, [...(bySession.get(sessionId) ?? []), { pid: info.pid, ppid: info.ppid, main }]);
  }
  const found = new Map<string, number[]>();
  for (const [sessionId, processes] of bySession) {
    const pids = new Set(processes.map((entry) => entry.pid));
    const mains = processes.filter((entry) => entry.main && !pids.has(entry.ppid)).map((entry) => entry.pid);
    if (mains.length > 0) found.set(sessionId, mains);
  }
  return found;
}

/** The sessions' rows as the database holds them (config, desired state, when last written). */
async function storedRows(sessionIds: readonly string[]): Promise<unknown[]> {
  const result = await database.query(
    'SELECT session_id, desired_state, config, updated_at FROM wamux_sessions WHERE session_id = ANY($1) ORDER BY session_id',
    [sessionIds],
  );
  return result.rows;
}

/** The fencing tokens that wrote the sessions' login backups. */
async function backupTokens(sessionIds: readonly string[]): Promise<Map<string, string>> {
  const result = await database.query<{ session_id: string; token: string }>('SELECT session_id, token FROM wamux_login_backups WHERE session_id = ANY($1)', [sessionIds]);
  return new Map(result.rows.map((row) => [row.session_id, row.token]));
}

/** An open live stream (SSE) of an instance, read as text. */
async function openStream(server: ServerProcess, query: string, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(`${await server.baseUrl}/api/v1/events/stream${query}`, {
    headers: { 'x-api-key': API_KEY, ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  const reader = response.body!.getReader();
  const stream = {
    text: '',
    async readUntil(pattern: RegExp): Promise<void> {
      const deadline = Date.now() + 15_000;
      while (!pattern.test(stream.text)) {
        if (Date.now() > deadline) throw new Error(`the stream never showed ${pattern}; it had ${stream.text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        stream.text += Buffer.from(value).toString();
      }
    },
    close: () => controller.abort(),
  };
  await stream.readUntil(/: connected/);
  return stream;
}

/** The message bodies the webhook receiver got for a session, in arrival order. */
function receivedBodies(sessionId: string): string[] {
  return receiver.of('message').filter((delivery) => delivery.envelope.session === sessionId).map((delivery) => String(delivery.envelope.payload.body));
}

function startSampler(): void {
  sampler.timer = setInterval(() => {
    if (sampler.sampling) return;
    sampler.sampling = true;
    void mainBrowsersBySession()
      .then((found) => {
        for (const [sessionId, pids] of found) sampler.worst.set(sessionId, Math.max(sampler.worst.get(sessionId) ?? 0, pids.length));
      })
      .finally(() => (sampler.sampling = false));
  }, 100);
}

/** The session's status as an instance answers for it; undefined while it cannot (moving, its owner not answering). */
async function statusVia(server: ServerProcess, sessionId: string): Promise<StatusView | undefined> {
  const answer = await fetch(`${await server.baseUrl}/api/v1/sessions/${sessionId}/status`, {
    headers: { 'x-api-key': API_KEY },
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  return answer?.status === 200 ? ((await answer.json()) as StatusView) : undefined;
}

async function waitWorkingVia(server: ServerProcess, sessionIds: readonly string[], timeoutMs: number): Promise<void> {
  await pollUntil(async () => (await Promise.all(sessionIds.map((id) => statusVia(server, id)))).every((view) => view?.status === 'WORKING'), {
    what: `${sessionIds.join(', ')} WORKING`,
    timeoutMs,
    intervalMs: 250,
  });
}

const phoneOf = (sessionId: string) => `1555${String(300_000 + [...sessionId].reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7) % 700_000)}`;

before(async () => {
  receiver = await WebhookReceiver.start();
  postgres = await TestPostgres.start();
  database = await ClusterDatabase.open(postgres.url, { queryTimeoutMs: 5_000 });
  for (const name of NAMES) await startInstance(name);
  await pollUntil(async () => (await clusterView(instance('alpha'))).instances.filter((entry) => entry.live).length === 3, {
    what: 'three live instances',
    timeoutMs: 15_000,
  });
  startSampler();
});

after(async () => {
  clearInterval(sampler.timer);
  // CLUSTER_TEST_LOGS=<folder>: each instance's log is kept there (to read after a failure)
  const keep = process.env.CLUSTER_TEST_LOGS;
  for (const [name, server] of keep ? everStarted : []) await writeFile(path.join(keep!, `${name}-${server.pid}.log`), server.fullLogs());
  // every instance ever started, killed and stopped ones too: their folders go, and anything left in them
  for (const [, server] of everStarted) {
    if (server.running()) signalPid(server.pid, 'SIGCONT');
    await server.cleanup();
  }
  await database?.close();
  await postgres?.stop();
  await receiver?.down();
});

describe('a cluster of three instances', () => {
  const ids = ['desk-1', 'desk-2', 'desk-3', 'desk-4', 'desk-5', 'desk-6'];
  const linkedAt = new Map<string, number>();

  test('new sessions are spread over the instances, and any instance answers for any session', async () => {
    for (const id of ids) {
      await linkSession(instance('alpha'), id, phoneOf(id), { sandbox: true, webhooks: [{ url: receiver.url, events: ['message'] }] });
      linkedAt.set(id, Date.now());
    }
    const view = await clusterView(instance('charlie'));
    for (const entry of view.instances) assert.equal(entry.sessions.length, 2, `${entry.name} drives two sessions: ${JSON.stringify(view.instances)}`);

    // each instance's metrics name it, and carry the sessions it drives
    const metrics = String((await instance('alpha').api('GET', '/metrics')).body.raw);
    assert.match(metrics, /^wamux_cluster_instance_info\{instance="alpha"\} 1$/m);
    for (const entry of view.sessions) {
      assert.equal(metrics.includes(`wamux_session_browser_up{session="${entry.id}"}`), entry.instance === 'alpha', `${entry.id} on alpha's metrics`);
    }
    const listed = await instance('bravo').api<{ sessions: { id: string; status: string; instance?: string }[] }>('GET', '/api/v1/sessions');
    assert.deepEqual(listed.body.sessions.map((session) => session.id).sort(), ids);
    for (const session of listed.body.sessions) {
      assert.equal(session.status, 'WORKING');
      assert.equal(session.instance, view.sessions.find((entry) => entry.id === session.id)?.instance, `${session.id} names its instance`);
    }

    for (const id of ids) {
      const sent = await instance('charlie').api('POST', `/api/v1/sessions/${id}/send-text`, { chatId: '15550001111', content: `hello from ${id}` });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      // the phone gets a sent message the way WhatsApp delivers it: after the send returned
      await pollUntil(
        async () =>
          (await instance('bravo').api<{ messages: { body: string }[] }>('GET', `/api/v1/sessions/${id}/sandbox/outbox`)).body.messages.some(
            (message) => message.body === `hello from ${id}`,
          ),
        { what: `${id}'s phone saw the message`, timeoutMs: 15_000 },
      );
    }
  });

  test("any instance's live stream carries every session's events; one session's stream comes from its owner", async () => {
    const view = await clusterView(instance('alpha'));
    const ownedByAlpha = view.sessions.find((session) => session.instance === 'alpha')!.id;
    const all = await openStream(instance('charlie'), '?events=message');
    const one = await openStream(instance('bravo'), `?session=${ownedByAlpha}&events=message`);
    try {
      const written = await instance('bravo').api('POST', `/api/v1/sessions/${ownedByAlpha}/sandbox/incoming`, { from: '15550003333', body: 'streamed everywhere' });
      assert.equal(written.status, 201, JSON.stringify(written.body));
      await all.readUntil(/"body":"streamed everywhere"/);
      await one.readUntil(/"body":"streamed everywhere"/);
      assert.equal(all.text.split('streamed everywhere').length - 1, 1, 'once on the all-sessions stream');
    } finally {
      all.close();
      one.close();
    }
  });

  test('an all-sessions stream resumed on another instance (Last-Event-ID) replays what every instance logged meanwhile', async () => {
    const view = await clusterView(instance('alpha'));
    const onePerInstance = NAMES.map((name) => view.sessions.find((session) => session.instance === name)!.id);
    const first = await openStream(instance('charlie'), '?events=message');
    let lastId: string;
    try {
      const written = await instance('alpha').api('POST', `/api/v1/sessions/${onePerInstance[0]}/sandbox/incoming`, { from: '15550004444', body: 'before the break' });
      assert.equal(written.status, 201, JSON.stringify(written.body));
      await first.readUntil(/"body":"before the break"/);
      lastId = [...first.text.matchAll(/^id: (\S+)$/gm)].at(-1)![1]!;
    } finally {
      first.close();
    }
    // while no stream is open: one message to a session of each instance, each logged before the client comes back
    for (const id of onePerInstance) {
      const written = await instance('bravo').api('POST', `/api/v1/sessions/${id}/sandbox/incoming`, { from: '15550004444', body: `during the break ${id}` });
      assert.equal(written.status, 201, JSON.stringify(written.body));
    }
    await pollUntil(() => onePerInstance.every((id) => receivedBodies(id).includes(`during the break ${id}`)), { what: 'the messages logged', timeoutMs: 20_000 });
    // the client comes back on another instance, as behind a load balancer
    const resumed = await openStream(instance('bravo'), '?events=message', lastId);
    try {
      for (const id of onePerInstance) await resumed.readUntil(new RegExp(`"body":"during the break ${id}"`));
      for (const id of onePerInstance) assert.equal(resumed.text.split(`during the break ${id}`).length - 1, 1, `${id}'s message once`);
      // and live again: a session of another instance
      await instance('alpha').api('POST', `/api/v1/sessions/${onePerInstance[2]}/sandbox/incoming`, { from: '15550004444', body: 'after the break' });
      await resumed.readUntil(/"body":"after the break"/);
    } finally {
      resumed.close();
    }
  });

  test('SIGKILL of an instance: its sessions are WORKING on the others, logged in, with one browser each', async (t: TestContext) => {
    // each login must be in the database first: what a dead instance never backed up cannot move
    await pollUntil(
      async () =>
        (await clusterView(instance('alpha'))).sessions.every(
          (session) => session.loginBackup !== null && Date.parse(session.loginBackup.savedAt) >= linkedAt.get(session.id)!,
        ),
      { what: 'every login backed up after its link', timeoutMs: 20_000 },
    );
    // each phone writes to its session (through any instance), and the webhook receiver gets it
    for (const id of ids) {
      const written = await instance('charlie').api('POST', `/api/v1/sessions/${id}/sandbox/incoming`, { from: '15550002222', body: `before the kill ${id}` });
      assert.equal(written.status, 201, JSON.stringify(written.body));
    }
    await pollUntil(() => ids.every((id) => receivedBodies(id).includes(`before the kill ${id}`)), { what: 'the webhooks of the messages', timeoutMs: 20_000 });
    const view = await clusterView(instance('alpha'));
    const victim = 'bravo';
    const moved = view.instances.find((entry) => entry.name === victim)!.sessions;
    assert.equal(moved.length, 2);
    const killedAt = Date.now();
    await instance(victim).kill();
    servers.delete(victim);

    await waitWorkingVia(instance('alpha'), moved, 60_000);
    const failoverMs = Date.now() - killedAt;
    t.diagnostic(`failover: ${moved.join(', ')} WORKING again ${(failoverMs / 1000).toFixed(1)} s after the SIGKILL (lease ${LEASE_MS / 1000} s)`);
    assert.ok(failoverMs < LEASE_MS + 25_000, `failover took ${failoverMs} ms`);

    const after = await clusterView(instance('charlie'));
    for (const id of moved) {
      const holder = after.sessions.find((session) => session.id === id)?.instance;
      assert.ok(holder === 'alpha' || holder === 'charlie', `${id} is driven by a survivor (${holder})`);
      const status = (await statusVia(instance('charlie'), id))!;
      assert.equal(status.me?.id, `${phoneOf(id)}@c.us`, `${id} is logged in as before`);
      assert.ok(!status.history.some((change) => change.to === 'SCAN_QR_CODE'), `${id} needed no scan: ${JSON.stringify(status.history)}`);
      const sent = await instance('alpha').api('POST', `/api/v1/sessions/${id}/send-text`, { chatId: '15550001111', content: `after the failover ${id}` });
      assert.equal(sent.status, 201, JSON.stringify(sent.body));
      // the history the dead instance wrote came along (the new send is logged once WhatsApp Web reports it)
      const history = async () =>
        (await instance('charlie').api<{ messages: { body?: string }[] }>('GET', `/api/v1/sessions/${id}/messages?limit=50`)).body.messages.map(
          (message) => message.body,
        );
      const expected = [`hello from ${id}`, `before the kill ${id}`, `after the failover ${id}`];
      await pollUntil(async () => (await history()).includes(expected[2]), { what: `${id}'s history to have '${expected[2]}'`, timeoutMs: 15_000 });
      const bodies = await history();
      for (const body of expected) assert.ok(bodies.includes(body), `${id}'s history has '${body}': ${JSON.stringify(bodies)}`);
      const written = await instance('alpha').api('POST', `/api/v1/sessions/${id}/sandbox/incoming`, { from: '15550002222', body: `after the kill ${id}` });
      assert.equal(written.status, 201, JSON.stringify(written.body));
    }
    await pollUntil(() => moved.every((id) => receivedBodies(id).includes(`after the kill ${id}`)), { what: 'the webhooks after the failover', timeoutMs: 20_000 });
    for (const id of ids) {
      const expected = moved.includes(id) ? [`before the kill ${id}`, `after the kill ${id}`] : [`before the kill ${id}`];
      const aroundTheKill = receivedBodies(id).filter((body) => body.includes('the kill'));
      assert.deepEqual(aroundTheKill, expected, `${id}'s receiver got each message once, in order`);
    }
    for (const [sessionId, worst] of sampler.worst) assert.ok(worst <= 1, `${sessionId} had ${worst} browsers at once`);
  });

  test('the database goes away for a few seconds: no session is lost or driven twice, and nothing stored is lost', async () => {
    const before = await clusterView(instance('alpha'));
    await postgres.down();
    // the outage itself: shorter than a lease less its safety margin, as a database restart or failover is
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await postgres.up();
    await waitWorkingVia(instance('charlie'), ids, 60_000);
    const after = await clusterView(instance('alpha'));
    for (const id of ids) {
      assert.equal(
        after.sessions.find((session) => session.id === id)?.instance,
        before.sessions.find((session) => session.id === id)?.instance,
        `${id} stayed where it was`,
      );
    }
    const listed = await instance('alpha').api<{ sessions: { id: string }[] }>('GET', '/api/v1/sessions');
    assert.deepEqual(listed.body.sessions.map((session) => session.id).sort(), ids);
    for (const [sessionId, worst] of sampler.worst) assert.ok(worst <= 1, `${sessionId} had ${worst} browsers at once`);
  });

  test('an instance paused past its lease finds its sessions taken over, closes their browsers and writes nothing', async (t: TestContext) => {
    const paused = 'alpha';
    const held = (await clusterView(instance('charlie'))).instances.find((entry) => entry.name === paused)!.sessions;
    assert.ok(held.length > 0);
    const pausedBrowsers = async () => (await mainBrowsersBySessionUnder(instance(paused).sessionsDir)).size;
    assert.equal(await pausedBrowsers(), held.length);
    const pausedTokens = new Map(
      (await database.query<{ session_id: string; token: string }>('SELECT session_id, token FROM wamux_leases WHERE session_id = ANY($1)', [held])).rows.map(
        (row) => [row.session_id, row.token],
      ),
    );
    sampler.ignored.add(instance(paused));
    signalPid(instance(paused).pid, 'SIGSTOP');
    const pausedAt = Date.now();
    let stored: unknown[] = [];
    let tokensBefore = new Map<string, string>();
    try {
      await waitWorkingVia(instance('charlie'), held, 60_000);
      t.diagnostic(`${held.join(', ')} WORKING on charlie ${((Date.now() - pausedAt) / 1000).toFixed(1)} s after the pause`);
    } finally {
      // the stored state once the takeover is done: the paused instance must not change any of it
      stored = await storedRows(held);
      tokensBefore = await backupTokens(held);
      signalPid(instance(paused).pid, 'SIGCONT');
    }
    const resumedAt = Date.now();
    await pollUntil(async () => (await pausedBrowsers()) === 0, { what: `${paused} to close the browsers of the sessions it lost`, timeoutMs: 15_000 });
    t.diagnostic(`${paused} closed its ${held.length} browsers ${((Date.now() - resumedAt) / 1000).toFixed(1)} s after SIGCONT`);
    sampler.ignored.delete(instance(paused));
    assert.deepEqual(await storedRows(held), stored, 'the paused instance wrote nothing once it woke');
    for (const [sessionId, token] of await backupTokens(held)) {
      if (token !== tokensBefore.get(sessionId)) assert.notEqual(token, pausedTokens.get(sessionId), `${sessionId}'s login backup was not written by the paused instance`);
    }
    const view = await clusterView(instance(paused));
    for (const id of held) assert.equal(view.sessions.find((session) => session.id === id)?.instance, 'charlie');
    await waitWorkingVia(instance(paused), held, 10_000);
  });

  test('SIGTERM hands the sessions over at once, without waiting for their leases to expire', async (t: TestContext) => {
    await startInstance('bravo');
    await pollUntil(async () => (await clusterView(instance('alpha'))).instances.filter((entry) => entry.live).length === 3, {
      what: 'bravo back in the cluster',
      timeoutMs: 15_000,
    });
    const leaving = (await clusterView(instance('alpha'))).instances.find((entry) => entry.name === 'charlie')!.sessions;
    assert.ok(leaving.length > 0);
    const stoppedAt = Date.now();
    assert.equal(await instance('charlie').stop(), 0);
    servers.delete('charlie');
    await waitWorkingVia(instance('alpha'), leaving, 60_000);
    const handoverMs = Date.now() - stoppedAt;
    t.diagnostic(`${leaving.length} sessions WORKING elsewhere ${(handoverMs / 1000).toFixed(1)} s after SIGTERM`);
    const view = await clusterView(instance('bravo'));
    const placed = new Set(leaving.map((id) => view.sessions.find((session) => session.id === id)?.instance));
    assert.ok(!placed.has('charlie') && !placed.has(null), JSON.stringify(view.sessions));
    for (const id of leaving) {
      const status = (await statusVia(instance('bravo'), id))!;
      assert.ok(!status.history.some((change) => change.to === 'SCAN_QR_CODE'), `${id} needed no scan`);
    }
    for (const [sessionId, worst] of sampler.worst) assert.ok(worst <= 1, `${sessionId} had ${worst} browsers at once`);
  });

  test('no instance met an uncaught exception along the way', () => {
    for (const [name, server] of everStarted) assert.doesNotMatch(server.fullLogs(), /uncaught exception/, `${name}'s log`);
  });
});
