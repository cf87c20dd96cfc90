import { fieldError } from '../shared/errors.js';
import { describeRefusedFlags, refusedFlags, type ChromiumFlagPolicy } from '../browser/chromium-flags.js';
import { configProblem, type SessionConfig, type SessionConfigPatch } from './session-config.js';

/** Fields read when a browser is launched: a change reaches a running session at its next start. */
const AT_NEXT_START: ReadonlySet<keyof SessionConfig> = new Set(['headless', 'qrTimeout', 'qrMaxRetries', 'authTimeout', 'chromiumArgs', 'proxyServerCredentials']);
/** Fields null removes (absent = off). */
const REMOVABLE: ReadonlySet<string> = new Set(['proxyServerCredentials', 'webhookUrl', 'wakeEveryMinutes']);

export interface ConfigUpdate {
  config: SessionConfig;
  /** The fields whose value changed. */
  changed: (keyof SessionConfig)[];
  /** Of those, the ones a running browser does not see until the session starts again. */
  atNextStart: (keyof SessionConfig)[];
}

/**
 * The config after a PATCH: given fields replace the current ones, null removes the removable ones. A proxy given
 * again without its password keeps the saved one when server and user are the same, and a webhook without its
 * secret keeps the one saved for its URL (the API never returns either).
 * The sandbox flag cannot change: the login belongs to where it was made.
 */
export function applyConfigPatch(current: SessionConfig, patch: SessionConfigPatch, flagPolicy: ChromiumFlagPolicy): ConfigUpdate {
  if (patch.sandbox !== undefined && patch.sandbox !== current.sandbox) {
    throw fieldError('config.sandbox', 'cannot change after creation: the login belongs to where it was made; create another session');
  }
  const refused = refusedFlags(patch.chromiumArgs ?? [], flagPolicy);
  if (refused.length > 0) throw fieldError('config.chromiumArgs', describeRefusedFlags(refused));
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(patch)) {
    if (value === null && REMOVABLE.has(field)) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  const proxy = patch.proxyServerCredentials;
  const saved = current.proxyServerCredentials;
  if (proxy && proxy.password === undefined && saved?.password !== undefined && proxy.protocol === saved.protocol && proxy.address === saved.address && proxy.username === saved.username) {
    next.proxyServerCredentials = { ...proxy, password: saved.password };
  }
  // the API shows webhooks without their secrets: sent back as they were shown, they keep them
  if (patch.webhooks) {
    const secrets = new Map(current.webhooks.filter((webhook) => webhook.secret !== undefined).map((webhook) => [webhook.url, webhook.secret]));
    next.webhooks = patch.webhooks.map((webhook) => (webhook.secret === undefined && secrets.has(webhook.url) ? { ...webhook, secret: secrets.get(webhook.url) } : webhook));
  }
  const config = next as unknown as SessionConfig;
  const problem = configProblem(config);
  if (problem) throw fieldError(`config.${problem.path.join('.')}`, problem.message);
  const changed = (Object.keys({ ...current, ...config }) as (keyof SessionConfig)[]).filter(
    (field) => JSON.stringify(current[field]) !== JSON.stringify(config[field]),
  );
  return { config, changed, atNextStart: changed.filter((field) => AT_NEXT_START.has(field)) };
}
