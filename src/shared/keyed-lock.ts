import { TimeoutError } from './errors.js';

export interface KeyedLockRunOptions {
  /** Longest wait for the lock (not for the task itself). */
  timeoutMs?: number;
  /** Names the operation in the timeout message, e.g. 'restart'. */
  label?: string;
}

interface Waiter {
  grant: () => void;
}

/** FIFO mutual exclusion per key: tasks on one key run one at a time in arrival order; keys never wait on each other. */
export class KeyedLock {
  // A key is present only while a task holds it; its Set (insertion-ordered) holds the waiters behind it.
  private readonly queues = new Map<string, Set<Waiter>>();

  async run<T>(key: string, task: () => Promise<T>, options: KeyedLockRunOptions = {}): Promise<T> {
    await this.acquire(key, options);
    try {
      return await task();
    } finally {
      this.release(key);
    }
  }

  isBusy(key: string): boolean {
    return this.queues.has(key);
  }

  /** Tasks waiting behind the one that holds the key. */
  waiting(key: string): number {
    return this.queues.get(key)?.size ?? 0;
  }

  /** Keys currently held. */
  get size(): number {
    return this.queues.size;
  }

  private acquire(key: string, options: KeyedLockRunOptions): Promise<void> {
    const waiters = this.queues.get(key);
    if (!waiters) {
      this.queues.set(key, new Set());
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        grant: () => {
          if (timer) clearTimeout(timer);
          resolve();
        },
      };
      waiters.add(waiter);
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          waiters.delete(waiter);
          const purpose = options.label ? ` for ${options.label}` : '';
          reject(new TimeoutError(`Lock on '${key}' not acquired within ${options.timeoutMs} ms${purpose}`));
        }, options.timeoutMs);
      }
    });
  }

  private release(key: string): void {
    const waiters = this.queues.get(key);
    if (!waiters) return;
    const next = waiters.values().next();
    if (next.done) {
      this.queues.delete(key);
      return;
    }
    waiters.delete(next.value);
    next.value.grant();
  }
}
