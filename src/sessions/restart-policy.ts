export interface RestartPolicySettings {
  /** Restarts allowed within windowMs; 0 disables automatic restarts. */
  maxAttempts: number;
  windowMs: number;
  /** Minimum gap between two attempts. */
  cooldownMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicySettings> = Object.freeze({
  maxAttempts: 3,
  windowMs: 120_000,
  cooldownMs: 30_000,
});

export type RestartDecision =
  | { allowed: true; /** wait to respect the cooldown since the last attempt; 0 for the first */ delayMs: number }
  | { allowed: false; /** human readable, names the budget */ reason: string };

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Bounds automatic restarts of one session: at most maxAttempts per sliding window, cooldownMs apart. */
export class RestartBudget {
  private recent: number[] = [];
  private lastAttemptAt: number | undefined;

  constructor(
    private readonly settings: RestartPolicySettings,
    private readonly now: () => number = Date.now,
  ) {
    const { maxAttempts, windowMs, cooldownMs } = settings;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 0) throw new RangeError(`maxAttempts must be an integer >= 0, got ${maxAttempts}`);
    if (!Number.isFinite(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be > 0, got ${windowMs}`);
    if (!Number.isFinite(cooldownMs) || cooldownMs < 0) throw new RangeError(`cooldownMs must be >= 0, got ${cooldownMs}`);
  }

  decide(): RestartDecision {
    const { maxAttempts, windowMs, cooldownMs } = this.settings;
    if (maxAttempts === 0) return { allowed: false, reason: 'automatic restarts are disabled (0 allowed)' };
    const now = this.now();
    const recent = this.prune(now);
    if (recent.length >= maxAttempts) {
      const oldest = recent[0] ?? now;
      const plural = maxAttempts === 1 ? 'restart' : 'restarts';
      return {
        allowed: false,
        reason: `${maxAttempts} ${plural} within ${formatSeconds(windowMs)} already attempted; next allowed in ${formatSeconds(Math.max(0, oldest + windowMs - now))}`,
      };
    }
    const delayMs = this.lastAttemptAt === undefined ? 0 : Math.max(0, this.lastAttemptAt + cooldownMs - now);
    return { allowed: true, delayMs };
  }

  recordAttempt(): void {
    const now = this.now();
    this.recent = [...this.prune(now), now];
    this.lastAttemptAt = now;
  }

  /** Called once the session is WORKING again. */
  reset(): void {
    this.recent = [];
    this.lastAttemptAt = undefined;
  }

  /** Attempts within the window. */
  get attempts(): number {
    return this.prune(this.now()).length;
  }

  private prune(now: number): number[] {
    this.recent = this.recent.filter((at) => now - at < this.settings.windowMs);
    return this.recent;
  }
}
