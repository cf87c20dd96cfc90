/**
 * What the bench must undo however it ends: servers (killed by PID with their browsers), the baseline's worktree.
 * Undone newest first, at the end or on SIGINT/SIGTERM/SIGHUP.
 */
type Undo = () => Promise<void>;

const pending = new Map<number, { what: string; undo: Undo }>();
let nextKey = 0;

/** Registers an undo step; the returned function runs it now (once) and forgets it. */
export function onExit(what: string, undo: Undo): () => Promise<void> {
  const key = nextKey++;
  pending.set(key, { what, undo });
  return async () => {
    if (!pending.delete(key)) return;
    await undo();
  };
}

/** Runs every pending step, newest first; a failing step is reported and the others still run. */
export async function undoAll(): Promise<void> {
  for (const key of [...pending.keys()].reverse()) {
    const step = pending.get(key);
    pending.delete(key);
    if (!step) continue;
    try {
      await step.undo();
    } catch (error) {
      console.error(`bench cleanup: ${step.what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** On a signal: undo everything, then exit as killed by it. */
export function undoOnSignals(): void {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const [signal, code] of Object.entries(codes) as [NodeJS.Signals, number][]) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, cleaning up`);
      void undoAll().finally(() => process.exit(code));
    });
  }
}
