import path from 'node:path';
import { z, describeZodError } from '../shared/zod.js';
import { LOG_LEVELS, type LogLevel } from '../shared/logger.js';

/** One row per setting: its CLI flag, its environment variable, and how to read it. */
const booleanFromText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const SETTINGS = {
  port: { flag: 'port', env: 'PORT', schema: integer(0, 65535), fallback: '8080' },
  host: { flag: 'host', env: 'HOST', schema: z.string().min(1), fallback: '0.0.0.0' },
  maxSessions: { flag: 'max-sessions', env: 'MAX_SESSIONS', schema: integer(1, 10000), fallback: '10' },
  sessionsDir: { flag: 'sessions-dir', env: 'SESSIONS_DIR', schema: z.string().min(1), fallback: './sessions' },
  useChrome: { flag: 'use-chrome', env: 'USE_CHROME', schema: booleanFromText, fallback: 'false' },
  webhookHost: {
    flag: 'webhook-host',
    env: 'WEBHOOK_HOST',
    schema: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    fallback: undefined,
  },
  sandbox: { flag: 'sandbox', env: 'SANDBOX', schema: booleanFromText, fallback: 'false' },
  chromeBin: { flag: 'chrome-bin', env: 'CHROME_BIN', schema: z.string().min(1), fallback: undefined },
  chromiumArgs: { flag: 'chromium-args', env: 'CHROMIUM_ARGS', schema: z.string(), fallback: '' },
  apiKey: { flag: 'api-key', env: 'API_KEY', schema: z.string().min(8, 'must be at least 8 characters'), fallback: undefined },
  recoverSessions: { flag: 'recover-sessions', env: 'RECOVER_SESSIONS', schema: booleanFromText, fallback: 'true' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', schema: z.enum(LOG_LEVELS), fallback: 'info' },
  rateLimitMax: { flag: 'rate-limit-max', env: 'RATE_LIMIT_MAX', schema: integer(1, 1_000_000), fallback: '1000' },
  rateLimitWindowMs: {
    flag: 'rate-limit-window-ms',
    env: 'RATE_LIMIT_WINDOW_MS',
    schema: integer(1000, 86_400_000),
    fallback: '60000',
  },
  maxRestartAttempts: {
    flag: 'max-restart-attempts',
    env: 'MAX_RESTART_ATTEMPTS',
    schema: integer(0, 100),
    fallback: '3',
  },
  restartResetMs: { flag: 'restart-reset-ms', env: 'RESTART_RESET_MS', schema: integer(1000, 86_400_000), fallback: '120000' },
  restartCooldownMs: { flag: 'restart-cooldown-ms', env: 'RESTART_COOLDOWN_MS', schema: integer(0, 3_600_000), fallback: '30000' },
  restoreConcurrency: { flag: 'restore-concurrency', env: 'RESTORE_CONCURRENCY', schema: integer(1, 64), fallback: '2' },
  stopDeadlineMs: { flag: 'stop-deadline-ms', env: 'STOP_DEADLINE_MS', schema: integer(500, 120_000), fallback: '10000' },
  webhookSecret: { flag: 'webhook-secret', env: 'WEBHOOK_SECRET', schema: z.string().min(8, 'must be at least 8 characters'), fallback: undefined },
  webhookMaxAttempts: { flag: 'webhook-max-attempts', env: 'WEBHOOK_MAX_ATTEMPTS', schema: integer(1, 100), fallback: '13' },
  webhookBaseDelayMs: { flag: 'webhook-base-delay-ms', env: 'WEBHOOK_BASE_DELAY_MS', schema: integer(10, 3_600_000), fallback: '1000' },
  webhookMaxDelayMs: { flag: 'webhook-max-delay-ms', env: 'WEBHOOK_MAX_DELAY_MS', schema: integer(10, 86_400_000), fallback: '300000' },
  webhookTimeoutMs: { flag: 'webhook-timeout-ms', env: 'WEBHOOK_TIMEOUT_MS', schema: integer(100, 300_000), fallback: '10000' },
  webhookAllowLinkLocal: {
    flag: 'webhook-allow-link-local',
    env: 'WEBHOOK_ALLOW_LINK_LOCAL',
    schema: booleanFromText,
    fallback: 'false',
  },
  webVersionCache: {
    flag: 'web-version-cache',
    env: 'WEB_VERSION_CACHE',
    schema: z.enum(['none', 'local']),
    fallback: 'none',
  },
} as const;

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly maxSessions: number;
  readonly sessionsDir: string;
  readonly useChrome: boolean;
  readonly webhookHost?: string;
  readonly sandbox: boolean;
  readonly chromeBin?: string;
  readonly chromiumArgs: readonly string[];
  readonly apiKey?: string;
  readonly recoverSessions: boolean;
  readonly logLevel: LogLevel;
  readonly rateLimitMax: number;
  readonly rateLimitWindowMs: number;
  readonly webVersionCache: 'none' | 'local';
  readonly webhookSecret?: string;
  readonly webhookMaxAttempts: number;
  readonly webhookBaseDelayMs: number;
  readonly webhookMaxDelayMs: number;
  readonly webhookTimeoutMs: number;
  readonly webhookAllowLinkLocal: boolean;
  readonly maxRestartAttempts: number;
  readonly restartResetMs: number;
  readonly restartCooldownMs: number;
  readonly restoreConcurrency: number;
  readonly stopDeadlineMs: number;
}

export class ConfigError extends Error {}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Map<string, (typeof SETTINGS)[keyof typeof SETTINGS]>(
    Object.values(SETTINGS).map((setting) => [setting.flag, setting]),
  );
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const setting = match ? known.get(match[1]!) : undefined;
    if (!match || !setting) throw new ConfigError(`Unknown argument '${arg}'`);
    let value = match[2];
    if (value === undefined) {
      const next = argv[i + 1];
      const isBoolean = setting.schema === booleanFromText;
      if (isBoolean && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) throw new ConfigError(`--${setting.flag} needs a value`);
      else value = argv[++i]!;
    }
    values.set(setting.flag, value);
  }
  return values;
}

/** Reads every setting from CLI flags (first) or the environment; throws ConfigError naming the bad setting. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): AppConfig {
  const flags = parseFlags(argv);
  const result: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = flags.get(setting.flag) ?? nonEmpty(env[setting.env]) ?? setting.fallback;
    if (raw === undefined) continue;
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      throw new ConfigError(`Invalid setting ${setting.env} (--${setting.flag}) = '${raw}': ${describeZodError(parsed.error)}`);
    }
    result[name] = parsed.data;
  }
  result.sessionsDir = path.resolve(String(result.sessionsDir));
  result.chromiumArgs = splitChromiumArgs(String(result.chromiumArgs ?? ''));
  // every key of AppConfig was parsed by its own schema above
  return Object.freeze(result) as unknown as AppConfig;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function splitChromiumArgs(text: string): string[] {
  const args = text.split(/\s+/).filter(Boolean);
  const bad = args.find((arg) => !arg.startsWith('--'));
  if (bad) throw new ConfigError(`Invalid setting CHROMIUM_ARGS: '${bad}' is not a --flag`);
  return args;
}
