import type { Timers } from '../../src/shared/timers.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A clock the test moves by hand; timers fire, in order, only when advance() passes their time. */
export class FakeTimers implements Timers {
  private time = 1_700_000_000_000;
  private seq = 0;
  private readonly pending = new Set<Pending>();

  now(): number {
    return this.time;
  }

  after(ms: number, fn: () => void): () => void {
    const entry: Pending = { at: this.time + Math.max(0, ms), seq: this.seq++, fn };
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  /** Timers armed and not yet fired or cancelled. */
  get armed(): number {
    return this.pending.size;
  }

  /** Moves the clock forward by ms, firing what falls due in order and letting the work each one starts settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const next = [...this.pending].filter((entry) => entry.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending.delete(next);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
    await settle();
  }
}

/** Lets promise chains and I/O callbacks that are already due run (a few turns of the event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}
