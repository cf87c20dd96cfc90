/** The soak's options and arithmetic, apart from the processes it drives (unit-tested). */

export interface SoakOptions {
  minutes: number;
  sessions: number;
  /** Messages a second per session, half sent through the API, half written by the phone. */
  rate: number;
  sampleSeconds: number;
  /** Samples before this are warm-up and do not count. */
  warmupMinutes: number;
  /** Also judge the run up to this minute (a 30-minute verdict from a 2-hour run). */
  checkpointMinutes?: number;
}

export interface Sample {
  minute: number;
  server: number;
  browsers: Record<string, number>;
  /** PSS summed over every session by Chromium process type (browser, renderer, utility: storage…), in MiB. */
  types: Record<string, number>;
}

/**
 * What kind of Chromium process a command line is: `browser` for the main one, else its --type, with a utility's
 * service named by the last part of --utility-sub-type (`utility storage.mojom.StorageService` → `utility
 * StorageService`).
 */
export function processTypeOf(args: readonly string[]): string {
  const value = (name: string) => {
    const prefix = `--${name}=`;
    const found = args.find((arg) => arg.startsWith(prefix));
    return found?.slice(prefix.length).split(' ')[0];
  };
  const type = value('type');
  if (type === undefined) return 'browser';
  const service = value('utility-sub-type');
  return service === undefined ? type : `${type} ${service.split('.').at(-1)}`;
}

export function parseSoakOptions(args: readonly string[]): SoakOptions {
  const value = (name: string, fallback: number): number => {
    const index = args.indexOf(`--${name}`);
    if (index < 0) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`--${name} needs a positive number, got '${args[index + 1] ?? ''}'`);
    return parsed;
  };
  const minutes = value('minutes', 30);
  return {
    minutes,
    sessions: Math.round(value('sessions', 5)),
    rate: value('rate', 10),
    sampleSeconds: value('sample-seconds', 30),
    warmupMinutes: value('warmup-minutes', Math.min(5, minutes / 3)),
    checkpointMinutes: args.includes('--checkpoint-minutes') ? value('checkpoint-minutes', 0) : undefined,
  };
}

/** Least-squares slope of MiB over minutes; 0 with fewer than two points. */
export function slopePerMinute(series: readonly { minute: number; mib: number }[]): number {
  if (series.length < 2) return 0;
  const meanX = series.reduce((sum, point) => sum + point.minute, 0) / series.length;
  const meanY = series.reduce((sum, point) => sum + point.mib, 0) / series.length;
  let covariance = 0;
  let variance = 0;
  for (const point of series) {
    covariance += (point.minute - meanX) * (point.mib - meanY);
    variance += (point.minute - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** Growth over the series as a fraction of its start, read from the fitted line (one noisy sample does not decide). */
export function growthOf(series: readonly { minute: number; mib: number }[]): number {
  if (series.length < 2) return 0;
  const slope = slopePerMinute(series);
  const meanX = series.reduce((sum, point) => sum + point.minute, 0) / series.length;
  const meanY = series.reduce((sum, point) => sum + point.mib, 0) / series.length;
  const first = series[0]!.minute;
  const last = series[series.length - 1]!.minute;
  const start = meanY + slope * (first - meanX);
  return start <= 0 ? 0 : (slope * (last - first)) / start;
}
