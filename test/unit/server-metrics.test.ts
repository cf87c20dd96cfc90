/** The Prometheus text the server answers: what each metric reports, and that a deleted session's series go. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServerMetrics, type SessionView } from '../../src/metrics/server-metrics.js';
import { SessionEvents } from '../../src/sessions/session-events.js';
import type { ProbeSample } from '../../src/sessions/session-probe.js';
import type { QueueStats } from '../../src/events/event-log.js';
import type { WaMessage } from '../../src/wa/wa-client.js';
import { seriesValue } from '../support/prometheus.js';

const NOW = 1_800_000_000_000;

function message(id: string): WaMessage {
  return { id, chatId: '1555@c.us', from: '1555@c.us', to: '1666@c.us', body: 'hi', type: 'text', timestamp: 1, fromMe: false, hasMedia: false };
}


function fixture() {
  let sessions: SessionView[] = [
    { id: 'desk', status: 'WORKING' },
    { id: 'sales', status: 'WORKING' },
    { id: 'new', status: 'SCAN_QR_CODE' },
  ];
  const samples = new Map<string, ProbeSample>([
    ['desk', { at: NOW, browser: { processes: 7, mainAlive: true, pssKib: 204_800, pssAnonKib: 102_400 }, responsive: true }],
    ['sales', { at: NOW, browser: { processes: 6, mainAlive: true, pssKib: 100, pssAnonKib: 50 }, responsive: false }],
    ['new', { at: NOW, browser: { processes: 5, mainAlive: true, pssKib: 100, pssAnonKib: 50 }, responsive: undefined }],
  ]);
  const queues = new Map<string, QueueStats>([['desk', { pending: 3, oldestCreatedAt: NOW - 90_000 }]]);
  const metrics = new ServerMetrics({
    sessions: () => sessions,
    probe: (id) => samples.get(id),
    recycles: (id) => (id === 'desk' ? 2 : 0),
    webhookQueue: (id) => queues.get(id),
    now: () => NOW,
  });
  const events = new SessionEvents();
  metrics.follow(events);
  return { metrics, events, setSessions: (next: SessionView[]) => (sessions = next) };
}

test('sessions by status, and per session: browser memory and processes, page answering, queue, recycles', async () => {
  const { metrics } = fixture();
  const { contentType, body } = await metrics.render();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  assert.equal(seriesValue(body, 'wamux_sessions{status="WORKING"}'), 2);
  assert.equal(seriesValue(body, 'wamux_sessions{status="SCAN_QR_CODE"}'), 1);
  assert.equal(seriesValue(body, 'wamux_sessions{status="FAILED"}'), 0, 'every status is listed');
  assert.equal(seriesValue(body, 'wamux_session_browser_pss_bytes{session="desk"}'), 200 * 1024 * 1024);
  assert.equal(seriesValue(body, 'wamux_session_browser_anon_pss_bytes{session="desk"}'), 100 * 1024 * 1024);
  assert.equal(seriesValue(body, 'wamux_session_browser_processes{session="desk"}'), 7);
  assert.equal(seriesValue(body, 'wamux_session_browser_up{session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_session_page_responsive{session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_session_page_responsive{session="sales"}'), 0);
  assert.equal(seriesValue(body, 'wamux_session_page_responsive{session="new"}'), undefined, 'not pinged before WORKING');
  assert.equal(seriesValue(body, 'wamux_session_memory_recycles_total{session="desk"}'), 2);
  assert.equal(seriesValue(body, 'wamux_webhook_queue_depth{session="desk"}'), 3);
  assert.equal(seriesValue(body, 'wamux_webhook_oldest_pending_age_seconds{session="desk"}'), 90);
  assert.equal(seriesValue(body, 'wamux_webhook_queue_depth{session="sales"}'), undefined, 'a closed log is not opened to be counted');
  assert.ok(seriesValue(body, 'process_resident_memory_bytes')! > 0, "the process's own metrics");
});

test('messages both ways, crashes and restarts, webhook attempts and deliveries, event appends, requests', async () => {
  const { metrics, events } = fixture();
  events.emit('message', { sessionId: 'desk', me: undefined, message: message('a') });
  events.emit('message', { sessionId: 'desk', me: undefined, message: message('b') });
  events.emit('messageSent', { sessionId: 'desk', me: undefined, message: message('c') });
  events.emit('crashed', { sessionId: 'sales', reason: 'the page has not answered for 60 s while its browser runs' });
  events.emit('restarting', { sessionId: 'sales' });
  metrics.deliveryAttempted('desk', 'retry');
  metrics.deliveryAttempted('desk', 'delivered');
  metrics.deliveryAttempted('desk', 'failed');
  metrics.eventAppended('desk', 0.0004);
  metrics.requestFinished('POST', '/api/v1/sessions/:id/messages/text', 201, 0.03);
  const { body } = await metrics.render();
  assert.equal(seriesValue(body, 'wamux_messages_total{direction="in",session="desk"}'), 2);
  assert.equal(seriesValue(body, 'wamux_messages_total{direction="out",session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_session_crashes_total{session="sales"}'), 1);
  assert.equal(seriesValue(body, 'wamux_session_restarts_total{session="sales"}'), 1);
  assert.equal(seriesValue(body, 'wamux_webhook_attempts_total{outcome="retry",session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_webhook_deliveries_total{outcome="delivered",session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_webhook_deliveries_total{outcome="failed",session="desk"}'), 1);
  assert.equal(seriesValue(body, 'wamux_webhook_deliveries_total{outcome="retry",session="desk"}'), undefined, 'a retry is no finished delivery');
  assert.equal(seriesValue(body, 'wamux_event_log_append_seconds_count'), 1);
  assert.equal(seriesValue(body, 'wamux_event_log_append_seconds_bucket{le="0.0005"}'), 1);
  assert.equal(seriesValue(body, 'wamux_session_seconds_since_last_event{session="desk"}'), 0);
  assert.equal(seriesValue(body, 'wamux_http_request_duration_seconds_count{method="POST",route="/api/v1/sessions/:id/messages/text",status="201"}'), 1);
  assert.doesNotMatch(body, /1555@c\.us/, 'no chat id in any label');
});

test("a deleted session's series go with it", async () => {
  const { metrics, events, setSessions } = fixture();
  events.emit('message', { sessionId: 'sales', me: undefined, message: message('a') });
  metrics.deliveryAttempted('sales', 'delivered');
  metrics.eventAppended('sales', 0.001);
  assert.match((await metrics.render()).body, /session="sales"/);
  setSessions([{ id: 'desk', status: 'WORKING' }]);
  const { body } = await metrics.render();
  assert.doesNotMatch(body, /session="sales"/);
  assert.match(body, /session="desk"/);
});
