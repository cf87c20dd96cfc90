/** Whether a message reached the device, or waits on the phone for it to connect. */
export type InboxOutcome = 'delivered' | 'queued';

export interface SandboxInboxDeps<M> {
  /** Whether the linked device is connected and hands messages on (its page listens). */
  listening: () => boolean;
  /** Hands one message to the device; resolves once the device confirmed it. */
  deliver: (message: M) => Promise<void>;
  /** The device answered that it cannot take this message (not that it went away): it is dropped, not retried. */
  isRefusal: (error: unknown) => boolean;
  onRefused: (message: M, error: unknown) => void;
}

interface Waiter {
  settle: (outcome: InboxOutcome) => void;
  fail: (error: unknown) => void;
}

interface Held<M> {
  message: M;
  waiter: Waiter | undefined;
}

/**
 * What the phone holds for its linked device: as WhatsApp's servers do for a linked device that is offline,
 * messages wait here while the device is not connected and reach it in order, each once, when it is back.
 */
export class SandboxInbox<M> {
  private readonly held: Held<M>[] = [];
  private draining = false;

  constructor(private readonly deps: SandboxInboxDeps<M>) {}

  get size(): number {
    return this.held.length;
  }

  /**
   * Holds the message and delivers whatever waits if the device listens. Within `waitMs` the promise says what became
   * of this message: 'delivered', rejected when the device refused it, or 'queued' once it is known to wait for the
   * device (which went away, or did not take it in time). With 0, it answers 'queued' at once.
   */
  post(message: M, waitMs: number): Promise<InboxOutcome> {
    const item: Held<M> = { message, waiter: undefined };
    const outcome =
      waitMs > 0
        ? new Promise<InboxOutcome>((resolve, reject) => {
            const timer = setTimeout(() => this.settle(item, 'queued'), waitMs);
            timer.unref();
            const done = () => clearTimeout(timer);
            item.waiter = {
              settle: (result) => (done(), resolve(result)),
              fail: (error) => (done(), reject(error)),
            };
          })
        : Promise.resolve<InboxOutcome>('queued');
    this.held.push(item);
    void this.drain();
    return outcome;
  }

  /** Delivers what waits, oldest first, while the device listens; stops at the first message it did not take. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.held.length > 0 && this.deps.listening()) {
        const item = this.held[0]!;
        let refusal: unknown;
        try {
          await this.deps.deliver(item.message);
        } catch (error) {
          if (!this.deps.isRefusal(error)) {
            // the device went away or did not answer: the message waits for it (a page that got it ignores a repeat)
            this.settle(item, 'queued');
            return;
          }
          refusal = error;
        }
        // a clear() while the delivery ran has already answered for it
        if (this.held[0] !== item) continue;
        this.held.shift();
        if (refusal === undefined) {
          this.settle(item, 'delivered');
        } else {
          this.deps.onRefused(item.message, refusal);
          item.waiter?.fail(refusal);
          item.waiter = undefined;
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** The device is gone for now: whoever waits is told their message is queued (it stays held). */
  stopWaiting(): void {
    for (const item of this.held) this.settle(item, 'queued');
  }

  /** The device was unlinked: what it was owed is dropped, and whoever waits gets the error. */
  clear(error: () => Error): void {
    for (const item of this.held.splice(0)) {
      item.waiter?.fail(error());
      item.waiter = undefined;
    }
  }

  private settle(item: Held<M>, outcome: InboxOutcome): void {
    item.waiter?.settle(outcome);
    item.waiter = undefined;
  }
}
