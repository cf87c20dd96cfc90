import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { messageOf, sessionPath } from './api.js';
import { useDashboard } from './context.js';
import { valueOf } from './fields.js';
import type { Session } from './types.js';

/**
 * The QR code while the session waits to be linked, redrawn each time the server rotates it (the stream's qr
 * events), in a box of fixed size so that nothing moves when it changes; or a pairing code for a phone number.
 */
export function LinkingPanel({ session }: { session: Session }) {
  const { api, notify } = useDashboard();
  const [image, setImage] = useState<{ qr: string; dataUrl: string }>();
  const [phone, setPhone] = useState('');
  const [asking, setAsking] = useState(false);

  useEffect(() => {
    if (session.status !== 'SCAN_QR_CODE' || !session.qr) return;
    let current = true;
    api
      .get<{ qr: string; image: string }>(sessionPath(session.id, '/qr'))
      .then((answer) => current && setImage({ qr: answer.qr, dataUrl: answer.image }))
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [api, session.id, session.status, session.qr]);

  const askCode = async (event: Event) => {
    event.preventDefault();
    setAsking(true);
    try {
      await api.post(sessionPath(session.id, '/pairing-code'), { phone: phone.trim() });
    } catch (error) {
      notify(messageOf(error), 'bad');
    } finally {
      setAsking(false);
    }
  };

  const waiting = session.status === 'SCAN_QR_CODE';
  return html`<section class="card linking" aria-labelledby="linking-title">
    <h2 id="linking-title">${waiting ? 'Link this session' : 'Starting the browser…'}</h2>
    <div class="linking-body">
      <div class="qr-box" aria-live="polite">
        ${waiting && image
          ? html`<img src=${image.dataUrl} alt="QR code to scan with WhatsApp" data-qr=${image.qr} width="264" height="264" />`
          : html`<span class="muted">${waiting ? 'Loading the QR code…' : 'The QR code appears here'}</span>`}
      </div>
      <div class="linking-help">
        <ol>
          <li>Open WhatsApp on the phone${session.config.sandbox ? ' (for a sandbox session: the phone panel beside)' : ''}.</li>
          <li>Settings → Linked devices → Link a device.</li>
          <li>Point the phone at this code. It changes every ${session.config.qrTimeout ?? 20} s.</li>
        </ol>
        ${waiting && html`<form class="pairing" onSubmit=${askCode}>
          <label for="pairing-phone">Or link with a phone number</label>
          <div class="inline">
            <input id="pairing-phone" inputmode="tel" placeholder="15550000001" value=${phone} onInput=${(event: Event) => setPhone(valueOf(event))} />
            <button disabled=${asking || phone.trim() === ''}>Get a code</button>
          </div>
          ${session.pairingCode && html`<p class="pairing-code">Enter <b data-testid="pairing-code">${session.pairingCode}</b> on the phone</p>`}
        </form>`}
      </div>
    </div>
  </section>`;
}
