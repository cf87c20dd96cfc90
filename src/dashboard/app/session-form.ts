import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, messageOf, sessionPath } from './api.js';
import { configOf, formOf, patchOf, type ConfigForm, type WebhookForm } from './config-form.js';
import { useDashboard } from './context.js';
import { checkedOf, Field, issueFor, valueOf } from './fields.js';
import { navigate } from './router.js';
import type { Session } from './types.js';

const PROXY_PROTOCOLS = ['http', 'https', 'socks4', 'socks5', 'socks5h'];

/** The event types a webhook may choose, as the OpenAPI document lists them (one source: the server's). */
function useEventTypes(): string[] {
  const [types, setTypes] = useState<string[]>([]);
  useEffect(() => {
    fetch('/openapi.json')
      .then((response) => response.json())
      .then((document: { components?: { schemas?: { Webhook?: { properties?: { events?: { items?: { enum?: string[] } } } } } } }) =>
        setTypes(document.components?.schemas?.Webhook?.properties?.events?.items?.enum ?? []),
      )
      .catch(() => undefined);
  }, []);
  return types;
}

interface FieldsProps {
  form: ConfigForm;
  set: (change: Partial<ConfigForm>) => void;
  error: ApiError | undefined;
  editing: Session | undefined;
}

function ConfigFields({ form, set, error, editing }: FieldsProps) {
  const eventTypes = useEventTypes();
  // the server keeps a secret only for the URL it was set for, and a proxy password only for the same proxy and user
  const setWebhook = (index: number, change: Partial<WebhookForm>) =>
    set({
      webhooks: form.webhooks.map((webhook, i) =>
        i !== index ? webhook : { ...webhook, ...change, ...(change.url !== undefined && change.url !== webhook.url ? { secretSet: false } : {}) },
      ),
    });
  const setProxy = (change: Partial<ConfigForm>) => set({ ...change, proxyPasswordSet: false });
  const number = (name: keyof ConfigForm, label: string, hint: string, placeholder = '') =>
    html`<${Field} name=${name} label=${label} hint=${hint} error=${issueFor(error, name)}>
      ${(id: string, describedBy?: string) => html`<input id=${id} name=${name} inputmode="decimal" aria-describedby=${describedBy}
        placeholder=${placeholder} value=${form[name] as string} onInput=${(event: Event) => set({ [name]: valueOf(event) })} />`}
    </${Field}>`;

  return html`
    <fieldset>
      <legend>Connects to</legend>
      ${editing
        ? html`<p>${form.sandbox ? 'The sandbox (a built-in fake WhatsApp)' : 'WhatsApp'}. <span class="muted">This cannot change after creation.</span></p>`
        : html`<div class="choices" role="radiogroup">
            <label class="choice"><input type="radio" name="sandbox" checked=${!form.sandbox} onChange=${() => set({ sandbox: false })} />
              <span><b>WhatsApp</b> — scan the QR code with your phone</span></label>
            <label class="choice"><input type="radio" name="sandbox" value="sandbox" checked=${form.sandbox} onChange=${() => set({ sandbox: true })} />
              <span><b>Sandbox</b> — a built-in fake WhatsApp with a phone you drive from here; no phone needed</span></label>
          </div>`}
      ${issueFor(error, 'sandbox') && html`<small class="field-error" role="alert">${issueFor(error, 'sandbox')}</small>`}
    </fieldset>
    <fieldset>
      <legend>Linking and start</legend>
      <div class="grid">
        ${number('qrTimeout', 'QR lifetime (s)', 'Each QR code shows this long before the next (5–600)', '20')}
        ${number('qrMaxRetries', 'QR codes before giving up', '0 = never give up', '6')}
        ${number('authTimeout', 'Start timeout (s)', 'To reach a QR code or a restored login', '60')}
      </div>
      <label class="check"><input type="checkbox" name="restartOnCrash" checked=${form.restartOnCrash} onChange=${(event: Event) => set({ restartOnCrash: checkedOf(event) })} /> Restart when the browser crashes</label>
      <label class="check"><input type="checkbox" name="headless" checked=${form.headless} onChange=${(event: Event) => set({ headless: checkedOf(event) })} /> Headless browser</label>
    </fieldset>
    <fieldset>
      <legend>Sleeping</legend>
      <${Field} name="hibernateAfterMinutes" label="Hibernate when idle" error=${issueFor(error, 'hibernateAfterMinutes')}
        hint="A sleeping session closes its browser and wakes for the next request that needs it">
        ${(id: string, describedBy?: string) => html`<div class="inline">
          <select id=${id} name="hibernate" aria-describedby=${describedBy} value=${form.hibernate}
            onChange=${(event: Event) => set({ hibernate: valueOf(event) as ConfigForm['hibernate'] })}>
            <option value="" disabled=${editing !== undefined && editing.config.hibernateAfterMinutes !== undefined}>Server default</option>
            <option value="never">Never</option>
            <option value="after">After minutes idle…</option>
          </select>
          ${form.hibernate === 'after' && html`<input aria-label="Minutes idle" name="hibernateAfterMinutes" inputmode="decimal" value=${form.hibernateAfterMinutes}
            onInput=${(event: Event) => set({ hibernateAfterMinutes: valueOf(event) })} />`}
        </div>`}
      </${Field}>
      ${number('wakeEveryMinutes', 'Wake every (minutes)', 'While asleep, wake this often to collect messages (needs hibernation)')}
    </fieldset>
    <fieldset>
      <legend>Webhooks</legend>
      ${form.webhooks.map(
        (webhook, index) => html`<div class="webhook" key=${index}>
          <${Field} name=${`webhooks.${index}.url`} label=${`Webhook ${index + 1} URL`} error=${issueFor(error, `webhooks.${index}.url`) ?? issueFor(error, `webhooks.${index}`)}>
            ${(id: string, describedBy?: string) => html`<input id=${id} name=${`webhooks.${index}.url`} type="url" aria-describedby=${describedBy} placeholder="https://example.com/hook"
              value=${webhook.url} onInput=${(event: Event) => setWebhook(index, { url: valueOf(event) })} />`}
          </${Field}>
          <${Field} name=${`webhooks.${index}.secret`} label=${`Webhook ${index + 1} signing secret`} error=${issueFor(error, `webhooks.${index}.secret`)}
            hint=${webhook.secretSet ? 'A secret is set; type a new one to replace it' : 'Optional, at least 8 characters: deliveries are signed with HMAC-SHA256'}>
            ${(id: string, describedBy?: string) => html`<input id=${id} type="password" autocomplete="new-password" aria-describedby=${describedBy}
              value=${webhook.secret} onInput=${(event: Event) => setWebhook(index, { secret: valueOf(event) })} />`}
          </${Field}>
          <details>
            <summary>Events: ${webhook.events.length === 0 ? 'all' : webhook.events.join(', ')}</summary>
            <div class="event-choices">
              ${eventTypes.map(
                (type) => html`<label class="check"><input type="checkbox" checked=${webhook.events.includes(type)}
                  onChange=${(event: Event) => setWebhook(index, { events: checkedOf(event) ? [...webhook.events, type] : webhook.events.filter((name) => name !== type) })} /> ${type}</label>`,
              )}
            </div>
          </details>
          <button type="button" class="link danger" onClick=${() => set({ webhooks: form.webhooks.filter((_, i) => i !== index) })}>Remove webhook ${index + 1}</button>
        </div>`,
      )}
      <button type="button" onClick=${() => set({ webhooks: [...form.webhooks, { url: '', events: [], secret: '', secretSet: false }] })}>Add a webhook</button>
      ${issueFor(error, 'webhooks') && !form.webhooks.some((_, index) => issueFor(error, `webhooks.${index}`)) && html`<small class="field-error" role="alert">${issueFor(error, 'webhooks')}</small>`}
    </fieldset>
    <details class="advanced" open=${Boolean(form.proxyProtocol || form.chromiumArgs || form.webhookUrl || issueFor(error, 'proxyServerCredentials') || issueFor(error, 'chromiumArgs'))}>
      <summary>Proxy, browser flags, legacy webhook URL</summary>
      <fieldset>
        <legend>Proxy</legend>
        <div class="grid">
          <${Field} name="proxyProtocol" label="Protocol" error=${undefined}>
            ${(id: string) => html`<select id=${id} name="proxyProtocol" value=${form.proxyProtocol} onChange=${(event: Event) => setProxy({ proxyProtocol: valueOf(event) })}>
              <option value="">No proxy</option>
              ${PROXY_PROTOCOLS.map((protocol) => html`<option value=${protocol}>${protocol}</option>`)}
            </select>`}
          </${Field}>
          ${form.proxyProtocol !== '' && html`
            <${Field} name="proxyServerCredentials.address" label="Host:port" error=${issueFor(error, 'proxyServerCredentials.address') ?? issueFor(error, 'proxyServerCredentials')}>
              ${(id: string, describedBy?: string) => html`<input id=${id} name="proxyAddress" aria-describedby=${describedBy} placeholder="proxy.internal:3128"
                value=${form.proxyAddress} onInput=${(event: Event) => setProxy({ proxyAddress: valueOf(event) })} />`}
            </${Field}>
            <${Field} name="proxyServerCredentials.username" label="Username" error=${issueFor(error, 'proxyServerCredentials.username')}>
              ${(id: string) => html`<input id=${id} name="proxyUsername" autocomplete="off" value=${form.proxyUsername} onInput=${(event: Event) => setProxy({ proxyUsername: valueOf(event) })} />`}
            </${Field}>
            <${Field} name="proxyServerCredentials.password" label="Password" error=${issueFor(error, 'proxyServerCredentials.password')}
              hint=${form.proxyPasswordSet ? 'A password is set; type a new one to replace it' : undefined}>
              ${(id: string, describedBy?: string) => html`<input id=${id} name="proxyPassword" type="password" autocomplete="new-password" aria-describedby=${describedBy}
                value=${form.proxyPassword} onInput=${(event: Event) => set({ proxyPassword: valueOf(event) })} />`}
            </${Field}>`}
        </div>
      </fieldset>
      <${Field} name="chromiumArgs" label="Chromium flags" error=${issueFor(error, 'chromiumArgs')}
        hint="One per line, from the server's list of harmless flags (e.g. --lang=de); the server's key only">
        ${(id: string, describedBy?: string) => html`<textarea id=${id} name="chromiumArgs" rows="3" aria-describedby=${describedBy}
          value=${form.chromiumArgs} onInput=${(event: Event) => set({ chromiumArgs: valueOf(event) })}></textarea>`}
      </${Field}>
      <${Field} name="webhookUrl" label="Webhook URL for every event (legacy)" error=${issueFor(error, 'webhookUrl')}>
        ${(id: string) => html`<input id=${id} name="webhookUrl" type="url" value=${form.webhookUrl} onInput=${(event: Event) => set({ webhookUrl: valueOf(event) })} />`}
      </${Field}>
    </details>`;
}

/** The server's message above the form, unless each of its issues already sits beside its field. */
function FormError({ error }: { error: ApiError | undefined }) {
  if (!error) return null;
  return html`<p class="error" role="alert" data-testid="form-error">${error.message}</p>`;
}

export function NewSession() {
  const { api, sandboxByDefault, reload, notify } = useDashboard();
  const [sessionId, setSessionId] = useState('');
  const [form, setForm] = useState(() => formOf(undefined, sandboxByDefault));
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  useEffect(() => setForm((current) => ({ ...current, sandbox: sandboxByDefault })), [sandboxByDefault]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const created = await api.post<Session>('/api/v1/sessions', { sessionId: sessionId.trim(), config: configOf(form) });
      await reload(created.id);
      notify(`Session ${created.id} created`);
      navigate({ page: 'session', id: created.id, tab: 'chat' });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'NETWORK', messageOf(caught)));
    } finally {
      setBusy(false);
    }
  };

  return html`<section class="narrow">
    <h1>New session</h1>
    <form class="card session-form" onSubmit=${submit} novalidate>
      <${FormError} error=${error} />
      <${Field} name="sessionId" label="Session id" error=${issueFor(error, 'sessionId')} hint="1–64 letters, digits, _ and -; it names the session in every URL">
        ${(id: string, describedBy?: string) => html`<input id=${id} name="sessionId" required autocomplete="off" aria-describedby=${describedBy}
          value=${sessionId} onInput=${(event: Event) => setSessionId(valueOf(event))} />`}
      </${Field}>
      <${ConfigFields} form=${form} set=${(change: Partial<ConfigForm>) => setForm({ ...form, ...change })} error=${error} editing=${undefined} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Creating…' : 'Create and start'}</button>
        <a class="button" href="#/">Cancel</a>
      </div>
    </form>
  </section>`;
}

export function ConfigEditor({ session }: { session: Session }) {
  const { api, reload, notify } = useDashboard();
  const [form, setForm] = useState(() => formOf(session.config, false));
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const patch = patchOf(form, session);
    if (Object.keys(patch).length === 0) {
      notify('Nothing changed');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.request<{ changed: string[]; appliesAtNextStart: string[] }>('PATCH', sessionPath(session.id), patch);
      await reload(session.id);
      const later = answer.appliesAtNextStart.length > 0 ? ` (${answer.appliesAtNextStart.join(', ')} at the next start)` : '';
      notify(`Saved: ${answer.changed.join(', ') || 'no change'}${later}`);
      setForm((current) => ({ ...current, proxyPassword: '', proxyPasswordSet: current.proxyPasswordSet || current.proxyPassword !== '', webhooks: current.webhooks.map((webhook) => ({ ...webhook, secret: '', secretSet: webhook.secretSet || webhook.secret !== '' })) }));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'NETWORK', messageOf(caught)));
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="session-form" onSubmit=${submit} novalidate>
    <${FormError} error=${error} />
    <${ConfigFields} form=${form} set=${(change: Partial<ConfigForm>) => setForm({ ...form, ...change })} error=${error} editing=${session} />
    <div class="actions"><button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : 'Save changes'}</button></div>
  </form>`;
}
