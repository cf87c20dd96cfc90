import type { SessionConfig } from './session-config.js';

/** When a session sleeps and wakes: from its config, else the server's default. */
export interface SleepPlan {
  /** A WORKING session quiet this long hibernates. */
  idleMs: number;
  /** While HIBERNATED, wake this often to collect what arrived. */
  wakeEveryMs: number | undefined;
}

/**
 * After a scheduled wake the session sleeps again once it was quiet this long (no message, no request): long enough
 * for WhatsApp to hand over what it held for the device, which starts right after WORKING; shorter when the
 * session's own idle time is shorter.
 */
export const SETTLE_AFTER_SCHEDULED_WAKE_MS = 15_000;

/** The session's plan, or undefined when it never sleeps (hibernateAfterMinutes null, or absent without a default). */
export function sleepPlanOf(config: SessionConfig, defaultHibernateAfterMinutes: number | undefined): SleepPlan | undefined {
  const minutes = config.hibernateAfterMinutes === undefined ? defaultHibernateAfterMinutes : config.hibernateAfterMinutes;
  if (minutes === null || minutes === undefined) return undefined;
  return {
    idleMs: Math.round(minutes * 60_000),
    wakeEveryMs: config.wakeEveryMinutes === undefined ? undefined : Math.round(config.wakeEveryMinutes * 60_000),
  };
}

/** What a session did last, as far as sleeping goes (epoch ms). */
export interface Usage {
  /** A message sent or received, a command, or the moment it became WORKING. */
  lastActivityAt: number;
  /** The start or end of the last request that used the session's page. */
  lastUsedAt: number;
  /** Requests using the page right now. */
  inFlight: number;
  /** Set by a scheduled wake, until a request uses the session. */
  collectingSince: number | undefined;
}

/** When the session may hibernate (epoch ms); Infinity while a request uses it. */
export function sleepAt(plan: SleepPlan, usage: Usage): number {
  if (usage.inFlight > 0) return Infinity;
  const quietSince = Math.max(usage.lastActivityAt, usage.lastUsedAt);
  const collecting = usage.collectingSince !== undefined && usage.lastUsedAt < usage.collectingSince;
  return quietSince + (collecting ? Math.min(plan.idleMs, SETTLE_AFTER_SCHEDULED_WAKE_MS) : plan.idleMs);
}

/** "3 s", "5 min", for reasons a user reads. */
export function describeDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const minutes = ms / 60_000;
  return `${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)} min`;
}
