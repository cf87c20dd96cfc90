import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SessionConfigInputSchema,
  isValidSessionId,
  redactSessionConfig,
  resolveSessionConfig,
} from '../../src/sessions/session-config.js';

test('session ids: letters, digits, _ and -, 1 to 64 characters; nothing that could walk the file system', () => {
  for (const good of ['a', 'support-desk_1', 'A'.repeat(64)]) assert.equal(isValidSessionId(good), true, good);
  for (const bad of ['', 'A'.repeat(65), '../etc', 'a/b', 'a.b', 'a b', '%2e%2e', 'ü']) assert.equal(isValidSessionId(bad), false, bad);
});

test('defaults fill what the user left out; sandbox follows the server default', () => {
  assert.deepEqual(resolveSessionConfig({}, { sandbox: true }), {
    headless: true,
    qrTimeout: 20,
    qrMaxRetries: 6,
    authTimeout: 60,
    chromiumArgs: [],
    restartOnCrash: true,
    webhookUrl: undefined,
    webhooks: [],
    sandbox: true,
    proxyServerCredentials: undefined,
    hibernateAfterMinutes: undefined,
    wakeEveryMinutes: undefined,
  });
  assert.equal(resolveSessionConfig({ sandbox: false }, { sandbox: true }).sandbox, false);
});

test('bad config is refused with the field named', () => {
  const bad: [unknown, RegExp][] = [
    [{ qrTimeout: 1 }, /qrTimeout/],
    [{ headless: 'yes' }, /headless/],
    [{ chromiumArgs: ['rm -rf'] }, /chromiumArgs/],
    [{ webhookUrl: 'not a url' }, /webhookUrl/],
    [{ proxyServerCredentials: { protocol: 'ftp', address: 'p:1' } }, /protocol/],
    [{ proxyServerCredentials: { protocol: 'http', address: 'nohost' } }, /address/],
    [{ proxyServerCredentials: { protocol: 'http', address: 'p:1', password: 'x' } }, /password needs a username/],
    [{ unknownSetting: 1 }, /unknownSetting/],
    [{ hibernateAfterMinutes: 0 }, /hibernateAfterMinutes/],
    [{ hibernateAfterMinutes: 0.01 }, /at least 0.05/],
    [{ hibernateAfterMinutes: 'soon' }, /hibernateAfterMinutes/],
    [{ wakeEveryMinutes: 60 }, /wakeEveryMinutes.*needs hibernateAfterMinutes/],
    [{ hibernateAfterMinutes: null, wakeEveryMinutes: 60 }, /needs hibernateAfterMinutes/],
    [{ hibernateAfterMinutes: 5, wakeEveryMinutes: 0 }, /wakeEveryMinutes/],
  ];
  for (const [input, field] of bad) {
    const result = SessionConfigInputSchema.safeParse(input);
    assert.equal(result.success, false, JSON.stringify(input));
    assert.match(JSON.stringify(result.error?.issues), field);
  }
});

test('the proxy password and webhook secrets never leave the server', () => {
  const config = resolveSessionConfig(
    {
      proxyServerCredentials: { protocol: 'http', address: 'proxy:3128', username: 'u', password: 'hunter2' },
      webhooks: [{ url: 'https://crm.example.com/wa', secret: 'webhook-secret-1' }],
    },
    { sandbox: false },
  );
  const shown = JSON.stringify(redactSessionConfig(config));
  assert.doesNotMatch(shown, /hunter2/);
  assert.doesNotMatch(shown, /webhook-secret-1/);
  assert.match(shown, /"passwordSet":true/);
  assert.match(shown, /"secretSet":true/);
});

test('hibernation settings: fractions of a minute, null to never sleep, wakeEveryMinutes only with hibernateAfterMinutes', () => {
  for (const good of [{ hibernateAfterMinutes: 0.05 }, { hibernateAfterMinutes: 30, wakeEveryMinutes: 60 }, { hibernateAfterMinutes: null }]) {
    assert.equal(SessionConfigInputSchema.safeParse(good).success, true, JSON.stringify(good));
  }
  const resolved = resolveSessionConfig({ hibernateAfterMinutes: 30, wakeEveryMinutes: 60 }, { sandbox: false });
  assert.equal(resolved.hibernateAfterMinutes, 30);
  assert.equal(resolved.wakeEveryMinutes, 60);
  assert.equal(resolveSessionConfig({ hibernateAfterMinutes: null }, { sandbox: false }).hibernateAfterMinutes, null);
});
