import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

test('defaults: port 8080 on 0.0.0.0, 10 sessions, ./sessions, no sandbox by default, recovery on', () => {
  const config = loadConfig([], {});
  assert.equal(config.port, 8080);
  assert.equal(config.host, '0.0.0.0');
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
    [['--bogus'], {}, /Unknown argument '--bogus'/],
    [['--port'], {}, /--port needs a value/],
  ];
  for (const [argv, env, message] of cases) {
    assert.throws(() => loadConfig(argv, env), (error: unknown) => error instanceof ConfigError && message.test(error.message), `${argv} ${JSON.stringify(env)}`);
  }
});
