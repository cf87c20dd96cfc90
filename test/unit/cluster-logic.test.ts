/** Cluster mode's pure parts: where a forwarded request goes, placement, and what a log copy picks up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { targetUrl } from '../../src/cluster/forwarding.js';
import { placeSessions, type InstanceView } from '../../src/cluster/cluster-instances.js';
import { availableMemoryMib } from '../../src/shared/available-memory.js';
import { SqliteEventLog } from '../../src/events/event-log.js';
import { newEventId, type EventEnvelope } from '../../src/events/event-envelope.js';
import { InvalidInputError } from '../../src/shared/errors.js';

test('a forwarded request keeps its path and query and goes to the owner only, whatever its request line says', () => {
  const owner = 'http://10.0.0.12:8080';
  assert.equal(targetUrl({ originalUrl: '/api/v1/sessions/desk/messages?limit=5' }, owner).href, 'http://10.0.0.12:8080/api/v1/sessions/desk/messages?limit=5');
  // a request line in absolute form names another host: only its path goes along
  assert.equal(targetUrl({ originalUrl: 'http://169.254.169.254/api/v1/sessions/desk/status' }, owner).href, 'http://10.0.0.12:8080/api/v1/sessions/desk/status');
  assert.equal(targetUrl({ originalUrl: '//evil.example/api/v1/sessions/x' }, owner).href, 'http://10.0.0.12:8080/api/v1/sessions/x');
  for (const originalUrl of ['/other/path', 'http://evil.example//api/v1/x']) {
    assert.throws(() => targetUrl({ originalUrl }, owner), InvalidInputError, originalUrl);
  }
});

const instance = (name: string, sessions: number, maxSessions = 10, live = true, availableMib = 8_000): InstanceView => ({
  name,
  url: `http://${name}`,
  startedAt: '',
  heartbeatAt: '',
  live,
  stopping: false,
  maxSessions,
  sessions: Array.from({ length: sessions }, (_, i) => `${name}-${i}`),
  memoryMib: 0,
  availableMib,
});

test('placement: each session to the live instance with the most room, the same answer on every instance', () => {
  const placed = placeSessions(['a', 'b', 'c', 'd'], [instance('alpha', 2), instance('bravo', 0), instance('charlie', 1), instance('dead', 0, 10, false)]);
  // bravo (0) first; then bravo and charlie hold 1 each, and charlie has more memory left (bravo's counts the session
  // just placed); then bravo (1 again); then all hold 2, and alpha has the most memory left
  assert.deepEqual([...placed], [['a', 'bravo'], ['b', 'charlie'], ['c', 'bravo'], ['d', 'alpha']]);
  // by share of --max-sessions: 1 of 2 is fuller than 2 of 10; a full instance gets none
  assert.deepEqual([...placeSessions(['x'], [instance('small', 1, 2), instance('big', 2, 10)])], [['x', 'big']]);
  assert.deepEqual([...placeSessions(['x', 'y'], [instance('full', 2, 2), instance('one', 0, 1)])], [['x', 'one']]);
});

test('placement weighs memory: an instance short of it comes last, and at equal shares the one with more available wins', () => {
  const only = (instances: InstanceView[]) => placeSessions(['x'], instances).get('x');
  assert.equal(only([instance('a', 1, 10, true, 2_000), instance('b', 1, 10, true, 6_000)]), 'b');
  // fewer sessions do not make up for a host short of memory
  assert.equal(only([instance('roomy', 5, 10, true, 4_000), instance('short', 0, 10, true, 300)]), 'roomy');
  // when every instance is short, the share of --max-sessions decides again
  assert.equal(only([instance('s1', 3, 10, true, 300), instance('s2', 0, 10, true, 200)]), 's2');
  // 0 is an instance that does not report it: neither short nor roomy
  assert.equal(only([instance('unknown', 0, 10, true, 0), instance('known', 1, 10, true, 4_000)]), 'unknown');
  // each session placed counts against its instance's memory: after two, 'near' is short and the third goes elsewhere
  const spread = placeSessions(['p', 'q', 'r'], [instance('near', 0, 10, true, 800), instance('far', 3, 10, true, 8_000)]);
  assert.deepEqual([...spread.values()], ['near', 'near', 'far']);
});

function envelope(body: string): EventEnvelope {
  return { id: newEventId(), timestamp: new Date().toISOString(), event: 'message', session: 's', me: null, payload: { chatId: 'c@c.us', body } };
}

test("a log's copy gets every delivery: pages cut at the limit, and deliveries of events not copied yet", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wamux-replication-'));
  const log = new SqliteEventLog(path.join(dir, 'events.db'));
  try {
    // five events with one delivery each, all stamped the same millisecond
    for (let i = 1; i <= 5; i++) log.append(envelope(`m${i}`), [{ deliveryId: `d${i}`, webhookKey: 'w', url: 'http://r/' }], 1_000);
    const replication = log.replication();
    const copied = { events: [] as string[], deliveries: [] as string[] };
    let mark = { seq: 0, deliveriesFrom: 0 } as Parameters<typeof replication.changesSince>[0];
    for (let round = 0; round < 10; round++) {
      const changes = replication.changesSince(mark, 2, 2_000);
      copied.events.push(...changes.events.map((event) => event.id));
      copied.deliveries.push(...changes.deliveries.map((delivery) => delivery.deliveryId));
      for (const delivery of changes.deliveries) {
        assert.ok(changes.events.some((event) => event.seq === delivery.eventSeq) || delivery.eventSeq <= mark.seq, 'no delivery before its event');
      }
      mark = changes.next;
    }
    assert.equal(new Set(copied.events).size, 5);
    assert.deepEqual([...new Set(copied.deliveries)].sort(), ['d1', 'd2', 'd3', 'd4', 'd5']);
    // a delivery that changes later is copied again
    log.markDelivered('d2', 1, 200);
    const later = replication.changesSince(mark, 2);
    assert.deepEqual(later.deliveries.map((delivery) => [delivery.deliveryId, delivery.status]), [['d2', 'delivered']]);
  } finally {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the memory an instance reports: the host's, or less in a container near its limit, where dropping file cache counts as free", async () => {
  const GIB = 1024 ** 3;
  const files = (limit: string, current: number, inactiveFile: number) => async (file: string) => {
    if (file.endsWith('memory.max')) return `${limit}\n`;
    if (file.endsWith('memory.current')) return `${current}\n`;
    if (file.endsWith('memory.stat')) return `anon 123\nfile 456\ninactive_file ${inactiveFile}\nactive_file 7\n`;
    throw new Error(`no ${file}`);
  };
  assert.equal(await availableMemoryMib(files('max', 0, 0), 8 * GIB), 8 * 1024, 'no limit: the host');
  // 2 GiB limit, 1.5 GiB charged of which 1 GiB is file cache it can drop: 1.5 GiB free
  assert.equal(await availableMemoryMib(files(String(2 * GIB), 1.5 * GIB, 1 * GIB), 8 * GIB), 1.5 * 1024);
  assert.equal(await availableMemoryMib(files(String(16 * GIB), 1 * GIB, 0), 4 * GIB), 4 * 1024, 'a roomy limit on a full host: the host');
  assert.equal(
    await availableMemoryMib(async () => {
      throw new Error('ENOENT');
    }, 3 * GIB),
    3 * 1024,
    'no cgroup v2 files: the host',
  );
});
