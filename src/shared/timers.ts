/** A clock and one-shot timers, so schedules can be tested with a fake clock instead of sleeps. */
export interface Timers {
  now(): number;
  /** Runs fn after ms; returns what cancels it. */
  after(ms: number, fn: () => void): () => void;
}

/** Node's setTimeout caps delays at 2^31-1 ms (about 24.8 days): longer waits fire early and are armed again. */
const LONGEST_DELAY_MS = 2_147_483_647;

/** Real time; the timers never keep the process alive. */
export const realTimers: Timers = {
  now: () => Date.now(),
  after(ms, fn) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), LONGEST_DELAY_MS));
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Runs fn once the clock reaches `due`, however early the timers fire; returns what cancels it. */
export function runAt(timers: Timers, due: number, fn: () => void): () => void {
  let cancel: () => void = () => {};
  const arm = () => {
    cancel = timers.after(due - timers.now(), () => (timers.now() < due ? arm() : fn()));
  };
  arm();
  return () => cancel();
}
