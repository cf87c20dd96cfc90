import { z } from '../shared/zod.js';
import { EVENT_TYPES } from '../events/event-envelope.js';

export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const SessionIdSchema = z
  .string()
  .regex(SESSION_ID_PATTERN, 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -')
  .openapi({ example: 'support-desk-1' });

export function isValidSessionId(value: string): boolean {
  return SESSION_ID_PATTERN.test(value);
}

// the syntax only: which switches are allowed depends on the server's --allow-chromium-flags (checked by the manager)
const chromiumFlag = z
  .string()
  .max(4096)
  .regex(/^--[a-z0-9][a-z0-9-]*(=.*)?$/s, 'must be a Chromium flag such as --lang=en (lower-case switch name)');

const PROXY_PROTOCOLS = ['http', 'https', 'socks4', 'socks5', 'socks5h'] as const;
const DEFAULT_PROXY_PORTS: Record<string, string> = { http: '80', https: '443' };

/** The short form {address: "socks5://user:pass@host:port"} as the long one; anything else as it came. */
function expandProxyUrl(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || 'protocol' in value) return value;
  const { address, ...rest } = value as { address?: unknown };
  if (typeof address !== 'string' || !address.includes('://')) return value;
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return value;
  }
  const decoded = (text: string) => (text === '' ? undefined : decodeURIComponent(text));
  const protocol = url.protocol.slice(0, -1);
  // the URL parser drops a port that is the scheme's default
  const port = url.port || DEFAULT_PROXY_PORTS[protocol] || '';
  try {
    decoded(url.username);
    decoded(url.password);
  } catch {
    return value; // a malformed %-escape: refused by the schema below
  }
  return {
    ...rest,
    protocol,
    address: `${url.hostname}:${port}`,
    ...(decoded(url.username) === undefined ? {} : { username: decoded(url.username) }),
    ...(decoded(url.password) === undefined ? {} : { password: decoded(url.password) }),
  };
}

const ProxyFields = z
  .object({
    protocol: z.enum(PROXY_PROTOCOLS),
    address: z
      .string()
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port')
      .refine((address) => Number(address.split(':')[1]) >= 1 && Number(address.split(':')[1]) <= 65535, 'the port must be 1 to 65535')
      .openapi({ example: 'proxy.internal:3128' }),
    username: z.string().min(1).max(256).optional(),
    password: z.string().min(1).max(256).optional(),
  })
  .strict()
  .refine((proxy) => (proxy.password === undefined) || proxy.username !== undefined, {
    message: 'password needs a username',
  });

/** A proxy as {protocol, address, username?, password?}, or as {address: "socks5://user:pass@host:port"}. */
export const ProxySchema = z.preprocess(expandProxyUrl, ProxyFields).openapi({
  description: 'protocol http, https, socks4, socks5 or socks5h; or the short form {address: "socks5://user:pass@host:port"}. The password is never returned',
});

export const WebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048),
    events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional().openapi({ description: 'Event types to deliver (all when absent)' }),
    secret: z.string().min(8, 'must be at least 8 characters').max(256).optional().openapi({ description: 'Signs every delivery (HMAC-SHA256); never returned' }),
  })
  .strict()
  .openapi('Webhook');

/** Minutes as the issue names them; fractions allowed, down to 3 seconds (tests and short-lived bots). */
const minutes = z
  .number()
  .min(0.05, 'must be at least 0.05 (3 seconds)')
  .max(525_600, 'must be at most 525600 (a year)');

export const WebhooksSchema = z.array(WebhookSchema).max(10, 'at most 10 webhooks per session');

/** The fields of a session's config as the user sends them, each optional. */
const SessionConfigFields = z
  .object({
    headless: z.boolean().optional().openapi({ description: 'Run Chromium headless (default true)' }),
    qrTimeout: z
      .number()
      .int()
      .min(5)
      .max(600)
      .optional()
      .openapi({ description: 'Seconds each QR code stays valid before a new one is shown (default 20)' }),
    qrMaxRetries: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .openapi({ description: 'QR codes shown before the session gives up and FAILS (default 6; 0 = never)' }),
    authTimeout: z
      .number()
      .int()
      .min(5)
      .max(600)
      .optional()
      .openapi({ description: 'Seconds to reach a QR code or a restored login before the start FAILS (default 60)' }),
    chromiumArgs: z
      .array(chromiumFlag)
      .max(50)
      .optional()
      .openapi({
        description:
          'Extra Chromium flags from an allow-list of harmless ones (window size, language, feature toggles, switches that turn a feature off); others are a 400 unless the server allows them with --allow-chromium-flags',
      }),
    restartOnCrash: z
      .boolean()
      .optional()
      .openapi({ description: 'Restart the session when its browser crashes (default true)' }),
    webhookUrl: z.url({ protocol: /^https?$/ }).max(2048).optional().openapi({ description: 'A webhook for every event (see also webhooks)' }),
    webhooks: WebhooksSchema.optional(),
    sandbox: z
      .boolean()
      .optional()
      .openapi({ description: 'Log into the built-in sandbox instead of WhatsApp (default: server --sandbox)' }),
    proxyServerCredentials: ProxySchema.optional(),
    hibernateAfterMinutes: minutes
      .nullable()
      .optional()
      .openapi({
        description:
          'A WORKING session idle this long (no request that used it, no message sent or received) closes its browser and shows HIBERNATED: its login stays on disk and the next send or read that needs it (or POST .../wake) wakes it. null: never, whatever the server default; absent: the server default (--hibernate-after-minutes, off unless set)',
      }),
    wakeEveryMinutes: minutes.optional().openapi({
      description:
        'While HIBERNATED, wake this often to collect the messages that arrived meanwhile (they become events as if it never slept), then sleep again once quiet; needs hibernateAfterMinutes',
    }),
  })
  .strict();

const WAKES_ONLY_IF_IT_SLEEPS = 'needs hibernateAfterMinutes: only a session that hibernates wakes on a schedule';

/** Per-session settings as the user sends them; every field optional, defaults applied by resolveSessionConfig. */
export const SessionConfigInputSchema = SessionConfigFields.refine(
  (config) => config.wakeEveryMinutes === undefined || typeof config.hibernateAfterMinutes === 'number',
  { message: WAKES_ONLY_IF_IT_SLEEPS, path: ['wakeEveryMinutes'] },
);

/** PATCH .../sessions/:id: the fields to change; null removes a proxy, the webhookUrl or the wake schedule. */
export const SessionConfigPatchSchema = SessionConfigFields.extend({
  proxyServerCredentials: SessionConfigFields.shape.proxyServerCredentials.unwrap().nullable().optional(),
  webhookUrl: SessionConfigFields.shape.webhookUrl.unwrap().nullable().optional(),
  wakeEveryMinutes: SessionConfigFields.shape.wakeEveryMinutes.unwrap().nullable().optional(),
})
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'names no field to change' });
export type SessionConfigPatch = z.infer<typeof SessionConfigPatchSchema>;

/** Whether a resolved config is one a session may have (the checks that span fields). */
export function configProblem(config: SessionConfig): { message: string; path: string[] } | undefined {
  if (config.wakeEveryMinutes !== undefined && typeof config.hibernateAfterMinutes !== 'number') {
    return { message: WAKES_ONLY_IF_IT_SLEEPS, path: ['wakeEveryMinutes'] };
  }
  return undefined;
}

export type SessionConfigInput = z.infer<typeof SessionConfigInputSchema>;
export type ProxyCredentials = z.infer<typeof ProxyFields>;
export type WebhookConfig = z.infer<typeof WebhookSchema>;

export interface SessionConfig {
  headless: boolean;
  qrTimeout: number;
  qrMaxRetries: number;
  authTimeout: number;
  chromiumArgs: string[];
  restartOnCrash: boolean;
  webhookUrl?: string;
  webhooks: WebhookConfig[];
  sandbox: boolean;
  proxyServerCredentials?: ProxyCredentials;
  /** Absent: the server's default; null: never (see hibernation-policy.ts). */
  hibernateAfterMinutes?: number | null;
  wakeEveryMinutes?: number;
}

export interface SessionConfigDefaults {
  sandbox: boolean;
}

export function resolveSessionConfig(input: SessionConfigInput, defaults: SessionConfigDefaults): SessionConfig {
  return {
    headless: input.headless ?? true,
    qrTimeout: input.qrTimeout ?? 20,
    qrMaxRetries: input.qrMaxRetries ?? 6,
    authTimeout: input.authTimeout ?? 60,
    chromiumArgs: input.chromiumArgs ?? [],
    restartOnCrash: input.restartOnCrash ?? true,
    webhookUrl: input.webhookUrl,
    webhooks: input.webhooks ?? [],
    sandbox: input.sandbox ?? defaults.sandbox,
    proxyServerCredentials: input.proxyServerCredentials,
    hibernateAfterMinutes: input.hibernateAfterMinutes,
    wakeEveryMinutes: input.wakeEveryMinutes,
  };
}

type RedactedWebhook = Omit<WebhookConfig, 'secret'> & { secretSet: boolean };
export type RedactedSessionConfig = Omit<SessionConfig, 'proxyServerCredentials' | 'webhooks'> & {
  proxyServerCredentials?: Omit<ProxyCredentials, 'password'> & { passwordSet: boolean };
  webhooks: RedactedWebhook[];
};

export function redactWebhooks(webhooks: readonly WebhookConfig[]): RedactedWebhook[] {
  return webhooks.map(({ secret, ...webhook }) => ({ ...webhook, secretSet: secret !== undefined }));
}

/** The config as it may leave the server: passwords and secrets are replaced by flags. */
export function redactSessionConfig(config: SessionConfig): RedactedSessionConfig {
  const { proxyServerCredentials, webhooks, ...rest } = config;
  const redacted: RedactedSessionConfig = { ...rest, webhooks: redactWebhooks(webhooks) };
  if (!proxyServerCredentials) return redacted;
  const { password, ...proxy } = proxyServerCredentials;
  return { ...redacted, proxyServerCredentials: { ...proxy, passwordSet: password !== undefined } };
}
