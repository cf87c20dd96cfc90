/** What a bench run measures and how often: command-line arguments and BENCH_* environment variables. */
export interface BenchOptions {
  /** A git ref to build and measure next to this checkout (--baseline <ref>). */
  baseline: string | undefined;
  /** Runs per build; figures are medians over them (BENCH_RUNS, default 3). */
  runs: number;
  /** Messages per send-text measurement (BENCH_SENDS, default 200). */
  sends: number;
  /** Fleet sizes at which memory is read, cumulatively on the same linked sessions (BENCH_MEMORY_SESSIONS, default 1,5,20). */
  memorySessions: number[];
  /** Fleet size at which API latency is measured (BENCH_LATENCY_SESSIONS, default 20; 0 skips it). */
  latencySessions: number;
  /** Requests in the latency mix, and how many clients send them at once (BENCH_LATENCY_REQUESTS 400, BENCH_LATENCY_CLIENTS 4). */
  latencyRequests: number;
  latencyClients: number;
}

const USAGE = 'usage: sessions.bench.ts [--baseline <git ref>]';

function positiveInteger(name: string, fallback: number, minimum = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < minimum) throw new Error(`${name} must be an integer >= ${minimum}, got '${raw}'`);
  return value;
}

function sessionCounts(name: string, fallback: string): number[] {
  const raw = process.env[name] || fallback;
  const counts = raw.split(',').map((item) => Number(item.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count < 1)) throw new Error(`${name} must list integers >= 1, got '${raw}'`);
  return [...new Set(counts)].sort((a, b) => a - b);
}

/** The --baseline argument, from argv (either "--baseline REF" or "--baseline=REF"). */
export function baselineArgument(argv: readonly string[]): string | undefined {
  let baseline: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--baseline') {
      baseline = argv[++index];
      if (baseline === undefined || baseline.startsWith('--')) throw new Error(`--baseline needs a git ref\n${USAGE}`);
    } else if (arg.startsWith('--baseline=')) {
      baseline = arg.slice('--baseline='.length);
    } else {
      throw new Error(`unknown argument '${arg}'\n${USAGE}`);
    }
  }
  return baseline;
}

export function readOptions(argv: readonly string[]): BenchOptions {
  return {
    baseline: baselineArgument(argv),
    runs: positiveInteger('BENCH_RUNS', 3),
    sends: positiveInteger('BENCH_SENDS', 200),
    memorySessions: sessionCounts('BENCH_MEMORY_SESSIONS', '1,5,20'),
    latencySessions: positiveInteger('BENCH_LATENCY_SESSIONS', 20, 0),
    latencyRequests: positiveInteger('BENCH_LATENCY_REQUESTS', 400),
    latencyClients: positiveInteger('BENCH_LATENCY_CLIENTS', 4),
  };
}
