import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RESTART_POLICY, RestartBudget, type RestartDecision, type RestartPolicySettings } from '../../src/sessions/restart-policy.js';

class Clock {
  constructor(public ms = 1_000_000) {}
  readonly now = (): number => this.ms;
}

type Step =
  | { at: number; op: 'decide'; expect: RestartDecision | { allowed: false; reasonIncludes: string } }
  | { at: number; op: 'record' }
  | { at: number; op: 'reset' }
  | { at: number; op: 'attempts'; expect: number };

const cases: { name: string; settings?: RestartPolicySettings; steps: Step[] }[] = [
  { name: 'first attempt is immediate', steps: [{ at: 0, op: 'decide', expect: { allowed: true, delayMs: 0 } }] },
  {
    name: 'second attempt waits for the rest of the cooldown',
    steps: [
      { at: 0, op: 'record' },
      { at: 10_000, op: 'decide', expect: { allowed: true, delayMs: 20_000 } },
      { at: 30_000, op: 'decide', expect: { allowed: true, delayMs: 0 } },
      { at: 45_000, op: 'decide', expect: { allowed: true, delayMs: 0 } },
    ],
  },
  {
    name: 'refused once the budget of the window is spent, with a reason naming it',
    steps: [
      { at: 0, op: 'record' },
      { at: 30_000, op: 'record' },
      { at: 60_000, op: 'record' },
      { at: 60_000, op: 'attempts', expect: 3 },
      { at: 90_000, op: 'decide', expect: { allowed: false, reasonIncludes: '3 restarts within 120 s already attempted' } },
      { at: 119_999, op: 'decide', expect: { allowed: false, reasonIncludes: 'next allowed in 0.001 s' } },
    ],
  },
  {
    name: 'attempts older than the window no longer count',
    steps: [
      { at: 0, op: 'record' },
      { at: 30_000, op: 'record' },
      { at: 60_000, op: 'record' },
      { at: 120_000, op: 'attempts', expect: 2 },
      { at: 120_000, op: 'decide', expect: { allowed: true, delayMs: 0 } },
      { at: 120_000, op: 'record' },
      { at: 130_000, op: 'decide', expect: { allowed: false, reasonIncludes: '3 restarts within 120 s' } },
      { at: 250_000, op: 'attempts', expect: 0 },
    ],
  },
  {
    name: 'reset clears the budget and the cooldown',
    steps: [
      { at: 0, op: 'record' },
      { at: 1_000, op: 'record' },
      { at: 2_000, op: 'record' },
      { at: 3_000, op: 'reset' },
      { at: 3_000, op: 'attempts', expect: 0 },
      { at: 3_000, op: 'decide', expect: { allowed: true, delayMs: 0 } },
    ],
  },
  {
    name: 'singular wording and custom window',
    settings: { maxAttempts: 1, windowMs: 1_500, cooldownMs: 0 },
    steps: [
      { at: 0, op: 'record' },
      { at: 100, op: 'decide', expect: { allowed: false, reasonIncludes: '1 restart within 1.5 s already attempted' } },
      { at: 1_500, op: 'decide', expect: { allowed: true, delayMs: 0 } },
    ],
  },
  {
    name: 'cooldown longer than the window is still respected',
    settings: { maxAttempts: 2, windowMs: 1_000, cooldownMs: 5_000 },
    steps: [
      { at: 0, op: 'record' },
      { at: 2_000, op: 'attempts', expect: 0 },
      { at: 2_000, op: 'decide', expect: { allowed: true, delayMs: 3_000 } },
    ],
  },
  {
    name: 'zero attempts disables restarts',
    settings: { maxAttempts: 0, windowMs: 1_000, cooldownMs: 0 },
    steps: [{ at: 0, op: 'decide', expect: { allowed: false, reasonIncludes: 'disabled' } }],
  },
];

describe('RestartBudget', () => {
  it('defaults to 3 attempts in 120 s, 30 s apart', () => {
    assert.deepEqual({ ...DEFAULT_RESTART_POLICY }, { maxAttempts: 3, windowMs: 120_000, cooldownMs: 30_000 });
  });

  for (const testCase of cases) {
    it(testCase.name, () => {
      const clock = new Clock();
      const start = clock.ms;
      const budget = new RestartBudget(testCase.settings ?? DEFAULT_RESTART_POLICY, clock.now);
      for (const step of testCase.steps) {
        clock.ms = start + step.at;
        const where = `${step.op} at +${step.at} ms`;
        switch (step.op) {
          case 'record':
            budget.recordAttempt();
            break;
          case 'reset':
            budget.reset();
            break;
          case 'attempts':
            assert.equal(budget.attempts, step.expect, where);
            break;
          case 'decide': {
            const decision = budget.decide();
            if ('reasonIncludes' in step.expect) {
              assert.equal(decision.allowed, false, where);
              assert.ok(!decision.allowed && decision.reason.includes(step.expect.reasonIncludes), `${where}: ${JSON.stringify(decision)}`);
            } else {
              assert.deepEqual(decision, step.expect, where);
            }
            break;
          }
        }
      }
    });
  }

  it('rejects nonsensical settings', () => {
    assert.throws(() => new RestartBudget({ maxAttempts: -1, windowMs: 1, cooldownMs: 0 }), RangeError);
    assert.throws(() => new RestartBudget({ maxAttempts: 1.5, windowMs: 1, cooldownMs: 0 }), RangeError);
    assert.throws(() => new RestartBudget({ maxAttempts: 1, windowMs: 0, cooldownMs: 0 }), RangeError);
    assert.throws(() => new RestartBudget({ maxAttempts: 1, windowMs: 1, cooldownMs: -1 }), RangeError);
  });
});
