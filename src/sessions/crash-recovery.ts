import type { RestartDecision } from './restart-policy.js';
import type { ClientLoss } from './session-lifecycle.js';

/** What to do after a session lost its client: the manager carries it out. */
export type RecoveryPlan =
  /** The phone unlinked the device (forget the account) or nobody scanned the QR codes: stop for good. */
  | { kind: 'stop'; reason: string; forgetAccount: boolean }
  | { kind: 'fail'; reason: string }
  /** Start again after delayMs; CRASHED (with restartAt) while a cooldown runs, STARTING when it is immediate. */
  | { kind: 'restart'; status: 'STARTING' | 'CRASHED'; reason: string; delayMs: number; restartAt?: number; startReason: string };

export interface RecoveryInput {
  loss: ClientLoss;
  restartOnCrash: boolean;
  qrCount: number;
  /** Asked only for a crash with restartOnCrash (asking counts nothing; the restart is recorded when it begins). */
  decideRestart: () => RestartDecision;
  /** Restarts already made in the budget's window, and the budget's size. */
  attempts: number;
  maxAttempts: number;
  now: number;
}

export function planRecovery(input: RecoveryInput): RecoveryPlan {
  const { loss } = input;
  if (loss.kind === 'disconnected') {
    const qrGaveUp = /max qrcode retries/i.test(loss.reason);
    return qrGaveUp
      ? { kind: 'stop', reason: `QR code not scanned: gave up after ${input.qrCount} codes`, forgetAccount: false }
      : {
          kind: 'stop',
          reason: `Logged out from the phone (${loss.reason}); start the session and scan a new QR code`,
          forgetAccount: true,
        };
  }
  const crash = `browser crashed: ${loss.reason}`;
  if (!input.restartOnCrash) return { kind: 'fail', reason: crash };
  const decision = input.decideRestart();
  if (!decision.allowed) return { kind: 'fail', reason: `${crash}; ${decision.reason}, giving up` };
  const restart = `restart ${input.attempts + 1} of ${input.maxAttempts}`;
  const startReason = `${restart} after a crash`;
  if (decision.delayMs === 0) return { kind: 'restart', status: 'STARTING', reason: `${crash}; ${restart} now`, delayMs: 0, startReason };
  // no browser runs until the cooldown is over: say so, and until when, rather than show a STARTING that is not
  const restartAt = input.now + decision.delayMs;
  return {
    kind: 'restart',
    status: 'CRASHED',
    reason: `${crash}; ${restart} at ${new Date(restartAt).toISOString()} (cooldown)`,
    delayMs: decision.delayMs,
    restartAt,
    startReason,
  };
}
