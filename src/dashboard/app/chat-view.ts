import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf, seg, sessionPath } from './api.js';
import { useCoalesced, useDashboard, useSessionEvents } from './context.js';
import { valueOf } from './fields.js';
import { readFile, type PickedFile } from './files.js';
import { clock, phoneOf } from './format.js';
import { MessageBubble } from './message-bubble.js';
import type { Chat, Envelope, Message, Session } from './types.js';

/** A phone number typed for a new chat, as the API addresses it. */
function chatIdOf(text: string): string | undefined {
  const id = text.trim();
  if (/^\d{5,20}@(c\.us|lid)$|^\d{5,40}(-\d{5,20})?@g\.us$/.test(id)) return id;
  const digits = id.replace(/[\s()+-]/g, '');
  return /^\d{5,20}$/.test(digits) ? `${digits}@c.us` : undefined;
}

export interface ShownMessage extends Message {
  reactions: Record<string, string>;
  edited?: boolean;
  revoked?: boolean;
}

/** The session's chats beside one chat's messages, which follow the event stream; send, reply and react from here. */
export function ChatView({ session }: { session: Session }) {
  const { api, notify } = useDashboard();
  const working = session.status === 'WORKING';
  const [chats, setChats] = useState<Chat[]>([]);
  const [chatId, setChatId] = useState<string>();
  const [newChat, setNewChat] = useState('');
  const [messages, setMessages] = useState<ShownMessage[]>([]);
  const [text, setText] = useState('');
  const [file, setFile] = useState<PickedFile>();
  const [replyTo, setReplyTo] = useState<ShownMessage>();
  const [sending, setSending] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const list = useRef<HTMLOListElement>(null);

  const readChats = useCallback(() => {
    if (!working) return;
    api
      .get<{ chats: Chat[] }>(sessionPath(session.id, '/chats?limit=100'))
      .then((answer) => {
        setChats(answer.chats);
        setChatId((current) => current ?? answer.chats[0]?.id);
      })
      .catch((error: unknown) => notify(`Chats: ${messageOf(error)}`, 'bad'));
  }, [api, session.id, working, notify]);
  useEffect(readChats, [readChats]);

  useEffect(() => {
    setMessages([]);
    setReplyTo(undefined);
    if (!chatId) return;
    let current = true;
    api
      .get<{ messages: Message[] }>(sessionPath(session.id, `/chats/${seg(chatId)}/messages?limit=100`))
      .then((answer) => {
        if (!current) return;
        // live messages may have come in while the history loaded: keep them after it
        const history = answer.messages.reverse().map((message): ShownMessage => ({ ...message, reactions: {} }));
        setMessages((live) => [...history, ...live.filter((message) => !history.some((known) => known.id === message.id))]);
      })
      .catch((error: unknown) => notify(`Messages: ${messageOf(error)}`, 'bad'));
    return () => {
      current = false;
    };
  }, [api, session.id, chatId, notify]);

  useEffect(() => {
    list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages.length]);

  const add = (message: Message) =>
    setMessages((shown) => (shown.some((known) => known.id === message.id) ? shown : [...shown, { ...message, reactions: {} }]));
  const change = (id: string, update: (message: ShownMessage) => ShownMessage) =>
    setMessages((shown) => shown.map((message) => (message.id === id ? update(message) : message)));

  const readChatsSoon = useCoalesced(readChats, 300);
  useSessionEvents(session.id, (envelope: Envelope) => {
    const payload = envelope.payload;
    if (envelope.event === 'message' || envelope.event === 'message.sent') {
      const message = payload as unknown as Message;
      if (message.chatId === chatId) add(message);
      readChatsSoon();
    } else if (envelope.event === 'message.reaction') {
      const sender = String(payload.senderId ?? '');
      change(String(payload.messageId), (message) => ({ ...message, reactions: { ...message.reactions, [sender]: String(payload.reaction ?? '') } }));
    } else if (envelope.event === 'message.edited') {
      change(String(payload.messageId), (message) => ({ ...message, body: String(payload.body ?? message.body), edited: true }));
    } else if (envelope.event === 'message.revoked') {
      change(String(payload.messageId), (message) => ({ ...message, revoked: true }));
    }
  });

  const send = async (event: Event) => {
    event.preventDefault();
    if (!chatId) return;
    setSending(true);
    const quoted = replyTo ? { quotedMessageId: replyTo.id } : {};
    try {
      const answer = file
        ? await api.post<{ message: Message }>(sessionPath(session.id, file.mimetype.startsWith('image/') ? '/send-image' : '/send-file'), {
            chatId,
            data: file.base64,
            mimetype: file.mimetype,
            filename: file.name,
            ...(text.trim() ? { caption: text } : {}),
            ...quoted,
          })
        : await api.post<{ message: Message }>(sessionPath(session.id, '/send-text'), { chatId, content: text, ...quoted });
      add(answer.message);
      setText('');
      setFile(undefined);
      setReplyTo(undefined);
      if (fileInput.current) fileInput.current.value = '';
    } catch (error) {
      notify(`Not sent: ${messageOf(error)}`, 'bad');
    } finally {
      setSending(false);
    }
  };

  const react = async (message: ShownMessage, emoji: string) => {
    try {
      await api.post(sessionPath(session.id, `/messages/${seg(message.id)}/react`), { emoji });
      // keyed like the reaction event that follows (its sender is this account), so it shows once
      change(message.id, (shown) => ({ ...shown, reactions: { ...shown.reactions, [session.me?.id ?? 'me']: emoji } }));
    } catch (error) {
      notify(`Reaction: ${messageOf(error)}`, 'bad');
    }
  };

  const openChat = (event: Event) => {
    event.preventDefault();
    const id = chatIdOf(newChat);
    if (!id) {
      notify('Type a phone number in international format (digits), or a chat id', 'bad');
      return;
    }
    setChatId(id);
    setNewChat('');
  };

  const current = chats.find((chat) => chat.id === chatId);
  return html`<div class="chat">
    <div class="chat-list">
      <form class="inline" onSubmit=${openChat}>
        <label class="visually-hidden" for="new-chat">New chat with a phone number</label>
        <input id="new-chat" inputmode="tel" placeholder="New chat: 15557770000" value=${newChat} onInput=${(event: Event) => setNewChat(valueOf(event))} />
        <button>Open</button>
      </form>
      ${!working && html`<p class="muted">The session is ${session.status}: its chats show once it is WORKING. A chat opened by number still shows what wamux's log holds of it.</p>`}
      <ul>
        ${chats.map(
          (chat) => html`<li key=${chat.id}>
            <button class=${chat.id === chatId ? 'chat-item active' : 'chat-item'} aria-current=${chat.id === chatId} onClick=${() => setChatId(chat.id)}>
              <span class="chat-name"><b>${chat.name || phoneOf(chat.id)}</b>${chat.unreadCount > 0 && html`<span class="unread" aria-label=${`${chat.unreadCount} unread`}>${chat.unreadCount}</span>`}</span>
              <span class="muted">${chat.lastMessage ? `${clock(chat.lastMessage.timestamp * 1000)} ${chat.lastMessage.body || `[${chat.lastMessage.type}]`}` : ''}</span>
            </button>
          </li>`,
        )}
      </ul>
    </div>
    <div class="chat-main">
      ${chatId
        ? html`<h2 class="chat-title">${current?.name || phoneOf(chatId)}</h2>
          <ol class="messages" ref=${list} aria-live="polite" data-testid="messages">
            ${messages.map((message) => html`<${MessageBubble} key=${message.id} session=${session} message=${message} onReply=${setReplyTo} onReact=${react} />`)}
          </ol>
          <form class="composer" onSubmit=${send}>
            ${replyTo && html`<p class="replying">Replying to “${replyTo.body.slice(0, 80) || `[${replyTo.type}]`}” <button type="button" class="link" onClick=${() => setReplyTo(undefined)}>cancel</button></p>`}
            ${file && html`<p class="replying">Attached: ${file.name} <button type="button" class="link" onClick=${() => {
              setFile(undefined);
              if (fileInput.current) fileInput.current.value = '';
            }}>remove</button></p>`}
            <div class="inline">
              <label class="visually-hidden" for="composer-text">Message</label>
              <input id="composer-text" placeholder=${file ? 'Caption (optional)' : 'Write a message'} value=${text} onInput=${(event: Event) => setText(valueOf(event))} />
              <label class="button file-button" for="composer-file" title="Attach an image or a file">Attach</label>
              <input id="composer-file" class="visually-hidden" ref=${fileInput} type="file" onChange=${async (event: Event) => {
                const picked = (event.target as HTMLInputElement).files?.[0];
                setFile(picked ? await readFile(picked) : undefined);
              }} />
              <button class="primary" disabled=${sending || !working || (!file && text.trim() === '')}>Send</button>
            </div>
          </form>`
        : html`<p class="muted">Choose a chat, or open one with a phone number.</p>`}
    </div>
  </div>`;
}
