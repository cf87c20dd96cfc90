import { z } from '../shared/zod.js';
import { LOG_LEVELS } from '../shared/logger.js';
import { parseAllowedFlagNames } from '../browser/chromium-flags.js';
import { parseTrustProxy } from './network-settings.js';
import { parseAllowHosts } from '../net/outbound-policy.js';

/** One row per setting: its CLI flag, its environment variable, and how to read it. */
export const booleanFromText = z
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

export const SETTINGS = {
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
  chromiumLowEndMode: { flag: 'chromium-low-end-mode', env: 'CHROMIUM_LOW_END_MODE', schema: booleanFromText, fallback: 'true' },
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
  metricsPublic: { flag: 'metrics-public', env: 'METRICS_PUBLIC', schema: booleanFromText, fallback: 'false' },
  accessLog: { flag: 'access-log', env: 'ACCESS_LOG', schema: booleanFromText, fallback: 'true' },
  dashboard: { flag: 'dashboard', env: 'DASHBOARD', schema: booleanFromText, fallback: 'true' },
  probeIntervalMs: { flag: 'probe-interval-ms', env: 'PROBE_INTERVAL_MS', schema: integer(1000, 3_600_000), fallback: '15000' },
  pagePingTimeoutMs: { flag: 'page-ping-timeout-ms', env: 'PAGE_PING_TIMEOUT_MS', schema: integer(100, 120_000), fallback: '5000' },
  // 0 = never: a page that stays silent is only reported (metrics), not restarted
  pageUnresponsiveMs: { flag: 'page-unresponsive-ms', env: 'PAGE_UNRESPONSIVE_MS', schema: integer(0, 86_400_000), fallback: '60000' },
  eventRetentionDays: { flag: 'event-retention-days', env: 'EVENT_RETENTION_DAYS', schema: integer(0, 36_500), fallback: '30' },
  eventLogMaxMib: { flag: 'event-log-max-mib', env: 'EVENT_LOG_MAX_MIB', schema: integer(0, 1_048_576), fallback: '256' },
  eventPruneIntervalMs: { flag: 'event-prune-interval-ms', env: 'EVENT_PRUNE_INTERVAL_MS', schema: integer(1000, 86_400_000), fallback: '600000' },
  // cluster mode: set, the instances that share this database share the sessions (see README, Cluster)
  databaseUrl: {
    flag: 'database-url',
    env: 'DATABASE_URL',
    schema: z.string().regex(/^postgres(ql)?:\/\/[^\s]+$/, 'must be a postgres:// URL'),
    fallback: undefined,
    secret: true,
  },
  // defaults to the host name (resolved in loadConfig)
  instanceName: {
    flag: 'instance-name',
    env: 'INSTANCE_NAME',
    schema: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'must be 1-63 letters, digits, dots, dashes or underscores'),
    fallback: undefined,
  },
  // where the other instances reach this one; defaults to the address it listens on
  advertisedUrl: {
    flag: 'advertised-url',
    env: 'ADVERTISED_URL',
    schema: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
    fallback: undefined,
  },
  leaseMs: { flag: 'lease-ms', env: 'LEASE_MS', schema: integer(3_000, 600_000), fallback: '15000' },
  loginBackupIntervalMs: {
    flag: 'login-backup-interval-ms',
    env: 'LOGIN_BACKUP_INTERVAL_MS',
    schema: integer(1_000, 86_400_000),
    fallback: '300000',
  },
  readyMinFreeDiskMib: { flag: 'ready-min-free-disk-mib', env: 'READY_MIN_FREE_DISK_MIB', schema: integer(0, 1_048_576), fallback: '256' },
} as const satisfies Record<string, Setting>;

export interface Setting {
  flag: string;
  env: string;
  schema: z.ZodType;
  fallback: string | undefined;
  /** Never echoed in an error message. */
  secret?: boolean;
}

