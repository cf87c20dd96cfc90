import type { Session, SessionConfig, Webhook } from './types.js';

/** A session's config as the form edits it: text for numbers (empty = not set), one flag per line. */
export interface ConfigForm {
  sandbox: boolean;
  qrTimeout: string;
  qrMaxRetries: string;
  authTimeout: string;
  headless: boolean;
  restartOnCrash: boolean;
  /** '' = the server's default, 'never', or a number of minutes. */
  hibernate: '' | 'never' | 'after';
  hibernateAfterMinutes: string;
  wakeEveryMinutes: string;
  chromiumArgs: string;
  proxyProtocol: string;
  proxyAddress: string;
  proxyUsername: string;
  proxyPassword: string;
  proxyPasswordSet: boolean;
  webhookUrl: string;
  webhooks: WebhookForm[];
}

export interface WebhookForm {
  url: string;
  /** Empty: every event. */
  events: string[];
  secret: string;
  secretSet: boolean;
}

const text = (value: number | undefined): string => (value === undefined ? '' : String(value));

export function formOf(config: SessionConfig | undefined, sandboxByDefault: boolean): ConfigForm {
  const proxy = config?.proxyServerCredentials;
  const hibernate = config?.hibernateAfterMinutes;
  return {
    sandbox: config?.sandbox ?? sandboxByDefault,
    qrTimeout: text(config?.qrTimeout),
    qrMaxRetries: text(config?.qrMaxRetries),
    authTimeout: text(config?.authTimeout),
    headless: config?.headless ?? true,
    restartOnCrash: config?.restartOnCrash ?? true,
    hibernate: hibernate === null ? 'never' : hibernate === undefined ? '' : 'after',
    hibernateAfterMinutes: typeof hibernate === 'number' ? String(hibernate) : '',
    wakeEveryMinutes: text(config?.wakeEveryMinutes),
    chromiumArgs: (config?.chromiumArgs ?? []).join('\n'),
    proxyProtocol: proxy?.protocol ?? '',
    proxyAddress: proxy?.address ?? '',
    proxyUsername: proxy?.username ?? '',
    proxyPassword: '',
    proxyPasswordSet: proxy?.passwordSet === true,
    webhookUrl: config?.webhookUrl ?? '',
    webhooks: (config?.webhooks ?? []).map((webhook: Webhook) => ({
      url: webhook.url,
      events: webhook.events ?? [],
      secret: '',
      secretSet: webhook.secretSet === true,
    })),
  };
}

/** A number as typed; text that is no number goes to the server as it is, so that its message explains. */
function numberOf(value: string): number | string | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isFinite(parsed) ? parsed : trimmed;
}

function proxyOf(form: ConfigForm): Record<string, string> | undefined {
  if (form.proxyProtocol === '') return undefined;
  return {
    protocol: form.proxyProtocol,
    address: form.proxyAddress.trim(),
    ...(form.proxyUsername.trim() === '' ? {} : { username: form.proxyUsername.trim() }),
    // a password not typed again is kept by the server
    ...(form.proxyPassword === '' ? {} : { password: form.proxyPassword }),
  };
}

function webhooksOf(form: ConfigForm): Record<string, unknown>[] {
  return form.webhooks.map((webhook) => ({
    url: webhook.url.trim(),
    ...(webhook.events.length === 0 ? {} : { events: webhook.events }),
    ...(webhook.secret === '' ? {} : { secret: webhook.secret }),
  }));
}

/** Every field the form sets, as POST /sessions takes them (unset ones left to the server's defaults). */
export function configOf(form: ConfigForm): Record<string, unknown> {
  const config: Record<string, unknown> = {
    sandbox: form.sandbox,
    headless: form.headless,
    restartOnCrash: form.restartOnCrash,
    qrTimeout: numberOf(form.qrTimeout),
    qrMaxRetries: numberOf(form.qrMaxRetries),
    authTimeout: numberOf(form.authTimeout),
    // 'after' with no minutes goes as it is, for the server to say what is missing (absent would mean the default)
    hibernateAfterMinutes: form.hibernate === 'never' ? null : form.hibernate === 'after' ? (numberOf(form.hibernateAfterMinutes) ?? '') : undefined,
    wakeEveryMinutes: numberOf(form.wakeEveryMinutes),
    webhookUrl: form.webhookUrl.trim() === '' ? undefined : form.webhookUrl.trim(),
    webhooks: form.webhooks.length === 0 ? undefined : webhooksOf(form),
    proxyServerCredentials: proxyOf(form),
    chromiumArgs: form.chromiumArgs.trim() === '' ? undefined : form.chromiumArgs.split('\n').map((line) => line.trim()).filter(Boolean),
  };
  for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
  return config;
}

/**
 * PATCH /sessions/:id: only what changed from the session's config (a scoped key may not send a proxy or Chromium
 * flags at all, even unchanged); a field emptied that can be removed is sent as null.
 */
export function patchOf(form: ConfigForm, session: Session): Record<string, unknown> {
  const before = configOf(formOf(session.config, session.config.sandbox ?? false));
  const after = configOf(form);
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'sandbox') continue;
    if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
    if (key in after) patch[key] = after[key];
    else if (key === 'webhooks') patch[key] = [];
    else if (key === 'chromiumArgs') patch[key] = [];
    else patch[key] = null;
  }
  if (form.proxyPassword !== '' && form.proxyProtocol !== '') patch.proxyServerCredentials = proxyOf(form);
  if (form.webhooks.some((webhook) => webhook.secret !== '')) patch.webhooks = webhooksOf(form);
  return patch;
}
