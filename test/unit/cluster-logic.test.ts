/** Cluster mode's pure parts: where a forwarded request goes, placement, and what a log copy picks up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { targetUrl } from '../../src/cluster/forwarding.js';
import { placeSessions, type InstanceView } from '../../src/cluster/cluster-instances.js';
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

const instance = (name: string, sessions: number, maxSessions = 10, live = true): InstanceView => ({
  name,
  url: `http://${name}`,
  startedAt: '',
  heartbeatAt: '',
  live,
  stopping: false,
  maxSessions,
  sessions: Array.from({ length: sessions }, (_, i) => `${name}-${i}`),
  memoryMib: 0,
});

test('placement: each session to the live instance with the most room, the same answer on every instance', () => {
  const placed = placeSessions(['a', 'b', 'c', 'd'], [instance('alpha', 2), instance('bravo', 0), instance('charlie', 1), instance('dead', 0, 10, false)]);
  // bravo 0 → 1 → 2 (ties go by name), then charlie (1), then alpha: all at 2
  assert.deepEqual([...placed], [['a', 'bravo'], ['b', 'bravo'], ['c', 'charlie'], ['d', 'alpha']]);
  // by share of --max-sessions: 1 of 2 is fuller than 2 of 10; a full instance gets none
  assert.deepEqual([...placeSessions(['x'], [instance('small', 1, 2), instance('big', 2, 10)])], [['x', 'big']]);
  assert.deepEqual([...placeSessions(['x', 'y'], [instance('full', 2, 2), instance('one', 0, 1)])], [['x', 'one']]);
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
