import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

test('defaults: port 8080 on loopback, 10 sessions, ./sessions, no sandbox by default, recovery on', () => {
  const config = loadConfig([], {});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.trustProxy, false);
  assert.equal(config.rateLimitMax, 1000);
  assert.equal(config.rateLimitWindowMs, 10_000);
  assert.equal(config.maxSessions, 10);
  assert.equal(config.sessionsDir, path.resolve('./sessions'));
  assert.equal(config.sandbox, false);
  assert.equal(config.recoverSessions, true);
  assert.equal(config.webVersionCache, 'none');
  assert.equal(config.apiKey, undefined);
  assert.deepEqual(config.chromiumArgs, []);
});

test('CLI flags win over the environment, in both --flag value and --flag=value forms', () => {
  const config = loadConfig(['--port', '9000', '--max-sessions=3', '--sandbox'], { PORT: '7000', MAX_SESSIONS: '5', SANDBOX: 'false' });
  assert.equal(config.port, 9000);
  assert.equal(config.maxSessions, 3);
  assert.equal(config.sandbox, true);
});

test('environment settings are read', () => {
  const config = loadConfig([], {
    API_KEY: 'a-long-secret',
    CHROMIUM_ARGS: '--lang=de  --window-size=800,600',
    RECOVER_SESSIONS: 'false',
    LOG_LEVEL: 'debug',
    CHROME_BIN: '/opt/chrome',
    WEBHOOK_HOST: 'https://hooks.example.com/in',
  });
  assert.equal(config.apiKey, 'a-long-secret');
  assert.deepEqual(config.chromiumArgs, ['--lang=de', '--window-size=800,600']);
  assert.equal(config.recoverSessions, false);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.chromeBin, '/opt/chrome');
  assert.equal(config.webhookHost, 'https://hooks.example.com/in');
});

test('hibernation: off unless set, minutes with fractions, scheduled wakes 2 at a time by default', () => {
  const defaults = loadConfig([], {});
  assert.equal(defaults.hibernateAfterMinutes, undefined);
  assert.equal(defaults.wakeConcurrency, 2);
  const set = loadConfig(['--hibernate-after-minutes', '0.5'], { WAKE_CONCURRENCY: '5' });
  assert.equal(set.hibernateAfterMinutes, 0.5);
  assert.equal(set.wakeConcurrency, 5);
  assert.equal(loadConfig([], { HIBERNATE_AFTER_MINUTES: '30' }).hibernateAfterMinutes, 30);
  for (const bad of ['0', '-1', 'soon', '1e3', '0.01']) {
    assert.throws(() => loadConfig([], { HIBERNATE_AFTER_MINUTES: bad }), /HIBERNATE_AFTER_MINUTES \(--hibernate-after-minutes\)/, bad);
  }
  assert.throws(() => loadConfig([], { WAKE_CONCURRENCY: '0' }), /WAKE_CONCURRENCY/);
});

test('an invalid setting stops start-up with a message naming it', () => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--port', 'eighty'], {}, /PORT \(--port\)/],
    [[], { PORT: '70000' }, /PORT/],
    [[], { MAX_SESSIONS: '0' }, /MAX_SESSIONS/],
    [[], { SANDBOX: 'maybe' }, /SANDBOX/],
    [[], { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [[], { WEBHOOK_HOST: 'ftp://x' }, /WEBHOOK_HOST/],
    [[], { API_KEY: 'short' }, /API_KEY/],
    [[], { CHROMIUM_ARGS: 'lang=de' }, /CHROMIUM_ARGS/],
    [[], { CHROMIUM_ARGS: '--renderer-cmd-prefix=/bin/sh' }, /CHROMIUM_ARGS: Chromium flag --renderer-cmd-prefix is not allowed/],
    [[], { CHROMIUM_ARGS: '["--lang=de", 3]' }, /CHROMIUM_ARGS: the JSON array must hold only strings/],
    [[], { CHROMIUM_ARGS: '[--lang' }, /CHROMIUM_ARGS: it starts with \[ but is not a JSON array/],
    [[], { ALLOW_CHROMIUM_FLAGS: 'ok,no_way!' }, /ALLOW_CHROMIUM_FLAGS/],
    [[], { TRUST_PROXY: 'true' }, /TRUST_PROXY.*would trust any client/],
    [[], { TRUST_PROXY: '10.0.0.0/99' }, /TRUST_PROXY/],
    [['--bogus'], {}, /Unknown argument '--bogus'/],
    [['--apikey=s3cret-value-123'], {}, /^Unknown argument '--apikey'$/],
    [['--port'], {}, /--port needs a value/],
  ];
  for (const [argv, env, message] of cases) {
    assert.throws(() => loadConfig(argv, env), (error: unknown) => error instanceof ConfigError && message.test(error.message), `${argv} ${JSON.stringify(env)}`);
  }
});

test('CHROMIUM_ARGS as a JSON array keeps values with spaces; --allow-chromium-flags widens the list', () => {
  const rules = '--host-resolver-rules=MAP a.example 127.0.0.1, MAP b.example 127.0.0.1';
  assert.deepEqual(loadConfig([], { CHROMIUM_ARGS: JSON.stringify([rules, '--lang=de']) }).chromiumArgs, [rules, '--lang=de']);
  const widened = loadConfig(['--allow-chromium-flags', 'remote-debugging-port'], { CHROMIUM_ARGS: '--remote-debugging-port=9222' });
  assert.deepEqual(widened.chromiumArgs, ['--remote-debugging-port=9222']);
  assert.deepEqual([...widened.allowChromiumFlags], ['remote-debugging-port']);
});

test('without an API key the server keeps to loopback; a wider --host needs API_KEY or an explicit override', () => {
  assert.equal(loadConfig([], { API_KEY: 'a-long-secret' }).host, '0.0.0.0');
  assert.equal(loadConfig(['--host', '::1'], {}).host, '::1');
  assert.equal(loadConfig(['--host', 'localhost'], {}).host, 'localhost');
  for (const host of ['0.0.0.0', '192.168.1.5', '::']) {
    assert.throws(
      () => loadConfig(['--host', host], {}),
      (error: unknown) => error instanceof ConfigError && /API_KEY/.test(error.message) && /--insecure-no-api-key/.test(error.message),
      host,
    );
  }
  assert.equal(loadConfig(['--host', '0.0.0.0', '--insecure-no-api-key'], {}).host, '0.0.0.0');
  assert.equal(loadConfig([], { HOST: '0.0.0.0', API_KEY: 'a-long-secret' }).host, '0.0.0.0');
});

test('a secret that is too short is refused without being echoed', () => {
  for (const [env, secret] of [['API_KEY', 'hunter2'], ['WEBHOOK_SECRET', 'pass123']] as const) {
    assert.throws(
      () => loadConfig([], { [env]: secret }),
      (error: unknown) => error instanceof ConfigError && error.message.includes(env) && !error.message.includes(secret),
      env,
    );
  }
});

test('--trust-proxy takes a hop count or proxy addresses', () => {
  assert.equal(loadConfig(['--trust-proxy', '1'], {}).trustProxy, 1);
  assert.deepEqual(loadConfig(['--trust-proxy', 'loopback, 10.0.0.0/8,::1'], {}).trustProxy, ['loopback', '10.0.0.0/8', '::1']);
});

test('log lines never carry the API key or webhook secret, wherever they appear', async () => {
  const { createLogger } = await import('../../src/shared/logger.js');
  const { Writable } = await import('node:stream');
  const winston = (await import('winston')).default;
  const lines: string[] = [];
  const logger = createLogger('debug', ['the-api-key-123', 'hook-secret-456']);
  logger.clear().add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }) }));
  logger.info('GET /api/v1/events/stream?apiKey=the-api-key-123', { url: '/x?apiKey=the-api-key-123', nested: { list: ['hook-secret-456'] } });
  logger.error(new Error('bad key the-api-key-123').message);
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.doesNotMatch(line, /the-api-key-123|hook-secret-456/);
    assert.match(line, /\[redacted\]/);
  }
});
