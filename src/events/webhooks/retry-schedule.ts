import type { RetryPolicy } from './webhook-types.js';

export type ResponseClass = 'delivered' | 'retry' | 'give-up';

/** Throws RangeError unless the policy is usable: integers, maxAttempts >= 1, 0 <= baseDelayMs <= maxDelayMs, timeoutMs > 0. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { maxAttempts, baseDelayMs, maxDelayMs, timeoutMs } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  if (!Number.isInteger(baseDelayMs) || baseDelayMs < 0) throw new RangeError(`baseDelayMs must be an integer >= 0, got ${baseDelayMs}`);
  if (!Number.isInteger(maxDelayMs) || maxDelayMs < baseDelayMs) {
    throw new RangeError(`maxDelayMs must be an integer >= baseDelayMs (${baseDelayMs}), got ${maxDelayMs}`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`timeoutMs must be an integer >= 1, got ${timeoutMs}`);
  return policy;
}

/**
 * The wait before the next attempt, after `attempt` attempts (1-based) have failed.
 *
 * Exponential: ceiling = min(maxDelayMs, baseDelayMs * 2^(attempt-1)), with "equal jitter": a uniformly random
 * wait in [ceiling/2, ceiling). Equal rather than full jitter because the schedule must be able to promise how
 * long a receiver may stay down: full jitter can draw waits near 0 and burn every attempt in seconds, while
 * equal jitter keeps at least half of each step (a guaranteed minimum total) and still spreads the retries
 * of many sessions hitting one receiver that comes back.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (n - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(policy.maxDelayMs, Math.round(ceiling / 2 + (ceiling / 2) * r));
}

/** 2xx delivered; 408, 429 and 5xx retried; everything else (other 4xx, 3xx since redirects are not followed, 1xx) given up. */
export function classifyResponse(statusCode: number): ResponseClass {
  if (statusCode >= 200 && statusCode <= 299) return 'delivered';
  if (statusCode === 408 || statusCode === 429 || (statusCode >= 500 && statusCode <= 599)) return 'retry';
  return 'give-up';
}

/** Retry-After in its seconds form ("120") as ms; undefined for anything else (HTTP-date form, garbage, negative). */
export function parseRetryAfterMs(value: string | null | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,10}$/.test(trimmed)) return undefined;
  return Number(trimmed) * 1000;
}

/**
 * The wait after a retryable answer: the backoff of retryDelayMs, or the receiver's Retry-After (seconds form,
 * honoured on 429 and 503 only) when that is longer; never more than maxDelayMs.
 */
export function retryDelayForResponse(
  attempt: number,
  policy: RetryPolicy,
  statusCode: number | undefined,
  retryAfter: string | null | undefined,
  random: () => number = Math.random,
): number {
  const backoff = retryDelayMs(attempt, policy, random);
  if (statusCode !== 429 && statusCode !== 503) return backoff;
  const asked = parseRetryAfterMs(retryAfter);
  if (asked === undefined) return backoff;
  return Math.min(policy.maxDelayMs, Math.max(backoff, asked));
}
