import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSilentLogger } from '../../src/shared/logger.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import { SessionMaintenance } from '../../src/sessions/session-maintenance.js';
import { SessionManager } from '../../src/sessions/session-manager.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';
import { FakeWaClientFactory } from '../fakes/fake-wa-client.js';
import { InMemorySessionStore } from '../fakes/in-memory-session-store.js';

const ME = { id: '15550001111@c.us', pushName: 'Desk' };

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function setup() {
  let now = 1_000_000;
  const store = new InMemorySessionStore();
  const factory = new FakeWaClientFactory();
  const processes = new FakeProcessTable();
  const deps = { store, processes, hostname: 'testhost', logger: createSilentLogger(), now: () => now };
  const manager = new SessionManager({
    ...deps,
    clientFactory: factory.create,
    events: new SessionEvents(),
    settings: { serverChromiumArgs: [], flagPolicy: DEFAULT_FLAG_POLICY, stopDeadlineMs: 1_000, stableAfterMs: 60_000 },
    managerSettings: { maxSessions: 10, sandboxByDefault: true, restart: { maxAttempts: 3, windowMs: 120_000, cooldownMs: 0 }, lockTimeoutMs: 5_000 },
  });
  const maintenance = new SessionMaintenance(manager, deps);

  // working: linked; failed: its start failed; qr: shows a QR code; stopped: created without start
  for (const id of ['working', 'qr']) {
    await manager.create(id, {}, { start: true });
    manager.start(id);
    await until(() => factory.clients.some((client) => client.options.sessionId === id), `${id} client`);
  }
  const client = (id: string) => factory.clients.find((candidate) => candidate.options.sessionId === id)!;
  client('working').emit('ready', ME);
  client('qr').emit('qr', 'ref,1');
  factory.onCreate = (created) => {
    created.initializeResult = Promise.reject('auth timeout');
  };
  await manager.create('failed', {}, { start: true });
  await manager.start('failed').settled;
  await manager.create('stopped', {}, { start: false });
  // a folder on disk that no loaded session owns, with a browser still running on it
  store.folders.add('ghost');
  processes.add({ pid: 777, ppid: 1, pgid: 777, state: 'S', args: ['/usr/lib/chromium/chromium', `--user-data-dir=${store.profileDir('ghost')}`] });
  return { manager, maintenance, store, processes, advance: (ms: number) => (now += ms) };
}

test('terminateInactive: everything not WORKING goes, orphan profiles with their browsers; WORKING stays', async () => {
  const { manager, maintenance, store, processes } = await setup();
  assert.equal(manager.get('failed').status.status, 'FAILED');

  const dry = await maintenance.terminateInactive({ mode: 'delete', dryRun: true });
  assert.deepEqual(dry.terminated.map((entry) => entry.id).sort(), ['failed', 'ghost', 'qr', 'stopped']);
  assert.equal(manager.all().length, 4, 'a dry run changes nothing');
  assert.equal(processes.has(777), true);

  const report = await maintenance.terminateInactive({ mode: 'delete', dryRun: false });
  assert.deepEqual(report.terminated.map((entry) => entry.id).sort(), ['failed', 'ghost', 'qr', 'stopped']);
  assert.deepEqual(report.kept.map((entry) => entry.id), ['working']);
  assert.deepEqual(report.orphansKilled, [777]);
  assert.deepEqual(manager.all().map((session) => session.id), ['working']);
  assert.deepEqual([...store.folders].sort(), ['working']);
  assert.equal(manager.get('working').status.status, 'WORKING');
});

test('terminateInactive stop mode keeps the data; the idle rule names idle WORKING sessions', async () => {
  const { manager, maintenance, store, advance } = await setup();
  advance(31 * 60_000);
  const report = await maintenance.terminateInactive({ mode: 'stop', dryRun: false, idleMinutes: 30 });
  assert.ok(report.terminated.some((entry) => entry.id === 'working' && /idle for 31 minutes/.test(entry.reason)));
  for (const id of ['working', 'failed', 'qr', 'stopped']) assert.equal(manager.get(id).status.status, 'STOPPED', id);
  assert.ok(store.folders.has('ghost') && store.folders.has('working'), 'stop mode deletes nothing');
});
