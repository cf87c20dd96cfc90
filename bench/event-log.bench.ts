/**
 * What appending to a session's durable event log costs, per event: the price every message pays before anyone
 * sees it. Run: npm run bench
 * It runs this checkout's code in-process, so it has no baseline to compare: with --baseline it says so and skips.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { SqliteEventLog, type NewDelivery } from '../src/events/event-log.js';
import { newEventId, type EventEnvelope } from '../src/events/event-envelope.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const WARMUP = 1_000;

function messageEnvelope(i: number): EventEnvelope {
  return {
    id: newEventId(),
    timestamp: new Date().toISOString(),
    event: 'message',
    session: 'bench',
    me: { id: '15550000001@c.us', pushName: 'Bench' },
    payload: {
      id: `false_15557770000@c.us_${i.toString(16).padStart(20, '0')}`,
      chatId: '15557770000@c.us',
      from: '15557770000@c.us',
      to: '15550000001@c.us',
      body: `message number ${i}: a typical short text of about eighty characters in a chat`,
      type: 'chat',
      timestamp: 1_763_700_000 + i,
      fromMe: false,
      hasMedia: false,
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function run(webhooks: number): { label: string; p50: number; p99: number; max: number; perSecond: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wamux-bench-'));
  const log = new SqliteEventLog(path.join(dir, 'events.db'));
  const deliveriesFor = (): NewDelivery[] =>
    Array.from({ length: webhooks }, (_, k) => ({ deliveryId: randomUUID(), webhookKey: `hook${k}`, url: `http://127.0.0.1:9/${k}` }));
  for (let i = 0; i < WARMUP; i++) log.append(messageEnvelope(i), deliveriesFor());
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const envelope = messageEnvelope(i);
    const deliveries = deliveriesFor();
    const t0 = performance.now();
    log.append(envelope, deliveries);
    samples.push((performance.now() - t0) * 1000);
  }
  const elapsedS = (performance.now() - started) / 1000;
  log.close();
  rmSync(dir, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  return {
    label: `append, ${webhooks} webhook${webhooks === 1 ? '' : 's'}`,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.at(-1)!,
    perSecond: EVENTS / elapsedS,
  };
}

if (process.argv.slice(2).some((arg) => arg === '--baseline' || arg.startsWith('--baseline='))) {
  console.log('event log bench: skipped with --baseline (it measures this checkout in-process; run npm run bench without it)');
  process.exit(0);
}

const rows = [run(0), run(1), run(3)];
console.log(`event log append cost (SQLite WAL, synchronous=NORMAL, ${EVENTS} events after ${WARMUP} warm-up, one process)`);
console.log('| case | p50 µs | p99 µs | max µs | events/s (loop) |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const row of rows) {
  console.log(`| ${row.label} | ${row.p50.toFixed(1)} | ${row.p99.toFixed(1)} | ${row.max.toFixed(0)} | ${Math.round(row.perSecond)} |`);
}
