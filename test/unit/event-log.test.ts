import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteEventLog } from '../../src/events/event-log.js';
import { newEventId, type EventEnvelope, type EventType } from '../../src/events/event-envelope.js';

function withLog(run: (log: SqliteEventLog, file: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wamux-log-'));
  const file = path.join(dir, 'events.db');
  const log = new SqliteEventLog(file);
  try {
    run(log, file);
  } finally {
    log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function envelope(event: EventType, payload: Record<string, unknown>): EventEnvelope {
  return { id: newEventId(), timestamp: new Date().toISOString(), event, session: 's', me: null, payload };
}

test('event ids sort in creation order, even within one millisecond', () => {
  const ids = Array.from({ length: 1000 }, () => newEventId(1_700_000_000_000));
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, ids.length);
});

test('history: newest first, per chat, paged with before', () => {
  withLog((log) => {
    for (let i = 1; i <= 5; i++) {
      log.append(envelope('message', { chatId: 'a@c.us', body: `a${i}` }));
      log.append(envelope('message.sent', { chatId: 'b@c.us', body: `b${i}` }));
      log.append(envelope('message.ack', { chatId: 'a@c.us', ack: 1 }));
    }
    const firstPage = log.messages({ chatId: 'a@c.us', limit: 2 });
    assert.deepEqual(firstPage.map((e) => e.payload.body), ['a5', 'a4']);
    const secondPage = log.messages({ chatId: 'a@c.us', limit: 10, beforeId: firstPage.at(-1)!.id });
    assert.deepEqual(secondPage.map((e) => e.payload.body), ['a3', 'a2', 'a1']);
    assert.equal(log.messages({ limit: 100 }).length, 10, 'acks are not messages');
  });
});

test('events after an id, oldest first', () => {
  withLog((log) => {
    const written = Array.from({ length: 4 }, (_, i) => envelope('message', { body: `m${i}` }));
    written.forEach((e) => log.append(e));
    assert.deepEqual(log.eventsAfter(written[1]!.id, 10).map((e) => e.id), [written[2]!.id, written[3]!.id]);
    assert.equal(log.eventsAfter(undefined, 10).length, 4);
  });
});

test('deliveries queue per webhook in event order and survive reopening the file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wamux-log-'));
  const file = path.join(dir, 'events.db');
  try {
    let log = new SqliteEventLog(file);
    const first = envelope('message', { body: 'one' });
    const second = envelope('message', { body: 'two' });
    log.append(first, [{ deliveryId: 'd1', webhookKey: 'k', url: 'http://x' }, { deliveryId: 'd1b', webhookKey: 'other', url: 'http://y' }]);
    log.append(second, [{ deliveryId: 'd2', webhookKey: 'k', url: 'http://x' }]);
    assert.equal(log.nextPending('k')?.deliveryId, 'd1');
    log.markRetry('d1', 1, Date.now() + 1000, 'ECONNREFUSED');
    assert.equal(log.nextPending('k')?.deliveryId, 'd1', 'a retrying delivery holds its place: order is kept');
    log.close();

    log = new SqliteEventLog(file);
    assert.deepEqual(log.pendingWebhookKeys().sort(), ['k', 'other']);
    const pending = log.nextPending('k')!;
    assert.equal(pending.attempts, 1);
    assert.equal(pending.lastError, 'ECONNREFUSED');
    assert.equal(JSON.parse(pending.body).payload.body, 'one');
    log.markDelivered('d1', 2, 200);
    assert.equal(log.nextPending('k')?.deliveryId, 'd2');
    log.markFailed('d2', 1, 'HTTP 404', 404);
    assert.equal(log.nextPending('k'), undefined);
    assert.equal(log.requeue('d2')?.status, 'pending');
    assert.equal(log.nextPending('k')?.attempts, 0);
    assert.deepEqual(log.deliveries(10).map((d) => d.deliveryId).sort(), ['d1', 'd1b', 'd2']);
    log.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('event ids never go backwards, even when the clock steps back', () => {
  const first = newEventId(1_900_000_000_000);
  const afterStepBack = newEventId(1_899_999_999_000);
  const later = newEventId(1_900_000_000_500);
  assert.ok(first < afterStepBack, `${first} < ${afterStepBack}`);
  assert.ok(afterStepBack < later, `${afterStepBack} < ${later}`);
});

test("a log's SQLite page cache is 2 MiB unless set, not better-sqlite3's 16 MiB per session", () => {
  withLog((log, file) => {
    assert.equal(log.pageCacheKib(), 2048);
    const small = new SqliteEventLog(`${file}-small`, { cacheKib: 512 });
    try {
      assert.equal(small.pageCacheKib(), 512);
    } finally {
      small.close();
    }
  });
});

test('events newest first, paged with before, optionally of some types only', () => {
  withLog((log) => {
    const appended: EventEnvelope[] = [];
    for (let i = 1; i <= 4; i++) {
      for (const next of [envelope('message', { body: `m${i}` }), envelope('message.ack', { ack: i })]) {
        log.append(next);
        appended.push(next);
      }
    }
    const newest = log.eventsBeforeId(undefined, 3);
    assert.deepEqual(newest.map((e) => e.id), appended.slice(-3).reverse().map((e) => e.id));
    const older = log.eventsBeforeId(newest.at(-1)!.id, 100);
    assert.deepEqual(older.map((e) => e.id), appended.slice(0, -3).reverse().map((e) => e.id));
    assert.deepEqual(log.eventsBeforeId(undefined, 10, ['message']).map((e) => e.payload.body), ['m4', 'm3', 'm2', 'm1']);
    assert.deepEqual(log.eventsAfterId('', 2, ['message.ack']).map((e) => e.payload.ack), [1, 2]);
  });
});
