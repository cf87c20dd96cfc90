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
}

export function toWaMessage(message: Message): WaMessage {
  const out: WaMessage = {
    id: message.id._serialized,
    chatId: message.fromMe ? message.to : message.from,
    from: message.from,
    to: message.to,
    body: message.body,
    type: waTypeOf(message.type),
    timestamp: message.timestamp,
    fromMe: message.fromMe,
    hasMedia: message.hasMedia,
  };
  if (message.hasMedia) {
    const raw = (message.rawData ?? {}) as RawMediaFields;
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
