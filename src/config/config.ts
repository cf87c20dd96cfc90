import path from 'node:path';
import { z, describeZodError } from '../shared/zod.js';
import { LOG_LEVELS, type LogLevel } from '../shared/logger.js';
import { describeRefusedFlags, parseAllowedFlagNames, refusedFlags } from '../browser/chromium-flags.js';
import { isLoopbackHost, parseTrustProxy, type TrustProxySetting } from './network-settings.js';
import { parseAllowHosts, type AllowEntry } from '../net/outbound-policy.js';

/** One row per setting: its CLI flag, its environment variable, and how to read it. */
const booleanFromText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
/** Text read by a parser that throws an Error saying what is wrong: the error names the setting like any other. */
const parsedBy = <T>(parse: (text: string) => T) =>
  z.string().transform((text, context): T => {
    try {
      return parse(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

/** Minutes, fractions allowed (0.05 = 3 s), as a session's hibernateAfterMinutes. */
const minutesSetting = z
  .string()
  .regex(/^\d+(\.\d+)?$/, 'must be a number of minutes, like 30 or 0.5')
  .transform(Number)
  .pipe(z.number().min(0.05).max(525_600));

const SETTINGS = {
  port: { flag: 'port', env: 'PORT', schema: integer(0, 65535), fallback: '8080' },
  // loopback without an API key, all interfaces with one (resolved in loadConfig)
  host: { flag: 'host', env: 'HOST', schema: z.string().min(1), fallback: undefined },
  insecureNoApiKey: { flag: 'insecure-no-api-key', env: 'INSECURE_NO_API_KEY', schema: booleanFromText, fallback: 'false' },
  trustProxy: { flag: 'trust-proxy', env: 'TRUST_PROXY', schema: parsedBy(parseTrustProxy), fallback: 'false' },
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
  leanChromium: { flag: 'lean-chromium', env: 'LEAN_CHROMIUM', schema: booleanFromText, fallback: 'true' },
  allowChromiumFlags: { flag: 'allow-chromium-flags', env: 'ALLOW_CHROMIUM_FLAGS', schema: parsedBy(parseAllowedFlagNames), fallback: '' },
  apiKey: {
    flag: 'api-key',
    env: 'API_KEY',
    schema: z.string().min(8, 'must be at least 8 characters'),
    fallback: undefined,
    secret: true,
  },
  recoverSessions: { flag: 'recover-sessions', env: 'RECOVER_SESSIONS', schema: booleanFromText, fallback: 'true' },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', schema: z.enum(LOG_LEVELS), fallback: 'info' },
  rateLimitMax: { flag: 'rate-limit-max', env: 'RATE_LIMIT_MAX', schema: integer(1, 10_000_000), fallback: '1000' },
  rateLimitWindowMs: {
    flag: 'rate-limit-window-ms',
    env: 'RATE_LIMIT_WINDOW_MS',
    schema: integer(1000, 86_400_000),
    fallback: '10000',
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
  // off unless set: sessions hibernate only when their config or this says so
  hibernateAfterMinutes: { flag: 'hibernate-after-minutes', env: 'HIBERNATE_AFTER_MINUTES', schema: minutesSetting, fallback: undefined },
  wakeConcurrency: { flag: 'wake-concurrency', env: 'WAKE_CONCURRENCY', schema: integer(1, 64), fallback: '2' },
  pageMessagesKept: { flag: 'page-messages-kept', env: 'PAGE_MESSAGES_KEPT', schema: integer(0, 1_000_000), fallback: '500' },
  pageMessageMinAgeSeconds: {
    flag: 'page-message-min-age-seconds',
    env: 'PAGE_MESSAGE_MIN_AGE_SECONDS',
    schema: integer(0, 86_400),
    fallback: '120',
  },
  // off unless set: the last line of defence against a browser that grows anyway
  sessionMemoryLimitMib: { flag: 'session-memory-limit-mib', env: 'SESSION_MEMORY_LIMIT_MIB', schema: integer(64, 1_048_576), fallback: undefined },
  eventLogCacheKib: { flag: 'event-log-cache-kib', env: 'EVENT_LOG_CACHE_KIB', schema: integer(64, 1_048_576), fallback: '2048' },
  streamMaxBufferedBytes: {
    flag: 'stream-max-buffered-bytes',
    env: 'STREAM_MAX_BUFFERED_BYTES',
    schema: integer(64 * 1024, 1024 * 1024 * 1024),
    fallback: String(4 * 1024 * 1024),
  },
  memoryCheckIntervalMs: { flag: 'memory-check-interval-ms', env: 'MEMORY_CHECK_INTERVAL_MS', schema: integer(1000, 3_600_000), fallback: '60000' },
  stopDeadlineMs: { flag: 'stop-deadline-ms', env: 'STOP_DEADLINE_MS', schema: integer(500, 120_000), fallback: '10000' },
  webhookSecret: {
    flag: 'webhook-secret',
    env: 'WEBHOOK_SECRET',
    schema: z.string().min(8, 'must be at least 8 characters'),
    fallback: undefined,
    secret: true,
  },
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
  webhookAllowHosts: { flag: 'webhook-allow-hosts', env: 'WEBHOOK_ALLOW_HOSTS', schema: parsedBy(parseAllowHosts), fallback: '' },
  maxMediaBytes: { flag: 'max-media-bytes', env: 'MAX_MEDIA_BYTES', schema: integer(1024, 1024 * 1024 * 1024), fallback: String(16 * 1024 * 1024) },
  mediaAllowHosts: { flag: 'media-allow-hosts', env: 'MEDIA_ALLOW_HOSTS', schema: parsedBy(parseAllowHosts), fallback: '' },
  mediaFetchTimeoutMs: { flag: 'media-fetch-timeout-ms', env: 'MEDIA_FETCH_TIMEOUT_MS', schema: integer(100, 600_000), fallback: '30000' },
  webVersionCache: {
    flag: 'web-version-cache',
    env: 'WEB_VERSION_CACHE',
    schema: z.enum(['none', 'local']),
    fallback: 'none',
  },
} as const satisfies Record<string, Setting>;

interface Setting {
  flag: string;
  env: string;
  schema: z.ZodType;
  fallback: string | undefined;
  /** Never echoed in an error message. */
  secret?: boolean;
}

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
  /** --lean-chromium: the trimmed process model (LEAN_CHROMIUM_ARGS) for every browser. */
  readonly leanChromium: boolean;
  /** Chromium switch names the operator allowed beyond the harmless ones. */
  readonly allowChromiumFlags: ReadonlySet<string>;
  readonly apiKey?: string;
  readonly insecureNoApiKey: boolean;
  readonly trustProxy: TrustProxySetting;
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
  /** --webhook-allow-hosts: host names, IPs and CIDRs webhooks may reach although loopback or private. */
  readonly webhookAllowHosts: readonly AllowEntry[];
  /** --max-media-bytes: the largest media a send accepts (posted or fetched). */
  readonly maxMediaBytes: number;
  /** --media-allow-hosts: host names, IPs and CIDRs media URLs may reach although loopback or private. */
  readonly mediaAllowHosts: readonly AllowEntry[];
  readonly mediaFetchTimeoutMs: number;
  readonly maxRestartAttempts: number;
  readonly restartResetMs: number;
  readonly restartCooldownMs: number;
  readonly restoreConcurrency: number;
  /** --hibernate-after-minutes: the default of sessions whose config does not set hibernateAfterMinutes. */
  readonly hibernateAfterMinutes?: number;
  /** --wake-concurrency: scheduled wakes under way at once, and wakes of any kind launching a browser at once. */
  readonly wakeConcurrency: number;
  readonly stopDeadlineMs: number;
  /** --page-messages-kept: messages each session's page keeps loaded; older ones are unloaded (WhatsApp Web keeps them). */
  readonly pageMessagesKept: number;
  /** --page-message-min-age-seconds: messages younger than this are never unloaded. */
  readonly pageMessageMinAgeSeconds: number;
  /** --session-memory-limit-mib: a session whose browser passes it is recycled at a quiet moment; undefined = never. */
  readonly sessionMemoryLimitMib?: number;
  /** --event-log-cache-kib: SQLite's page cache per session's event log. */
  readonly eventLogCacheKib: number;
  /** --stream-max-buffered-bytes: a live-stream client holding more than this unread is disconnected (it resumes). */
  readonly streamMaxBufferedBytes: number;
  /** --memory-check-interval-ms: how often pages are trimmed (and browsers measured against the memory limit). */
  readonly memoryCheckIntervalMs: number;
}

export class ConfigError extends Error {}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Map<string, Setting>(
    Object.values(SETTINGS).map((setting) => [setting.flag, setting]),
  );
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const setting = match ? known.get(match[1]!) : undefined;
    // only the name: a mistyped secret flag (--apikey=...) must not print its value
    if (!match || !setting) throw new ConfigError(`Unknown argument '${arg.split('=')[0]!.slice(0, 60)}'`);
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
  for (const [name, setting] of Object.entries(SETTINGS) as [string, Setting][]) {
    const raw = flags.get(setting.flag) ?? nonEmpty(env[setting.env]) ?? setting.fallback;
    if (raw === undefined) continue;
    const parsed = setting.schema.safeParse(raw);
    if (!parsed.success) {
      const shown = setting.secret ? '' : ` = '${raw}'`;
      throw new ConfigError(`Invalid setting ${setting.env} (--${setting.flag})${shown}: ${describeZodError(parsed.error)}`);
    }
    result[name] = parsed.data;
  }
  result.sessionsDir = path.resolve(String(result.sessionsDir));
  result.chromiumArgs = readChromiumArgs(String(result.chromiumArgs ?? ''), result.allowChromiumFlags as Set<string>);
  result.host = resolveHost(result.host as string | undefined, result.apiKey !== undefined, result.insecureNoApiKey === true);
  // every key of AppConfig was parsed by its own schema above
  return Object.freeze(result) as unknown as AppConfig;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Without an API key the server listens on loopback; anything wider needs the key or an explicit, loud override. */
function resolveHost(host: string | undefined, hasApiKey: boolean, insecureNoApiKey: boolean): string {
  if (host === undefined) return hasApiKey ? '0.0.0.0' : '127.0.0.1';
  if (!hasApiKey && !insecureNoApiKey && !isLoopbackHost(host)) {
    throw new ConfigError(
      `Refusing to listen on ${host} without an API key: anyone who reaches it could read and send WhatsApp messages. ` +
        'Set API_KEY (--api-key), listen on 127.0.0.1, or pass --insecure-no-api-key to run an open API on purpose',
    );
  }
  return host;
}

/** CHROMIUM_ARGS: a JSON array of flags (values may hold spaces), or flags separated by white space. */
function readChromiumArgs(text: string, extraAllowed: ReadonlySet<string>): string[] {
  const args = splitChromiumArgs(text);
  const bad = args.find((arg) => !arg.startsWith('--'));
  if (bad !== undefined) throw new ConfigError(`Invalid setting CHROMIUM_ARGS: '${bad.slice(0, 60)}' is not a --flag`);
  const refused = refusedFlags(args, { extraAllowed });
  if (refused.length > 0) throw new ConfigError(`Invalid setting CHROMIUM_ARGS: ${describeRefusedFlags(refused)}`);
  return args;
}

function splitChromiumArgs(text: string): string[] {
  const trimmed = text.trim();
  if (!trimmed.startsWith('[')) return trimmed.split(/\s+/).filter(Boolean);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new ConfigError('Invalid setting CHROMIUM_ARGS: it starts with [ but is not a JSON array');
  }
  if (!Array.isArray(parsed) || !parsed.every((arg): arg is string => typeof arg === 'string')) {
    throw new ConfigError('Invalid setting CHROMIUM_ARGS: the JSON array must hold only strings');
  }
  return parsed;
}
