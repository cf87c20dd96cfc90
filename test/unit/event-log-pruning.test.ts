/**
 * Retention of a session's event log (real SQLite files): what goes by age, by size and by being replaced (QR
 * codes), what never goes (events with a delivery still pending), and that clients can resume after a pruned id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SqliteEventLog } from '../../src/events/event-log.js';
import type { EventEnvelope, EventType } from '../../src/events/event-envelope.js';
import { EventRetention } from '../../src/events/event-retention.js';
import { createSilentLogger } from '../../src/shared/logger.js';

const DAY = 86_400_000;
const NOW = 1_900_000_000_000;
let counter = 0;

/** An event id made at this time (ids sort by creation time). */
function idAt(epochMs: number): string {
  counter += 1;
  return `evt_${epochMs.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}0badcafe`;
}

function envelopeAt(epochMs: number, event: EventType, payload: Record<string, unknown> = {}): EventEnvelope {
  return { id: idAt(epochMs), timestamp: new Date(epochMs).toISOString(), event, session: 's', me: null, payload };
}

async function withLog(run: (log: SqliteEventLog, file: string) => Promise<void> | void): Promise<void> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'wamux-prune-'));
  const file = path.join(folder, 'events.db');
  const log = new SqliteEventLog(file);
  try {
    await run(log, file);
  } finally {
    log.close();
    await rm(folder, { recursive: true, force: true });
  }
}

function pruneAll(log: SqliteEventLog, policy: { maxAgeMs: number; maxBytes: number }): number {
  let pruned = 0;
  for (let step = log.pruneStep(policy, NOW); step > 0; step = log.pruneStep(policy, NOW)) pruned += step;
  return pruned;
}

const ids = (log: SqliteEventLog) => log.eventsAfter(undefined, 1000).map((envelope) => envelope.id);

test('events past the age limit go with their deliveries; one whose delivery is pending stays until it is done', async () => {
  await withLog((log) => {
    const delivered = envelopeAt(NOW - 40 * DAY, 'message', { body: 'delivered' });
    const failed = envelopeAt(NOW - 39 * DAY, 'message', { body: 'failed for good' });
    const pending = envelopeAt(NOW - 38 * DAY, 'message', { body: 'still pending' });
    const recent = envelopeAt(NOW - 1 * DAY, 'message', { body: 'recent' });
    const hook = (deliveryId: string) => [{ deliveryId, webhookKey: 'k', url: 'https://example.com/hook' }];
    log.append(delivered, hook('00000000-0000-4000-8000-000000000001'), NOW - 40 * DAY);
    log.append(failed, hook('00000000-0000-4000-8000-000000000002'), NOW - 39 * DAY);
    log.append(pending, hook('00000000-0000-4000-8000-000000000003'), NOW - 38 * DAY);
    log.append(recent, [], NOW - DAY);
    log.markDelivered('00000000-0000-4000-8000-000000000001', 1, 200);
    log.markFailed('00000000-0000-4000-8000-000000000002', 13, 'gave up');

    assert.equal(pruneAll(log, { maxAgeMs: 30 * DAY, maxBytes: 0 }), 2);
    assert.deepEqual(ids(log), [pending.id, recent.id]);
    assert.equal(log.delivery('00000000-0000-4000-8000-000000000001'), undefined, 'its deliveries went with it');
    assert.equal(log.queueStats().pending, 1, 'the pending delivery is still queued');

    log.markDelivered('00000000-0000-4000-8000-000000000003', 2, 200);
    assert.equal(pruneAll(log, { maxAgeMs: 30 * DAY, maxBytes: 0 }), 1, 'delivered at last: it goes too');
    assert.deepEqual(ids(log), [recent.id]);
  });
});

test('a client resuming after a pruned id reads what came after it; an id the log never had is still unknown', async () => {
  await withLog((log) => {
    const old = envelopeAt(NOW - 40 * DAY, 'message');
    const kept = envelopeAt(NOW - DAY, 'message');
    log.append(old);
    log.append(kept);
    pruneAll(log, { maxAgeMs: 30 * DAY, maxBytes: 0 });
    assert.equal(log.hasEvent(old.id), false);
    assert.equal(log.knows(old.id), true);
    assert.deepEqual(log.eventsAfterId(old.id, 10).map((envelope) => envelope.id), [kept.id]);
    assert.equal(log.knows(idAt(NOW - 2 * DAY)), false, 'newer than anything pruned and not in the log');
  });
});

test('only the current QR code and pairing code are kept', async () => {
  await withLog((log) => {
    const codes = [1, 2, 3].map((n) => envelopeAt(NOW + n, 'qr', { qr: `ref,${n}` }));
    const message = envelopeAt(NOW + 4, 'message');
    const pairing = [5, 6].map((n) => envelopeAt(NOW + n, 'pairing.code', { code: `CODE000${n}` }));
    const lastQr = envelopeAt(NOW + 7, 'qr', { qr: 'ref,4' });
    for (const envelope of [...codes, message, ...pairing, lastQr]) log.append(envelope);
    assert.deepEqual(ids(log), [message.id, pairing[1]!.id, lastQr.id]);
    assert.equal(log.knows(codes[0]!.id), true, 'a stream that last saw a replaced code resumes after it');
    assert.equal(log.knows(idAt(NOW + 2)), false, 'an id the log never had, though older than a replaced code, is unknown');
  });
});

test('past the size limit the oldest events go until the log fits, and the file gives the space back', async () => {
  await withLog(async (log, file) => {
    const big = 'x'.repeat(4000);
    const all: string[] = [];
    for (let n = 0; n < 800; n++) {
      const envelope = envelopeAt(NOW - DAY + n, 'message', { body: big });
      all.push(envelope.id);
      log.append(envelope);
    }
    log.checkpoint();
    const fullSize = (await stat(file)).size;
    assert.ok(fullSize > 3 * 1024 * 1024, `${fullSize} bytes written`);
    const limit = 1024 * 1024;
    const pruned = pruneAll(log, { maxAgeMs: 0, maxBytes: limit });
    assert.ok(pruned > 500 && pruned < 800, `${pruned} pruned`);
    assert.ok(log.liveBytes() <= limit, `${log.liveBytes()} live bytes`);
    const left = ids(log);
    assert.deepEqual(left, all.slice(all.length - left.length), 'the newest are kept');
    await new EventRetention({ openLogs: () => [['s', log]], policy: { maxAgeMs: 0, maxBytes: limit }, intervalMs: 60_000, logger: createSilentLogger() }).runOnce();
    const shrunk = (await stat(file)).size;
    assert.ok(shrunk < fullSize / 2, `the file shrank from ${fullSize} to ${shrunk} bytes`);
  });
});

test('a pass skips a log closed meanwhile', async () => {
  await withLog(async (log) => {
    log.append(envelopeAt(NOW - 40 * DAY, 'message'));
    log.close();
    const warnings: string[] = [];
    const logger = createSilentLogger();
    logger.warn = ((message: string) => {
      warnings.push(message);
      return logger;
    }) as unknown as typeof logger.warn;
    await new EventRetention({ openLogs: () => [['s', log]], policy: { maxAgeMs: DAY, maxBytes: 0 }, intervalMs: 60_000, logger }).runOnce();
    assert.deepEqual(warnings, []);
  });
});
