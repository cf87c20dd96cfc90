import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FLAG_POLICY, isAllowedFlag, parseAllowedFlagNames, refusedFlags, describeRefusedFlags } from '../../src/browser/chromium-flags.js';

const DANGEROUS = [
  '--renderer-cmd-prefix=/bin/sh -c id',
  '--utility-cmd-prefix=touch /tmp/x',
  '--gpu-launcher=/tmp/evil',
  '--browser-subprocess-path=/tmp/evil',
  '--remote-debugging-port=9222',
  '--remote-debugging-pipe',
  '--remote-debugging-address=0.0.0.0',
  '--user-data-dir=/work/sessions/other/session-other',
  '--load-extension=/tmp/ext',
  '--log-file=/etc/cron.d/x',
  '--enable-logging',
  '--js-flags=--logfile=/tmp/x',
  '--proxy-server=http://evil:1',
  '--disable-web-security',
  '--disable-site-isolation-trials',
  '--disable-extensions-except=/tmp/evil-extension',
  '--disable-extensions-file-access-check',
  '--disable-gpu-sandbox',
  '--disable-seccomp-filter-sandbox',
  '--Renderer-Cmd-Prefix=/bin/sh',
  '-renderer-cmd-prefix=/bin/sh',
  '--',
  'renderer-cmd-prefix',
];

test('flags that run programs, open the browser to others, write files or leave the profile are refused', () => {
  for (const flag of DANGEROUS) assert.equal(isAllowedFlag(flag, DEFAULT_FLAG_POLICY), false, flag);
});

test('harmless flags are accepted, with values that hold spaces and commas', () => {
  for (const flag of [
    '--lang=de',
    '--window-size=1280,800',
    '--host-resolver-rules=MAP a.example 127.0.0.1, MAP b.example 127.0.0.1',
    '--proxy-bypass-list=*.internal;localhost',
    '--disable-features=Translate,MediaRouter',
    '--enable-features=NetworkService',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--renderer-process-limit=2',
    '--no-zygote',
  ]) {
    assert.equal(isAllowedFlag(flag, DEFAULT_FLAG_POLICY), true, flag);
  }
});

test('an operator can allow more switches by name; the message names refused flags but never their values', () => {
  const policy = { extraAllowed: parseAllowedFlagNames('--remote-debugging-port, js-flags') };
  assert.equal(isAllowedFlag('--remote-debugging-port=9222', policy), true);
  assert.equal(isAllowedFlag('--js-flags=--max-old-space-size=256', policy), true);
  assert.equal(isAllowedFlag('--gpu-launcher=/x', policy), false);
  const refused = refusedFlags(['--lang=en', '--gpu-launcher=/tmp/secret-path', '--log-file=/x'], DEFAULT_FLAG_POLICY);
  assert.deepEqual(refused, ['--gpu-launcher=/tmp/secret-path', '--log-file=/x']);
  const message = describeRefusedFlags(refused);
  assert.match(message, /--gpu-launcher, --log-file are not allowed/);
  assert.match(message, /--allow-chromium-flags/);
  assert.doesNotMatch(message, /secret-path/);
  assert.throws(() => parseAllowedFlagNames('--ok, bad name!'), /'name!' is not a Chromium switch name/);
});
