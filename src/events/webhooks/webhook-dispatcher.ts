import { describeError, InvalidInputError } from '../../shared/errors.js';
import { findRefusedAddressError, type OutboundPolicy } from '../../net/outbound-policy.js';
import type { Logger } from '../../shared/logger.js';
import { classifyResponse, retryDelayForResponse, retryDelayMs } from './retry-schedule.js';
import {
  HEADER_CONTENT_TYPE,
  HEADER_DELIVERY_ID,
  HEADER_EVENT,
  HEADER_SIGNATURE,
  HEADER_TIMESTAMP,
  HEADER_USER_AGENT,
  WEBHOOK_USER_AGENT,
  signDelivery,
} from './webhook-signature.js';
import { validateWebhookUrl } from './webhook-url.js';
import { createGuardedPost, type PostWebhook, type WebhookResponse } from './webhook-post.js';
import type { AttemptOutcome, DeliveryQueue, PendingDelivery, RetryPolicy, WebhookKey, WebhookTarget } from './webhook-types.js';

export interface WebhookDispatcherDeps {
  queue: DeliveryQueue;
  /** The session's webhooks as configured now; read before every attempt (url and secret come from here). */
  targets: () => Map<WebhookKey, WebhookTarget>;
  policy: RetryPolicy;
  /** Where deliveries may connect to: checked on the URL as written and, by the default POST, on every connection. */
  outboundPolicy: OutboundPolicy;
  logger: Logger;
  /** Epoch ms; for nextAttemptAt, due checks and the signed timestamp. */
  now?: () => number;
  /** createGuardedPost(outboundPolicy) unless given (tests). */
  post?: PostWebhook;
  /** Jitter source (tests). */
  random?: () => number;
  /** Told the outcome of every attempt (metrics). */
  onAttempt?: (outcome: AttemptOutcome) => void;
}

/** Error recorded on (and reason for failing) pending deliveries of a webhook that is no longer configured. */
export const WEBHOOK_REMOVED_ERROR = 'webhook removed';

/** Longest wait a single timer is armed for (setTimeout overflows past 2^31-1 ms); the worker re-checks after it. */
const MAX_TIMER_MS = 2_147_483_647;
/** Floor of the back-off after an unexpected error (a queue that throws), so a zero-delay policy cannot spin. */
const MIN_ERROR_BACKOFF_MS = 100;
/** How much of a refusing receiver's answer goes into lastError. */
const ERROR_SNIPPET_CHARS = 200;

/** One guarded POST (one connection pool) per policy, shared by the dispatchers of every session. */
const guardedPosts = new WeakMap<OutboundPolicy, PostWebhook>();
function guardedPostFor(policy: OutboundPolicy): PostWebhook {
  let guarded = guardedPosts.get(policy);
  if (guarded === undefined) {
    guarded = createGuardedPost(policy);
    guardedPosts.set(policy, guarded);
  }
  return guarded;
}

type AttemptResult =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'retry'; error: string; statusCode?: number; retryAfter?: string | null }
  | { kind: 'give-up'; error: string; statusCode?: number }
  | { kind: 'aborted' };

interface Worker {
  readonly key: WebhookKey;
  done: Promise<void>;
  /** Set by wake(): something changed, read the head again before sleeping. */
  woken: boolean;
  /** Set by retryNow(): try the head at once even if it is not due yet. */
  force: boolean;
  /** Ends the current sleep, when there is one. */
  interrupt: (() => void) | undefined;
  /** The target URL last checked against the policy, and its normalised form (checked once, not per delivery). */
  checkedUrl?: { asConfigured: string; normalised: string };
}

/**
 * Delivers one session's webhook deliveries from its durable queue: one worker per webhook key, each strictly
 * head-of-line (the next delivery is tried only once the previous one is delivered or failed), so order holds
 * per session and webhook and one slow or dead receiver holds up nobody else. Workers are started lazily, sleep
 * on timers until the head is due, and stop when their webhook has nothing pending. Creating a dispatcher
 * resumes every webhook with pending deliveries.
 */
export class WebhookDispatcher {
  private readonly workers = new Map<WebhookKey, Worker>();
  private readonly closing = new AbortController();
  private closed = false;
  private readonly now: () => number;
  private readonly post: PostWebhook;
  private readonly random: () => number;

  constructor(
    private readonly sessionId: string,
    private readonly deps: WebhookDispatcherDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.post = deps.post ?? guardedPostFor(deps.outboundPolicy);
    this.random = deps.random ?? Math.random;
    this.resume();
  }

  /** New deliveries were enqueued for these webhooks (or all, when omitted): wake their workers. */
  notify(webhookKeys?: WebhookKey[]): void {
    if (this.closed) return;
    this.guard('notify', () => {
      const keys = webhookKeys ?? [...this.workers.keys(), ...this.deps.targets().keys(), ...this.deps.queue.pendingWebhookKeys()];
      for (const key of new Set(keys)) this.ensureWorker(key);
    });
  }

  /** Resume every webhook with pending deliveries (after a restart). */
  resume(): void {
    if (this.closed) return;
    this.guard('resume', () => {
      for (const key of new Set(this.deps.queue.pendingWebhookKeys())) this.ensureWorker(key);
    });
  }

  /** A delivery was re-queued by the user: wake its worker now even if it is backing off. */
  retryNow(webhookKey: WebhookKey): void {
    if (this.closed) return;
    this.ensureWorker(webhookKey).force = true;
  }

  /** Stops all workers, aborting in-flight requests; resolves when they have stopped. Pending rows stay pending. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closing.abort();
      for (const worker of this.workers.values()) this.wake(worker);
    }
    await Promise.all([...this.workers.values()].map((worker) => worker.done));
  }

  private ensureWorker(key: WebhookKey): Worker {
    const existing = this.workers.get(key);
    if (existing) {
      this.wake(existing);
      return existing;
    }
    const worker: Worker = { key, done: Promise.resolve(), woken: false, force: false, interrupt: undefined };
    this.workers.set(key, worker);
    worker.done = this.run(worker);
    return worker;
  }

  private wake(worker: Worker): void {
    worker.woken = true;
    worker.interrupt?.();
  }

  /** Resolves after ms, or as soon as the worker is woken or the dispatcher closes. */
  private sleep(worker: Worker, ms: number): Promise<void> {
    if (worker.woken || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        worker.interrupt = undefined;
        resolve();
      };
      const timer = setTimeout(finish, Math.min(Math.max(0, ms), MAX_TIMER_MS));
      worker.interrupt = finish;
    });
  }

  private async run(worker: Worker): Promise<void> {
    await Promise.resolve(); // start after the caller's synchronous code (constructor, notify)
    let unexpectedFailures = 0;
    try {
      while (!this.closed) {
        worker.woken = false;
        try {
          const next = this.deps.queue.nextPending(worker.key);
          if (next === undefined) {
            // Nothing pending: stop. Synchronous with the read above, so no notify() can slip in between.
            if (this.workers.get(worker.key) === worker) this.workers.delete(worker.key);
            return;
          }
          const target = this.deps.targets().get(worker.key);
          if (target === undefined) {
            this.deps.queue.markFailed(next.deliveryId, next.attempts, WEBHOOK_REMOVED_ERROR);
            this.deps.logger.warn('webhook delivery failed: webhook removed', this.meta(next));
            continue;
          }
          const wait = next.nextAttemptAt - this.now();
          if (wait > 0 && !worker.force) {
            await this.sleep(worker, wait);
            continue;
          }
          worker.force = false;
          await this.deliver(next, target, worker);
          unexpectedFailures = 0;
        } catch (error) {
          unexpectedFailures++;
          const backoff = Math.max(MIN_ERROR_BACKOFF_MS, retryDelayMs(unexpectedFailures, this.deps.policy, this.random));
          this.deps.logger.error('webhook worker error; backing off', {
            session: this.sessionId,
            webhookKey: worker.key,
            error: describeError(error),
            backoffMs: backoff,
          });
          await this.sleep(worker, backoff);
        }
      }
    } catch (error) {
      // Only the logger itself can get here; a worker never rejects.
      try {
        this.deps.logger.error('webhook worker stopped', { session: this.sessionId, webhookKey: worker.key, error: describeError(error) });
      } catch {
        /* nothing left to tell */
      }
    }
    if (this.workers.get(worker.key) === worker && !this.closed) this.workers.delete(worker.key);
  }

  private async deliver(delivery: PendingDelivery, target: WebhookTarget, worker: Worker): Promise<void> {
    const attempts = delivery.attempts + 1;
    const result = await this.attempt(delivery, target, worker);
    const { queue, policy, logger } = this.deps;
    const meta = { ...this.meta(delivery), attempts };
    switch (result.kind) {
      case 'aborted':
        return; // closing: the row stays pending as it was, and is tried again after the restart
      case 'delivered':
        queue.markDelivered(delivery.deliveryId, attempts, result.statusCode);
        this.deps.onAttempt?.('delivered');
        logger.debug('webhook delivered', { ...meta, statusCode: result.statusCode });
        return;
      case 'give-up':
        queue.markFailed(delivery.deliveryId, attempts, result.error, result.statusCode);
        this.deps.onAttempt?.('failed');
        logger.warn('webhook delivery failed (not retryable)', { ...meta, statusCode: result.statusCode, error: result.error });
        return;
      case 'retry': {
        if (attempts >= policy.maxAttempts) {
          const error = `${result.error} (gave up after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`;
          queue.markFailed(delivery.deliveryId, attempts, error, result.statusCode);
          this.deps.onAttempt?.('failed');
          logger.warn('webhook delivery failed (attempts exhausted)', { ...meta, statusCode: result.statusCode, error });
          return;
        }
        const delayMs = retryDelayForResponse(attempts, policy, result.statusCode, result.retryAfter, this.random);
        queue.markRetry(delivery.deliveryId, attempts, this.now() + delayMs, result.error, result.statusCode);
        this.deps.onAttempt?.('retry');
        logger.info('webhook delivery will be retried', { ...meta, statusCode: result.statusCode, error: result.error, delayMs });
        return;
      }
    }
  }

  /** One POST, bounded by the policy's timeout and aborted by close(); never throws. */
  private async attempt(delivery: PendingDelivery, target: WebhookTarget, worker: Worker): Promise<AttemptResult> {
    const { policy, outboundPolicy } = this.deps;
    const controller = new AbortController();
    const onClose = () => controller.abort();
    this.closing.signal.addEventListener('abort', onClose, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, policy.timeoutMs);
    try {
      // configured before the policy was narrowed, or not through the API (--webhook-host): checked again here
      const url = this.checkedUrlOf(target, worker, outboundPolicy);
      const timestamp = String(Math.floor(this.now() / 1000));
      const headers: Record<string, string> = {
        [HEADER_CONTENT_TYPE]: 'application/json',
        [HEADER_USER_AGENT]: WEBHOOK_USER_AGENT,
        [HEADER_DELIVERY_ID]: delivery.deliveryId,
        [HEADER_EVENT]: delivery.event,
        [HEADER_TIMESTAMP]: timestamp,
      };
      if (target.secret) headers[HEADER_SIGNATURE] = signDelivery(target.secret, timestamp, delivery.body);
      const response = await this.post({ url, headers, body: delivery.body, signal: controller.signal });
      const statusCode = response.statusCode;
      const verdict = classifyResponse(statusCode);
      if (verdict === 'delivered') {
        await response.discard();
        return { kind: 'delivered', statusCode };
      }
      const snippet = await readSnippet(response);
      const error = `HTTP ${statusCode}${snippet ? `: ${snippet}` : ''}`;
      if (verdict === 'retry') return { kind: 'retry', error, statusCode, retryAfter: response.header('retry-after') };
      const location = statusCode >= 300 && statusCode <= 399 ? response.header('location') : null;
      return { kind: 'give-up', error: location ? `${error} (redirects are not followed; location: ${location})` : error, statusCode };
    } catch (error) {
      if (this.closing.signal.aborted) return { kind: 'aborted' };
      if (timedOut) return { kind: 'retry', error: `timed out after ${policy.timeoutMs} ms` };
      // refused at connection time (the name resolves where the policy says no): a give-up, like a refused URL
      const refused = findRefusedAddressError(error);
      if (refused !== undefined) return { kind: 'give-up', error: refused.message };
      if (error instanceof InvalidInputError) return { kind: 'give-up', error: error.message };
      return { kind: 'retry', error: describeFetchError(error) };
    } finally {
      clearTimeout(timer);
      this.closing.signal.removeEventListener('abort', onClose);
    }
  }

  private checkedUrlOf(target: WebhookTarget, worker: Worker, outboundPolicy: OutboundPolicy): string {
    if (worker.checkedUrl?.asConfigured !== target.url) {
      worker.checkedUrl = { asConfigured: target.url, normalised: validateWebhookUrl(target.url, outboundPolicy) };
    }
    return worker.checkedUrl.normalised;
  }

  private meta(delivery: PendingDelivery): Record<string, unknown> {
    return { session: this.sessionId, webhookKey: delivery.webhookKey, deliveryId: delivery.deliveryId, event: delivery.event };
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.deps.logger.error(`webhook dispatcher ${what} failed`, { session: this.sessionId, error: describeError(error) });
    }
  }
}

/** The start of a refusing receiver's answer, on one line, for lastError; '' when it cannot be read in time. */
async function readSnippet(response: WebhookResponse, maxBytes = 1024): Promise<string> {
  const text = (await response.snippet(maxBytes)).replace(/\s+/g, ' ').trim();
  return text.length > ERROR_SNIPPET_CHARS ? `${text.slice(0, ERROR_SNIPPET_CHARS)}…` : text;
}

/** fetch() said only 'fetch failed' with the useful part in its cause; request() errors carry it themselves. */
function describeFetchError(error: unknown): string {
  if (error instanceof Error && error.cause !== undefined) {
    const cause = error.cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
    }
  }
  return describeError(error);
}
