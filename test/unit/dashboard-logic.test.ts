/** The dashboard's pure parts: what its forms send to the API, and how it reads /metrics. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configOf, formOf, patchOf } from '../../src/dashboard/app/config-form.js';
import { parseSessionMetrics } from '../../src/dashboard/app/metrics.js';
import type { Session } from '../../src/dashboard/app/types.js';

const session = (config: Session['config']): Session => ({ id: 'desk', status: 'WORKING', createdAt: '', config, history: [] });

test('a new session sends only the fields set, numbers as numbers and text that is no number as typed', () => {
  const form = { ...formOf(undefined, true), qrTimeout: '15', authTimeout: 'soon', chromiumArgs: '--lang=de\n\n --mute-audio ' };
  assert.deepEqual(configOf(form), {
    sandbox: true,
    headless: true,
    restartOnCrash: true,
    qrTimeout: 15,
    authTimeout: 'soon',
    chromiumArgs: ['--lang=de', '--mute-audio'],
  });
});

test('hibernation: server default, never, or after minutes', () => {
  assert.equal('hibernateAfterMinutes' in configOf(formOf(undefined, false)), false);
  assert.equal(configOf({ ...formOf(undefined, false), hibernate: 'never' }).hibernateAfterMinutes, null);
  assert.equal(configOf({ ...formOf(undefined, false), hibernate: 'after', hibernateAfterMinutes: '2.5' }).hibernateAfterMinutes, 2.5);
});

test('an edit sends what changed; a proxy or flags left alone are not sent (a scoped key may not send them)', () => {
  const current = session({
    sandbox: false, qrTimeout: 20, qrMaxRetries: 6, authTimeout: 60, headless: true, restartOnCrash: true, chromiumArgs: ['--lang=de'],
    proxyServerCredentials: { protocol: 'socks5', address: 'proxy:1080', username: 'u', passwordSet: true },
    webhooks: [{ url: 'https://hooks.example/a', secretSet: true }],
  });
  const form = formOf(current.config, false);
  assert.deepEqual(patchOf(form, current), {});
  assert.deepEqual(patchOf({ ...form, qrTimeout: '30' }, current), { qrTimeout: 30 });
  // removing the proxy is a null; typing its password again sends it whole
  assert.deepEqual(patchOf({ ...form, proxyProtocol: '' }, current), { proxyServerCredentials: null });
  assert.deepEqual(patchOf({ ...form, proxyPassword: 'new' }, current), {
    proxyServerCredentials: { protocol: 'socks5', address: 'proxy:1080', username: 'u', password: 'new' },
  });
  // a webhook shown without its secret goes back without one: the server keeps it
  assert.deepEqual(patchOf({ ...form, webhooks: [] }, current), { webhooks: [] });
  assert.deepEqual(patchOf({ ...form, webhooks: [{ ...form.webhooks[0]!, events: ['message'] }] }, current), {
    webhooks: [{ url: 'https://hooks.example/a', events: ['message'] }],
  });
  assert.deepEqual(patchOf({ ...form, sandbox: true }, current), {}, 'sandbox never changes');
});

test('metrics: the series of each session, counters split by a second label added up', () => {
  const text = [
    '# HELP wamux_session_browser_pss_bytes x',
    'wamux_session_browser_pss_bytes{session="desk-1"} 157286400',
    'wamux_session_browser_processes{session="desk-1"} 7',
    'wamux_session_restarts_total{session="desk-1",reason="crash"} 2',
    'wamux_session_restarts_total{session="desk-1",reason="unresponsive"} 1',
    'wamux_session_seconds_since_last_event{session="desk_2"} 12.5',
    'wamux_sessions{status="WORKING"} 2',
    'wamux_http_request_duration_seconds_count{method="GET",route="/x",status="200"} 4',
  ].join('\n');
  const parsed = parseSessionMetrics(text);
  assert.deepEqual(parsed.get('desk-1'), { pssBytes: 157286400, processes: 7, restarts: 3 });
  assert.deepEqual(parsed.get('desk_2'), { secondsSinceLastEvent: 12.5 });
  assert.equal(parsed.size, 2);
});
