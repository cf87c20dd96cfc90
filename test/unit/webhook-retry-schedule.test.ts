import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyResponse,
  parseRetryAfterMs,
  retryDelayForResponse,
  retryDelayMs,
  validateRetryPolicy,
} from '../../src/events/webhooks/retry-schedule.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../src/events/webhooks/webhook-types.js';

const policy: RetryPolicy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 500 };
const fixed = (value: number) => () => value;

describe('retryDelayMs (equal jitter)', () => {
  const table: Array<[attempt: number, random: number, expected: number]> = [
    [1, 0, 50],
    [1, 0.5, 75],
    [1, 0.999999, 100],
    [2, 0, 100],
    [2, 1, 200],
    [3, 0.5, 300],
    [4, 0, 400],
    [4, 1, 800],
    [5, 0, 500], // 1600 capped at 1000: [500, 1000]
    [5, 1, 1000],
    [50, 0.5, 750],
    [10_000, 1, 1000], // 2^9999 overflows to Infinity: still capped
    [0, 0, 50], // treated as attempt 1
    [-3, 1, 100],
    [Number.NaN, 0, 50],
  ];
  for (const [attempt, random, expected] of table) {
    it(`attempt ${attempt}, random ${random} -> ${expected} ms`, () => {
      assert.equal(retryDelayMs(attempt, policy, fixed(random)), expected);
    });
  }

  it('clamps a misbehaving random source to [0, 1]', () => {
    assert.equal(retryDelayMs(2, policy, fixed(7)), 200);
    assert.equal(retryDelayMs(2, policy, fixed(-1)), 100);
  });

  it('stays within [ceiling/2, ceiling] with Math.random', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(3, policy);
      assert.ok(delay >= 200 && delay <= 400, String(delay));
    }
  });

  it('with the defaults, all waits together range from 11.8 to 23.5 minutes: a 10-minute outage is ridden out', () => {
    const total = (random: number) => {
      let sum = 0;
      for (let attempt = 1; attempt < DEFAULT_RETRY_POLICY.maxAttempts; attempt++) sum += retryDelayMs(attempt, DEFAULT_RETRY_POLICY, fixed(random));
      return sum;
    };
    assert.equal(total(0), 705_500);
    assert.equal(total(1), 1_411_000);
    assert.ok(total(0) > 10 * 60_000);
  });
});

describe('classifyResponse', () => {
  const table: Array<[number, ReturnType<typeof classifyResponse>]> = [
    [200, 'delivered'],
    [201, 'delivered'],
    [202, 'delivered'],
    [204, 'delivered'],
    [299, 'delivered'],
    [100, 'give-up'],
    [301, 'give-up'],
    [302, 'give-up'],
    [304, 'give-up'],
    [307, 'give-up'],
    [400, 'give-up'],
    [401, 'give-up'],
    [403, 'give-up'],
    [404, 'give-up'],
    [405, 'give-up'],
    [408, 'retry'],
    [409, 'give-up'],
    [410, 'give-up'],
    [413, 'give-up'],
    [422, 'give-up'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [599, 'retry'],
    [600, 'give-up'],
  ];
  for (const [status, expected] of table) {
    it(`${status} -> ${expected}`, () => assert.equal(classifyResponse(status), expected));
  }
});

describe('Retry-After', () => {
  it('parses the seconds form only', () => {
    const table: Array<[string | null | undefined, number | undefined]> = [
      ['0', 0],
      ['1', 1_000],
      [' 120 ', 120_000],
      ['1.5', undefined],
      ['-1', undefined],
      ['Wed, 21 Oct 2015 07:28:00 GMT', undefined],
      ['', undefined],
      ['soon', undefined],
      [null, undefined],
      [undefined, undefined],
    ];
    for (const [value, expected] of table) assert.equal(parseRetryAfterMs(value), expected, String(value));
  });

  it('lengthens the wait on 429 and 503, bounded by maxDelayMs', () => {
    const random = fixed(0); // backoff for attempt 1 is 50 ms
    assert.equal(retryDelayForResponse(1, policy, 429, '0', random), 50);
    assert.equal(retryDelayForResponse(1, policy, 429, '0.2', random), 50);
    assert.equal(retryDelayForResponse(1, { ...policy, maxDelayMs: 60_000 }, 429, '2', random), 2_000);
    assert.equal(retryDelayForResponse(1, { ...policy, maxDelayMs: 60_000 }, 503, '2', random), 2_000);
    assert.equal(retryDelayForResponse(1, policy, 429, '3600', random), 1_000);
    assert.equal(retryDelayForResponse(4, policy, 503, '0', random), 400); // never shorter than the backoff
  });

  it('is ignored on other statuses and when absent', () => {
    const random = fixed(0);
    assert.equal(retryDelayForResponse(1, policy, 500, '30', random), 50);
    assert.equal(retryDelayForResponse(1, policy, 408, '30', random), 50);
    assert.equal(retryDelayForResponse(1, policy, undefined, '30', random), 50);
    assert.equal(retryDelayForResponse(1, policy, 429, null, random), 50);
  });
});

describe('validateRetryPolicy', () => {
  it('accepts the defaults and sane policies', () => {
    assert.doesNotThrow(() => validateRetryPolicy(DEFAULT_RETRY_POLICY));
    assert.doesNotThrow(() => validateRetryPolicy({ maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, timeoutMs: 1 }));
  });

  it('refuses unusable ones', () => {
    for (const bad of [
      { ...policy, maxAttempts: 0 },
      { ...policy, maxAttempts: 1.5 },
      { ...policy, baseDelayMs: -1 },
      { ...policy, maxDelayMs: 50 },
      { ...policy, timeoutMs: 0 },
    ]) {
      assert.throws(() => validateRetryPolicy(bad), RangeError);
    }
  });
});
