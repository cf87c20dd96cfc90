import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, sessionPath } from './api.js';
import { ConfirmButton } from './confirm.js';
import { useCoalesced, useDashboard, useSessionEvents } from './context.js';
import { valueOf } from './fields.js';
import { readFile, type PickedFile } from './files.js';
import { clock, phoneOf } from './format.js';
import type { OutboxEntry, Session } from './types.js';

/** The sandbox phone: it scans, enters pairing codes, writes as a contact, unlinks, and shows what it received. */
export function PhonePanel({ session }: { session: Session }) {
  const { api, notify, reload } = useDashboard();
  const [phone, setPhone] = useState('15550000001');
  const [pushName, setPushName] = useState('Sandbox phone');
  const [from, setFrom] = useState('15557770000');
  const [text, setText] = useState('');
  const [file, setFile] = useState<PickedFile>();
  const [outbox, setOutbox] = useState<OutboxEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const linked = session.me !== undefined && session.status !== 'SCAN_QR_CODE';

  const call = async (label: string, path: string, body: unknown): Promise<boolean> => {
    setBusy(true);
    try {
      await api.post(sessionPath(session.id, path), body);
      notify(label);
      return true;
    } catch (error) {
      notify(messageOf(error), 'bad');
      return false;
    } finally {
      setBusy(false);
    }
  };

  const readOutbox = useCallback(() => {
    api
      .get<{ messages: OutboxEntry[] }>(sessionPath(session.id, '/sandbox/outbox'))
      .then((answer) => setOutbox(answer.messages.slice(-20).reverse()))
      .catch(() => undefined);
  }, [api, session.id]);
  useEffect(readOutbox, [readOutbox, session.status]);
  const readOutboxSoon = useCoalesced(readOutbox, 200);
  useSessionEvents(session.id, (envelope) => {
    if (envelope.event.startsWith('message.')) readOutboxSoon();
  });

  const write = async (event: Event) => {
    event.preventDefault();
    const body = file
      ? { from, media: { data: file.base64, mimetype: file.mimetype, filename: file.name, ...(text ? { caption: text } : {}) } }
      : { from, body: text };
    if (await call(`${from} wrote to ${session.id}`, '/sandbox/incoming', body)) {
      setText('');
      setFile(undefined);
      if (fileInput.current) fileInput.current.value = '';
    }
  };

  return html`<section class="card phone" aria-labelledby="phone-title">
    <h2 id="phone-title"><span aria-hidden="true">📱</span> Sandbox phone</h2>
    ${session.status === 'SCAN_QR_CODE' &&
    html`<form class="stack" onSubmit=${async (event: Event) => {
      event.preventDefault();
      if (await call('The phone scanned the QR code', '/sandbox/scan', { phone, pushName })) await reload(session.id);
    }}>
      <label for="phone-number">The phone's number</label>
      <input id="phone-number" inputmode="numeric" value=${phone} onInput=${(event: Event) => setPhone(valueOf(event))} />
      <label for="phone-name">Its name</label>
      <input id="phone-name" value=${pushName} onInput=${(event: Event) => setPushName(valueOf(event))} />
      <button class="primary" disabled=${busy}>Scan the QR code</button>
      ${session.pairingCode &&
      html`<button type="button" disabled=${busy} onClick=${() => call('The phone entered the pairing code', '/sandbox/pair', { code: session.pairingCode, pushName })}>
        Enter the pairing code</button>`}
    </form>`}
    ${linked &&
    html`<form class="stack" onSubmit=${write}>
      <p class="muted">Linked as ${phoneOf(session.me?.id)}. Write to the session as a contact:</p>
      <label for="phone-from">From (a contact's number)</label>
      <input id="phone-from" inputmode="numeric" value=${from} onInput=${(event: Event) => setFrom(valueOf(event))} />
      <label for="phone-text">${file ? 'Caption' : 'Message'}</label>
      <textarea id="phone-text" rows="2" value=${text} onInput=${(event: Event) => setText(valueOf(event))}></textarea>
      <label for="phone-file">Attach a file</label>
      <input id="phone-file" ref=${fileInput} type="file" onChange=${async (event: Event) => {
        const picked = (event.target as HTMLInputElement).files?.[0];
        setFile(picked ? await readFile(picked) : undefined);
      }} />
      <div class="actions">
        <button class="primary" disabled=${busy || (!file && text.trim() === '')}>Write as ${phoneOf(`${from}@c.us`)}</button>
        <${ConfirmButton} label="Unlink" disabled=${busy} confirmLabel="Unlink"
          question="Unlink this device on the phone? The session loses its login and shows a new QR code."
          onConfirm=${() => call('The phone unlinked the session', '/sandbox/logout', {})} />
      </div>
    </form>`}
    ${!linked && session.status !== 'SCAN_QR_CODE' && html`<p class="muted">Start the session to link it.</p>`}
    <h3>Received by the phone</h3>
    ${outbox.length === 0
      ? html`<p class="muted">Nothing yet.</p>`
      : html`<ul class="outbox" data-testid="outbox">
          ${outbox.map(
            (entry) => html`<li key=${entry.id}>
              <span class="muted">${clock(entry.timestamp * 1000)} → ${phoneOf(entry.to)}</span>
              <span class="outbox-body">${entry.type === 'chat' ? entry.body : `[${entry.type}] ${entry.filename ?? ''} ${entry.caption ?? ''}`}</span>
              ${entry.reaction && html`<span class="reaction">${entry.reaction}</span>`}
            </li>`,
          )}
        </ul>`}
  </section>`;
}
