/**
 * How many wakes may launch a browser at once. A broadcast to hundreds of sleeping sessions would otherwise start
 * hundreds of Chromiums together, each then too slow to log in before its deadline; queued, each launches at the
 * speed of one. A request's wake goes ahead of scheduled ones (someone waits for it).
 */
export class WakeLaunches {
  private inUse = 0;
  private readonly waiting: { urgent: boolean; grant: () => void }[] = [];

  constructor(private readonly limit: number) {}

  /** Resolves with the release once a launch slot is free; rejects (and leaves the queue) when the signal aborts. */
  acquire(urgent: boolean, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry = {
        urgent,
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          this.inUse++;
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const firstNotUrgent = this.waiting.findIndex((queued) => !queued.urgent);
      if (urgent && firstNotUrgent >= 0) this.waiting.splice(firstNotUrgent, 0, entry);
      else this.waiting.push(entry);
      this.pump();
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inUse--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.inUse < this.limit && this.waiting.length > 0) this.waiting.shift()!.grant();
  }
}
