import os from 'node:os';
import path from 'node:path';
import { describeZodError } from '../shared/zod.js';
import type { LogLevel } from '../shared/logger.js';
import { describeRefusedFlags, refusedFlags } from '../browser/chromium-flags.js';
import { isLoopbackHost, type TrustProxySetting } from './network-settings.js';
import type { AllowEntry } from '../net/outbound-policy.js';
import { SETTINGS, booleanFromText, type Setting } from './settings-table.js';

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
  /** --chromium-low-end-mode: Chromium's low-end device mode (LOW_END_CHROMIUM_ARGS) for every browser. */
  readonly chromiumLowEndMode: boolean;
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
  /** --metrics-public: GET /metrics answers without the API key. */
  readonly metricsPublic: boolean;
  /** --access-log: one structured log line per request. */
  readonly accessLog: boolean;
  /** --dashboard: the web dashboard at / (a client of the API; it shows nothing without a key). */
  readonly dashboard: boolean;
  /** --probe-interval-ms: how often browsers are measured and WORKING pages pinged. */
  readonly probeIntervalMs: number;
  /** --page-ping-timeout-ms: a ping not answered within this counts as a silent page. */
  readonly pagePingTimeoutMs: number;
  /** --page-unresponsive-ms: a page silent this long while its browser runs is treated as a crash; 0 = never. */
  readonly pageUnresponsiveMs: number;
  /** --event-retention-days: events older than this are pruned from each session's log (0 = kept whatever their age). */
  readonly eventRetentionDays: number;
  /** --event-log-max-mib: past this, the oldest events of a session's log are pruned (0 = no size limit). */
  readonly eventLogMaxMib: number;
  /** --event-prune-interval-ms: how often the open logs are pruned, vacuumed and checkpointed. */
  readonly eventPruneIntervalMs: number;
  /** --ready-min-free-disk-mib: GET /ready answers 503 with less free space than this in the sessions folder. */
  readonly readyMinFreeDiskMib: number;
  /** --database-url: cluster mode, on this Postgres; unset = one process with local files. */
  readonly databaseUrl?: string;
  /** --instance-name: this instance's name in the cluster (the host name unless set). */
  readonly instanceName: string;
  /** --advertised-url: where the other instances reach this one (the address it listens on unless set). */
  readonly advertisedUrl?: string;
  /** --lease-ms: how long a session's lease lasts without renewal; a dead instance's sessions move after it. */
  readonly leaseMs: number;
  /** --login-backup-interval-ms: how often each session's login is backed up to the cluster's database. */
  readonly loginBackupIntervalMs: number;
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
  result.instanceName ??= sanitizedHostName();
  result.host = resolveHost(result.host as string | undefined, result.apiKey !== undefined, result.insecureNoApiKey === true);
  // every key of AppConfig was parsed by its own schema above
  return Object.freeze(result) as unknown as AppConfig;
}

/** The host name as an instance name: characters an instance name may not hold become dashes. */
function sanitizedHostName(): string {
  return os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 63) || 'wamux';
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
