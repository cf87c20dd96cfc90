import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  chromiumArgs,
  isBrowserForProfile,
  isMainBrowser,
  killProfileProcesses,
  processesForProfile,
  userDataDirOf,
} from '../../src/browser/profile-processes.js';
import type { ProcessInfo } from '../../src/browser/process-table.js';
import { TimeoutError } from '../../src/shared/errors.js';
import { FakeProcessTable } from '../fakes/fake-process-table.js';

const CHROMIUM = '/usr/lib/chromium/chromium';
const PROFILE = '/data/sessions/s1/session-s1';

function proc(pid: number, args: string[], extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, ppid: 1, pgid: pid, state: 'S', args, ...extra };
}

/** A main browser (own group) and the children Chromium forks, whose titles are rewritten into one string. */
function browser(pid: number, profile: string): ProcessInfo[] {
  return [
    proc(pid, [CHROMIUM, '--headless=new', '--no-sandbox', `--user-data-dir=${profile}`, 'about:blank']),
    proc(pid + 1, [`${CHROMIUM} --type=zygote --no-sandbox --user-data-dir=${profile} --change-stack-guard-on-fork=enable`], { ppid: pid, pgid: pid }),
    proc(pid + 2, [`${CHROMIUM} --type=renderer --user-data-dir=${profile} --lang=en-US`], { ppid: pid + 1, pgid: pid }),
  ];
}

describe('userDataDirOf', () => {
  const cases: { name: string; args: string[]; expected: string | undefined }[] = [
    { name: '--flag=value', args: [CHROMIUM, '--user-data-dir=/a/b'], expected: '/a/b' },
    { name: '--flag value', args: [CHROMIUM, '--user-data-dir', '/a/b', '--no-sandbox'], expected: '/a/b' },
    { name: 'resolves relative and unnormalized paths', args: [CHROMIUM, '--user-data-dir=sessions/s1/../s1/session-s1/'], expected: path.resolve('sessions/s1/session-s1') },
    { name: 'the last occurrence wins', args: [CHROMIUM, '--user-data-dir=/a', '--user-data-dir=/b'], expected: '/b' },
    { name: 'absent', args: [CHROMIUM, '--no-sandbox'], expected: undefined },
    { name: 'empty value', args: [CHROMIUM, '--user-data-dir='], expected: undefined },
    { name: 'flag without a value at the end', args: [CHROMIUM, '--user-data-dir'], expected: undefined },
    { name: 'a similar flag is not it', args: [CHROMIUM, '--user-data-dirs=/a'], expected: undefined },
    { name: 'rewritten child title', args: [`${CHROMIUM} --type=renderer --user-data-dir=/a/b --lang=en-US`], expected: '/a/b' },
    { name: 'rewritten title, path with spaces', args: [`${CHROMIUM} --type=zygote --user-data-dir=/tmp/my prof/session-x --no-sandbox`], expected: '/tmp/my prof/session-x' },
    { name: 'rewritten title, flag last', args: [`${CHROMIUM} --type=zygote --user-data-dir=/tmp/x `], expected: '/tmp/x' },
    { name: 'rewritten title, space form', args: [`${CHROMIUM} --type=zygote --user-data-dir /tmp/x --lang=en`], expected: '/tmp/x' },
    { name: 'no args (kernel thread)', args: [], expected: undefined },
  ];
  for (const { name, args, expected } of cases) {
    it(name, () => assert.equal(userDataDirOf(args), expected));
  }

  it('leaves an ordinary single argument alone', () => {
    assert.deepEqual(chromiumArgs(['/bin/sleep']), ['/bin/sleep']);
    assert.deepEqual(chromiumArgs(['/bin/sh', '-c', 'x --y']), ['/bin/sh', '-c', 'x --y']);
  });
});

describe('isBrowserForProfile', () => {
  const cases: { name: string; info: ProcessInfo; expected: boolean }[] = [
    { name: 'main Chromium of the profile', info: proc(10, [CHROMIUM, `--user-data-dir=${PROFILE}`]), expected: true },
    { name: 'Google Chrome', info: proc(10, ['/opt/google/chrome/chrome', `--user-data-dir=${PROFILE}`]), expected: true },
    { name: 'chrome-headless-shell', info: proc(10, ['/x/chrome-headless-shell', `--user-data-dir=${PROFILE}`]), expected: true },
    { name: 'rewritten renderer title', info: proc(10, [`${CHROMIUM} --type=renderer --user-data-dir=${PROFILE} --lang=en`]), expected: true },
    { name: 'profile given with a trailing slash', info: proc(10, [CHROMIUM, `--user-data-dir=${PROFILE}/`]), expected: true },
    { name: 'zombie', info: proc(10, [CHROMIUM, `--user-data-dir=${PROFILE}`], { state: 'Z' }), expected: false },
    { name: 'another profile', info: proc(10, [CHROMIUM, '--user-data-dir=/data/sessions/s2/session-s2']), expected: false },
    { name: 'a profile whose name starts the same', info: proc(10, [CHROMIUM, `--user-data-dir=${PROFILE}2`]), expected: false },
    { name: 'not a browser although it names the profile', info: proc(10, ['/usr/bin/node', 'tool.js', `--user-data-dir=${PROFILE}`]), expected: false },
    { name: 'a browser-named directory does not make a browser', info: proc(10, ['/opt/chromium/node', `--user-data-dir=${PROFILE}`]), expected: false },
    { name: 'no args', info: proc(10, []), expected: false },
  ];
  for (const { name, info, expected } of cases) {
    it(name, () => assert.equal(isBrowserForProfile(info, PROFILE), expected));
  }

  it('tells the main browser from its children', () => {
    const [main, zygote, renderer] = browser(100, PROFILE);
    assert.deepEqual([main, zygote, renderer].map((info) => info && isMainBrowser(info)), [true, false, false]);
  });
});

describe('processesForProfile / killProfileProcesses', () => {
  it('finds the main browser and its children only', async () => {
    const table = new FakeProcessTable();
    for (const info of [...browser(100, PROFILE), ...browser(200, '/data/sessions/s2/session-s2')]) table.add(info);
    table.add(proc(300, ['/bin/sleep', '30']));
    assert.deepEqual((await processesForProfile(table, PROFILE)).map((info) => info.pid).sort(), [100, 101, 102]);
  });

  it('kills the group of the main browser and each process, and nothing else', async () => {
    const table = new FakeProcessTable();
    for (const info of [...browser(100, PROFILE), ...browser(200, '/data/sessions/s2/session-s2')]) table.add(info);
    const killed = await killProfileProcesses(table, PROFILE, { deadlineMs: 1_000, pollMs: 5 });
    assert.deepEqual(killed.sort(), [100, 101, 102]);
    assert.deepEqual(table.pids(), [200, 201, 202]);
    assert.ok(table.signals.some((s) => s.kind === 'group' && s.target === 100 && s.signal === 'SIGKILL'));
    assert.ok(table.signals.every((s) => s.signal === 'SIGKILL' && s.target < 200));
  });

  it('does not signal the group of a browser that does not lead its own group', async () => {
    const table = new FakeProcessTable();
    table.add(proc(100, [CHROMIUM, `--user-data-dir=${PROFILE}`], { pgid: 42 }));
    table.add(proc(42, ['/usr/bin/node', 'server.js'], { pgid: 42 }));
    assert.deepEqual(await killProfileProcesses(table, PROFILE, { deadlineMs: 1_000, pollMs: 5 }), [100]);
    assert.equal(table.has(42), true);
    assert.equal(table.signals.some((s) => s.kind === 'group'), false);
  });

  it('resolves at once with nothing to kill', async () => {
    const table = new FakeProcessTable().add(proc(100, [CHROMIUM, `--user-data-dir=${PROFILE}`], { state: 'Z' }));
    assert.deepEqual(await killProfileProcesses(table, PROFILE, { deadlineMs: 0 }), []);
    assert.deepEqual(table.signals, []);
  });

  it('spares an owned browser and its descendants', async () => {
    const table = new FakeProcessTable();
    for (const info of browser(100, PROFILE)) table.add(info);
    table.add(proc(500, [CHROMIUM, `--user-data-dir=${PROFILE}`])); // an orphan beside it
    const killed = await killProfileProcesses(table, PROFILE, { deadlineMs: 1_000, pollMs: 5, spare: (pid) => pid === 100 });
    assert.deepEqual(killed, [500]);
    assert.deepEqual(table.pids(), [100, 101, 102]);
  });

  it('rejects with TimeoutError when a process survives the deadline', async () => {
    const table = new FakeProcessTable();
    table.add(proc(100, [CHROMIUM, `--user-data-dir=${PROFILE}`], { pgid: 7 }), { survivesKill: true });
    const started = Date.now();
    await assert.rejects(killProfileProcesses(table, PROFILE, { deadlineMs: 60, pollMs: 10 }), (error: unknown) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /100/);
      return true;
    });
    assert.ok(Date.now() - started >= 60);
    assert.ok(table.killedPids().length >= 2, 'it keeps killing while it polls');
  });
});
