import type { Api } from './api.js';
import type { SessionMetrics } from './types.js';

/** The per-session series of GET /metrics the overview shows, by metric name. */
const FIELDS: Record<string, keyof SessionMetrics> = {
  wamux_session_browser_pss_bytes: 'pssBytes',
  wamux_session_browser_processes: 'processes',
  wamux_session_restarts_total: 'restarts',
  wamux_session_crashes_total: 'crashes',
  wamux_session_seconds_since_last_event: 'secondsSinceLastEvent',
};

const SAMPLE = /^([a-z_]+)\{([^}]*)\}\s+(\S+)/;

/** Reads the Prometheus text format for the series above, keyed by their session label. */
export function parseSessionMetrics(text: string): Map<string, SessionMetrics> {
  const bySession = new Map<string, SessionMetrics>();
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const field = FIELDS[match[1]!];
    const session = /(?:^|,)session="((?:[^"\\]|\\.)*)"/.exec(match[2]!)?.[1];
    const value = Number(match[3]);
    if (!field || session === undefined || !Number.isFinite(value)) continue;
    const entry = bySession.get(session) ?? {};
    entry[field] = (entry[field] ?? 0) + value; // counters come split by a second label: add them up
    bySession.set(session, entry);
  }
  return bySession;
}

export async function fetchSessionMetrics(api: Api): Promise<Map<string, SessionMetrics>> {
  const readAt = Date.now();
  const bySession = parseSessionMetrics(await (await api.raw('GET', '/metrics')).text());
  for (const entry of bySession.values()) entry.readAt = readAt;
  return bySession;
}
