import wwebjs from 'whatsapp-web.js';
import type { Client, Message } from 'whatsapp-web.js';
import type { WaMediaDownload, WaMediaInput, WaMessage, WaMessageType, WaSendMediaOptions } from './wa-client.js';
import { librarySendOptions } from './wwebjs-sending.js';

/** Media through whatsapp-web.js: sending MessageMedia, downloading a message's media, and our message shape. */

const { MessageMedia } = wwebjs;

/** WhatsApp's message types (whatsapp-web.js MessageTypes) to ours. */
const TYPES: Record<string, WaMessageType> = {
  chat: 'text',
  image: 'image',
  video: 'video',
  gif: 'video',
  audio: 'audio',
  ptt: 'voice',
  document: 'document',
  sticker: 'sticker',
  location: 'location',
  vcard: 'contact',
  multi_vcard: 'contact',
  poll_creation: 'poll',
  revoked: 'revoked',
};

export function waTypeOf(libraryType: string): WaMessageType {
  return TYPES[libraryType] ?? 'other';
}

/** The raw model fields whatsapp-web.js keeps in Message._data (its typings call it rawData). */
interface RawMediaFields {
  caption?: unknown;
  mimetype?: unknown;
  filename?: unknown;
  size?: unknown;
  quotedStanzaID?: unknown;
  quotedParticipant?: unknown;
  quotedRemoteJid?: unknown;
}

/** A serialized id, whether the page gave it as a string or as a Wid-like object. */
function serializedId(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const inner = (value as { _serialized?: unknown } | null | undefined)?._serialized;
  return typeof inner === 'string' ? inner : undefined;
}

/**
 * The id of the message a reply quotes, built the way whatsapp-web.js keys messages (`<fromMe>_<chat>_<stanza id>`,
 * plus `_<participant>` for every message in a group, our own included), so it equals the id wamux reported.
 */
function quotedMessageIdOf(message: Message, raw: RawMediaFields, chatId: string): string | undefined {
  const stanza = typeof raw.quotedStanzaID === 'string' ? raw.quotedStanzaID : undefined;
  const participant = serializedId(raw.quotedParticipant);
  if (!stanza || !participant) return undefined;
  const remote = serializedId(raw.quotedRemoteJid) ?? chatId;
  // how this chat addresses this account: the sender of our own messages, the recipient of the others'
  const me = message.fromMe ? message.from : message.to;
  const fromMe = participant === me;
  return `${fromMe}_${remote}_${stanza}${remote.endsWith('@g.us') ? `_${participant}` : ''}`;
}

export function toWaMessage(message: Message): WaMessage {
  const out: WaMessage = {
    id: message.id._serialized,
    chatId: message.fromMe ? message.to : message.from,
    from: message.from,
    to: message.to,
    // a location's body is its map thumbnail (base64 JPEG) on WhatsApp Web: not text, and not for every event
    body: message.type === 'location' ? '' : message.body,
    type: waTypeOf(message.type),
    timestamp: message.timestamp,
    fromMe: message.fromMe,
    hasMedia: message.hasMedia,
  };
  const raw = (message.rawData ?? {}) as RawMediaFields;
  if (message.author) out.author = message.author;
  if (message.hasQuotedMsg) {
    const quoted = quotedMessageIdOf(message, raw, out.chatId);
    if (quoted !== undefined) out.quotedMessageId = quoted;
  }
  if (message.location) {
    const { latitude, longitude, description } = message.location;
    out.location = { latitude: Number(latitude), longitude: Number(longitude), ...(description ? { description } : {}) };
  }
  if (message.vCards.length > 0) out.vcards = [...message.vCards];
  if (message.hasMedia) {
    if (typeof raw.caption === 'string' && raw.caption !== '') out.caption = raw.caption;
    if (typeof raw.mimetype === 'string') out.mimetype = raw.mimetype;
    if (typeof raw.filename === 'string' && raw.filename !== '') out.filename = raw.filename;
    if (typeof raw.size === 'number' && Number.isFinite(raw.size)) out.size = raw.size;
  }
  return out;
}

export async function sendMedia(client: Client, chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage> {
  const content = new MessageMedia(media.mimetype, media.data.toString('base64'), media.filename ?? null, media.data.length);
  const message = await client.sendMessage(chatId, content, {
    ...(await librarySendOptions(client, options)),
    caption: options.caption,
    sendAudioAsVoice: options.asVoice === true,
    sendMediaAsDocument: options.asDocument === true,
  });
  return toWaMessage(message);
}

export async function downloadMedia(client: Client, messageId: string): Promise<WaMediaDownload> {
  const message = await client.getMessageById(messageId);
  if (!message) return { kind: 'no-message' };
  if (!message.hasMedia) return { kind: 'no-media' };
  // undefined when the media expired, is being re-uploaded, or WhatsApp's media server answered 404
  const media = await message.downloadMedia();
  if (!media) return { kind: 'gone' };
  return {
    kind: 'media',
    media: { data: Buffer.from(media.data, 'base64'), mimetype: media.mimetype, filename: media.filename ?? undefined },
  };
}
