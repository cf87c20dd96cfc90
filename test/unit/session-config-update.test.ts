/**
 * Changing a session's config after creation (PATCH): what a patch does to the config, what it refuses, that it
 * is saved and keeps the login, and that sleep settings take effect at once (real manager and hibernation, fake
 * clients, a clock moved by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLAG_POLICY } from '../../src/browser/chromium-flags.js';
import { resolveSessionConfig, SessionConfigPatchSchema } from '../../src/sessions/session-config.js';
import { applyConfigPatch } from '../../src/sessions/session-config-update.js';
import { MINUTE, setup, linked } from '../fakes/hibernation-fixture.js';

const base = resolveSessionConfig(
  {
    proxyServerCredentials: { protocol: 'socks5', address: 'proxy.lan:1080', username: 'desk', password: 'hunter22' },
    webhookUrl: 'https://crm.example.com/hook',
    chromiumArgs: ['--lang=en-US'],
  },
  { sandbox: true },
);
const patch = (input: unknown) => applyConfigPatch(base, SessionConfigPatchSchema.parse(input), DEFAULT_FLAG_POLICY);

test('given fields replace the saved ones; null removes; what a running browser holds is told apart', () => {
  const update = patch({ restartOnCrash: false, chromiumArgs: ['--lang=de-DE'], webhookUrl: null });
  assert.equal(update.config.restartOnCrash, false);
  assert.deepEqual(update.config.chromiumArgs, ['--lang=de-DE']);
  assert.equal('webhookUrl' in update.config, false);
  assert.deepEqual(update.changed.sort(), ['chromiumArgs', 'restartOnCrash', 'webhookUrl']);
  assert.deepEqual(update.atNextStart, ['chromiumArgs']);
  assert.deepEqual(update.config.proxyServerCredentials, base.proxyServerCredentials, 'untouched fields stay');
  assert.deepEqual(patch({ restartOnCrash: true }).changed, [], 'the same value is no change');
});

test('a proxy sent back without its password (the API never shows it) keeps the saved one, unless it is another proxy', () => {
  const same = patch({ proxyServerCredentials: { protocol: 'socks5', address: 'proxy.lan:1080', username: 'desk' } });
  assert.equal(same.config.proxyServerCredentials?.password, 'hunter22');
  assert.deepEqual(same.changed, []);
  const moved = patch({ proxyServerCredentials: { protocol: 'socks5', address: 'proxy2.lan:1080', username: 'desk' } });
  assert.equal(moved.config.proxyServerCredentials?.password, undefined);
  assert.deepEqual(moved.atNextStart, ['proxyServerCredentials']);
  assert.equal(patch({ proxyServerCredentials: null }).config.proxyServerCredentials, undefined);
});

test('webhooks sent back as the API shows them (no secret) keep the secret saved for their URL', () => {
  const signed = resolveSessionConfig({ webhooks: [{ url: 'https://crm.example.com/a', secret: 'shared-secret-1' }] }, { sandbox: true });
  const update = applyConfigPatch(signed, SessionConfigPatchSchema.parse({ webhooks: [{ url: 'https://crm.example.com/a', events: ['message'] }, { url: 'https://other.example.com/b' }] }), DEFAULT_FLAG_POLICY);
  assert.deepEqual(update.config.webhooks, [
    { url: 'https://crm.example.com/a', events: ['message'], secret: 'shared-secret-1' },
    { url: 'https://other.example.com/b' },
  ]);
});

test('refused: the sandbox flag, flags off the allow-list, a schedule without sleep, unknown or no fields', () => {
  assert.throws(() => patch({ sandbox: false }), /config\.sandbox: cannot change after creation/);
  assert.throws(() => patch({ chromiumArgs: ['--remote-debugging-port=9222'] }), /config\.chromiumArgs/);
  assert.throws(() => patch({ wakeEveryMinutes: 30 }), /config\.wakeEveryMinutes: needs hibernateAfterMinutes/);
  assert.equal(SessionConfigPatchSchema.safeParse({ color: 'blue' }).success, false);
  assert.equal(SessionConfigPatchSchema.safeParse({}).success, false);
});

test('a change is saved with the login kept, and a shorter sleep takes effect at once', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', { hibernateAfterMinutes: 60 });
  const { result } = await fixture.manager.updateConfig('desk', (config) => {
    const update = applyConfigPatch(config, SessionConfigPatchSchema.parse({ hibernateAfterMinutes: 1, restartOnCrash: false }), DEFAULT_FLAG_POLICY);
    return { config: update.config, result: update };
  });
  fixture.hibernation.configChanged('desk');
  assert.deepEqual(result.changed.sort(), ['hibernateAfterMinutes', 'restartOnCrash']);
  assert.equal(session.status.status, 'WORKING', 'the browser was left alone');
  const saved = await fixture.store.read('desk');
  assert.equal(saved?.config.hibernateAfterMinutes, 1);
  assert.equal(saved?.config.restartOnCrash, false);
  assert.equal(saved?.desiredState, 'running');
  await fixture.timers.advance(MINUTE);
  assert.equal(session.status.status, 'HIBERNATED', 'asleep after the new idle time, not the old one');
});

test('a change that cannot be saved is not in force', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  fixture.store.write = async () => {
    throw new Error('EROFS: read-only file system');
  };
  await assert.rejects(
    fixture.manager.updateConfig('desk', (config) => ({ config: { ...config, restartOnCrash: false }, result: undefined })),
    /EROFS/,
  );
  assert.equal(session.config.restartOnCrash, true);
});
