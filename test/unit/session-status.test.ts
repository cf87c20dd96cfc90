import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IllegalTransitionError, StatusTracker, canTransition, type SessionStatus } from '../../src/sessions/session-status.js';

test('the lifecycle a user sees is allowed: STOPPED -> STARTING -> SCAN_QR_CODE -> WORKING -> STOPPING -> STOPPED', () => {
  const changes: string[] = [];
  const tracker = new StatusTracker((change) => changes.push(`${change.from}>${change.to}`));
  const path: SessionStatus[] = ['STARTING', 'SCAN_QR_CODE', 'WORKING', 'STOPPING', 'STOPPED'];
  for (const to of path) tracker.moveTo(to, `to ${to}`);
  assert.equal(tracker.status, 'STOPPED');
  assert.deepEqual(changes, ['STOPPED>STARTING', 'STARTING>SCAN_QR_CODE', 'SCAN_QR_CODE>WORKING', 'WORKING>STOPPING', 'STOPPING>STOPPED']);
  assert.equal(tracker.history.length, 5);
  assert.equal(tracker.lastReason, 'to STOPPED');
  assert.match(tracker.history[0]!.at, /^\d{4}-\d\d-\d\dT/);
});

test('illegal moves throw and leave the status as it was', () => {
  const tracker = new StatusTracker();
  assert.throws(() => tracker.moveTo('WORKING', 'skip the start'), IllegalTransitionError);
  assert.equal(tracker.status, 'STOPPED');
  assert.equal(tracker.history.length, 0);
});

test('transition table', () => {
  const table: [SessionStatus, SessionStatus, boolean][] = [
    ['STOPPED', 'STARTING', true],
    ['STOPPED', 'WORKING', false],
    // a saved session whose files cannot be read is listed FAILED without ever starting
    ['STOPPED', 'FAILED', true],
    ['WORKING', 'CRASHED', true],
    ['CRASHED', 'STARTING', true],
    ['CRASHED', 'STOPPING', true],
    ['CRASHED', 'WORKING', false],
    ['STOPPED', 'CRASHED', false],
    ['STARTING', 'WORKING', true],
    ['STARTING', 'FAILED', true],
    ['SCAN_QR_CODE', 'WORKING', true],
    ['WORKING', 'STARTING', true],
    ['WORKING', 'STOPPED', false],
    ['FAILED', 'STARTING', true],
    ['FAILED', 'WORKING', false],
    ['STOPPING', 'STOPPED', true],
    ['STOPPING', 'STARTING', false],
    // hibernation: only through STOPPING (the browser closing), woken through STARTING, never straight to WORKING
    ['WORKING', 'HIBERNATED', false],
    ['STOPPING', 'HIBERNATED', true],
    ['HIBERNATED', 'STARTING', true],
    ['HIBERNATED', 'WORKING', false],
    ['HIBERNATED', 'STOPPING', true],
    ['HIBERNATED', 'STOPPED', false],
    // boot lists a session that slept when the server stopped as asleep again
    ['STOPPED', 'HIBERNATED', true],
    ['SCAN_QR_CODE', 'HIBERNATED', false],
  ];
  for (const [from, to, allowed] of table) assert.equal(canTransition(from, to), allowed, `${from} -> ${to}`);
});

test('history keeps the last 20 changes', () => {
  const tracker = new StatusTracker();
  for (let i = 0; i < 15; i++) {
    tracker.moveTo('STARTING', `start ${i}`);
    tracker.moveTo('FAILED', `fail ${i}`);
  }
  assert.equal(tracker.history.length, 20);
  assert.equal(tracker.lastReason, 'fail 14');
});
