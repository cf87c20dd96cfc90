import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { seg, sessionPath } from './api.js';
import { useDashboard } from './context.js';
import { clock } from './format.js';
import type { ShownMessage } from './chat-view.js';
import type { Session } from './types.js';

const REACTIONS = ['👍', '❤️', '😂', '🙏'];

const isImage = (message: ShownMessage) => message.mimetype?.startsWith('image/') === true || message.type === 'image' || message.type === 'sticker';

/**
 * A message's media, fetched with the key (an <img src> could not send it) and shown from memory. Images load as
 * they are shown; other files only when asked for, and always as a download, never as a page of this origin.
 */
function Media({ session, message }: { session: Session; message: ShownMessage }) {
  const { api } = useDashboard();
  const image = isImage(message);
  const [wanted, setWanted] = useState(image);
  const [url, setUrl] = useState<string>();
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    if (!wanted) return;
    let objectUrl: string | undefined;
    let current = true;
    api
      .raw('GET', sessionPath(session.id, `/messages/${seg(message.id)}/media`))
      .then((response) => response.blob())
      .then((blob) => {
        if (!current) return;
        objectUrl = URL.createObjectURL(image ? blob : new Blob([blob], { type: 'application/octet-stream' }));
        setUrl(objectUrl);
      })
      .catch((error: unknown) => current && setFailed(error instanceof Error ? error.message : String(error)));
    return () => {
      current = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [api, session.id, message.id, wanted, image]);
  if (failed) return html`<span class="muted">media unavailable: ${failed}</span>`;
  if (!wanted) return html`<button type="button" class="link" onClick=${() => setWanted(true)}>Get ${message.filename ?? `the ${message.type}`}</button>`;
  if (!url) return html`<span class="muted">loading ${message.filename ?? message.type}…</span>`;
  if (image) return html`<img class="media" src=${url} alt=${message.caption || message.filename || 'image'} />`;
  return html`<a href=${url} download=${message.filename ?? 'file'}>Save ${message.filename ?? 'the file'}</a>`;
}

export function MessageBubble({ session, message, onReply, onReact }: {
  session: Session;
  message: ShownMessage;
  onReply: (message: ShownMessage) => void;
  onReact: (message: ShownMessage, emoji: string) => void;
}) {
  const reactions = Object.values(message.reactions).filter(Boolean);
  const text = message.hasMedia ? (message.caption ?? message.body) : message.body;
  return html`<li class=${message.fromMe ? 'bubble mine' : 'bubble theirs'} data-message=${message.id}>
    ${message.quotedMessageId && html`<span class="quoted muted">↩ a reply</span>`}
    ${message.hasMedia && html`<${Media} session=${session} message=${message} />`}
    ${message.revoked ? html`<i class="muted">This message was deleted</i>` : text && html`<p class="body">${text}</p>`}
    <span class="meta">${clock(message.timestamp * 1000)}${message.edited ? ' · edited' : ''}</span>
    ${reactions.length > 0 && html`<span class="reactions" aria-label="Reactions">${reactions.join(' ')}</span>`}
    <span class="bubble-actions">
      <button type="button" class="link" onClick=${() => onReply(message)}>Reply</button>
      ${REACTIONS.map((emoji) => html`<button type="button" class="link" aria-label=${`React ${emoji}`} onClick=${() => onReact(message, emoji)}>${emoji}</button>`)}
    </span>
  </li>`;
}
