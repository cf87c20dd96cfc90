/**
 * The probe: browsers measured and WORKING pages pinged on an interval; a page silent past the limit while its
 * browser runs is recovered as a crash (real session manager, fake clients, a clock moved by hand).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, until, linked, type Fixture } from '../fakes/hibernation-fixture.js';
import { SessionProbe, type SessionProbeSettings } from '../../src/sessions/session-probe.js';
import type { BrowserMemory } from '../../src/browser/profile-processes.js';
import { createSilentLogger } from '../../src/shared/logger.js';

const RUNNING: BrowserMemory = { processes: 6, mainAlive: true, pssKib: 200_000, pssAnonKib: 120_000 };
const GONE: BrowserMemory = { processes: 0, mainAlive: false, pssKib: 0, pssAnonKib: 0 };

function probeOf(fixture: Fixture, browsers: Map<string, BrowserMemory>, settings: Partial<SessionProbeSettings> = {}) {
  const crashes: string[] = [];
  fixture.events.on('crashed', ({ sessionId, reason }) => crashes.push(`${sessionId}: ${reason}`));
  const probe = new SessionProbe({
    sessions: () => fixture.manager.all(),
    browserMemory: async (ids) => ids.map((id) => browsers.get(id) ?? GONE),
    onUnresponsive: (sessionId, client, reason) => fixture.manager.reportUnresponsive(sessionId, client, reason),
    settings: { intervalMs: 15_000, pingTimeoutMs: 20, unresponsiveAfterMs: 60_000, ...settings },
    logger: createSilentLogger(),
    now: () => fixture.timers.now(),
  });
  return { probe, crashes };
}

test('each session is sampled: its browser memory, and whether its WORKING page answered', async () => {
  const fixture = setup();
  await linked(fixture, 'desk', {});
  await fixture.manager.create('idle', {}, { start: false });
  const { probe } = probeOf(fixture, new Map([['desk', RUNNING]]));
  await probe.probe();
  assert.deepEqual(probe.sample('desk')?.browser, RUNNING);
  assert.equal(probe.sample('desk')?.responsive, true);
  assert.equal(probe.sample('idle')?.browser, undefined, 'no client, no browser to measure');
  assert.equal(probe.sample('idle')?.responsive, undefined, 'a STOPPED session has no page to ping');
});

test('a page silent past the limit while its browser runs is recovered as a crash: new browser, WORKING again', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  const hung = fixture.factory.latest();
  hung.hung = true;
  const { probe, crashes } = probeOf(fixture, new Map([['desk', RUNNING]]));
  await probe.probe();
  assert.equal(probe.sample('desk')?.responsive, false);
  await fixture.timers.advance(59_000);
  await probe.probe();
  assert.deepEqual(crashes, [], 'not before the limit');
  assert.equal(hung.pings, 1, 'a page that has not answered is not pinged again');
  await fixture.timers.advance(1_000);
  await probe.probe();
  assert.equal(crashes.length, 1);
  assert.match(crashes[0]!, /^desk: the page has not answered for 60 s while its browser runs$/);
  await until(() => fixture.factory.clients.length === 2 && session.status.status === 'WORKING', 'a new browser, WORKING');
  assert.ok(hung.destroyed, 'the hung browser was closed');
  assert.ok(session.recentLogs().some((line) => /has not answered for 60 s/.test(line.message)), 'the session log says why');
  await probe.probe();
  assert.equal(probe.sample('desk')?.responsive, true, 'the new page answers');
});

test('a page that answers late ends the silence: the clock starts again at the next one', async () => {
  const fixture = setup();
  await linked(fixture, 'desk', {});
  const client = fixture.factory.latest();
  let answerLate: () => void = () => {};
  client.ping = () => new Promise<void>((resolve) => (answerLate = resolve));
  const { probe, crashes } = probeOf(fixture, new Map([['desk', RUNNING]]));
  await probe.probe();
  await fixture.timers.advance(50_000);
  answerLate();
  await new Promise((resolve) => setImmediate(resolve));
  client.ping = async () => {};
  await probe.probe();
  await fixture.timers.advance(30_000);
  await probe.probe();
  assert.deepEqual(crashes, []);
  assert.equal(probe.sample('desk')?.responsive, true);
});

test('no restart when the browser is gone (its crash is reported by the browser), nor with the check off', async () => {
  const gone = setup();
  await linked(gone, 'desk', {});
  gone.factory.latest().hung = true;
  const withoutBrowser = probeOf(gone, new Map([['desk', GONE]]));
  await withoutBrowser.probe.probe();
  await gone.timers.advance(120_000);
  await withoutBrowser.probe.probe();
  assert.deepEqual(withoutBrowser.crashes, []);

  const off = setup();
  await linked(off, 'desk', {});
  off.factory.latest().hung = true;
  const unchecked = probeOf(off, new Map([['desk', RUNNING]]), { unresponsiveAfterMs: 0 });
  await unchecked.probe.probe();
  await off.timers.advance(3_600_000);
  await unchecked.probe.probe();
  assert.deepEqual(unchecked.crashes, []);
  assert.equal(unchecked.probe.sample('desk')?.responsive, false, 'still reported as not answering');
});

test('a silence reported for a client the session no longer has does nothing', async () => {
  const fixture = setup();
  const session = await linked(fixture, 'desk', {});
  const old = fixture.factory.latest();
  await fixture.manager.stop('desk');
  fixture.manager.start('desk');
  await until(() => session.status.status === 'WORKING' && fixture.factory.clients.length === 2, 'desk WORKING on a new browser');
  const current = fixture.factory.latest();
  fixture.manager.reportUnresponsive('desk', old, 'too late');
  fixture.manager.reportUnresponsive('nobody', old, 'no such session');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(session.status.status, 'WORKING');
  assert.equal(session.client, current, 'the running browser was left alone');
  assert.equal(fixture.factory.clients.length, 2);
});
