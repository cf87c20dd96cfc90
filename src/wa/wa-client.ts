/**
 * The narrow port the sessions core talks to. Only wa/wwebjs-client.ts implements it with whatsapp-web.js;
 * unit tests implement it with a fake.
 */
import type { WaGroupCommands } from './wa-groups.js';
import type { UpstreamProxy } from '../browser/proxy-forwarder.js';

export interface WaMe {
  /** Serialized WhatsApp id, e.g. "15550001111@c.us". */
  id: string;
  pushName: string;
}

/** Our own stable message shape, never a raw whatsapp-web.js object. */
export interface WaMessage {
  id: string;
  chatId: string;
  from: string;
  to: string;
  /** The text, or the caption of a media message ('' when it has none). */
  body: string;
  type: WaMessageType;
  /** Unix seconds, as WhatsApp reports it. */
  timestamp: number;
  fromMe: boolean;
  hasMedia: boolean;
  /** Media messages only. */
  caption?: string;
  mimetype?: string;
  filename?: string;
  /** Bytes, as WhatsApp reports them. */
  size?: number;
  /** In a group: who wrote it (`from` is the group). */
  author?: string;
  /** The message it replies to, as wamux reports message ids. */
  quotedMessageId?: string;
  location?: { latitude: number; longitude: number; description?: string };
  /** Contact cards (one for a vcard message, several for a multi_vcard one). */
  vcards?: string[];
}

/** A conversation as the linked account's WhatsApp Web lists it. */
export interface WaChat {
  id: string;
  name: string;
  isGroup: boolean;
  unreadCount: number;
  /** Unix seconds of the last activity (0 when none). */
  timestamp: number;
  archived: boolean;
  pinned: boolean;
  muted: boolean;
  lastMessage?: WaMessage;
}

/** Someone the linked account knows of: its address book, or anyone it has talked to. */
export interface WaContact {
  id: string;
  /** The phone number, digits only. */
  number: string;
  /** As saved in the address book. */
  name?: string;
  /** As the contact named itself. */
  pushName?: string;
  shortName?: string;
  isMyContact: boolean;
  isWAContact: boolean;
  isBusiness: boolean;
  isBlocked: boolean;
  isGroup: boolean;
}

/** Our message kinds; WhatsApp's own names (chat, ptt, vcard, poll_creation...) never leave src/wa/. */
export const WA_MESSAGE_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'voice',
  'document',
  'sticker',
  'location',
  'contact',
  'poll',
  'revoked',
  'other',
] as const;
export type WaMessageType = (typeof WA_MESSAGE_TYPES)[number];

/** Media to send: the bytes and what they are. */
export interface WaMediaInput {
  data: Buffer;
  mimetype: string;
  filename?: string;
}

/** What every send may carry: a reply to a message, and contacts it mentions (their ids). */
export interface WaSendOptions {
  quotedMessageId?: string;
  mentions?: string[];
  /** Mark the chat as read before sending (the library's default; off here: it is page and WhatsApp work per send). */
  markSeen?: boolean;
}

/** Thrown by a send whose quotedMessageId WhatsApp Web does not have (the library would send without the quote). */
export class QuotedMessageMissingError extends Error {
  constructor(readonly messageId: string) {
    super(`WhatsApp Web has no message '${messageId}' to reply to`);
  }
}

export interface WaLocation {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}

export interface WaPoll {
  name: string;
  options: string[];
  /** Whether a voter may pick more than one option. */
  multipleAnswers: boolean;
}

export interface WaSendMediaOptions extends WaSendOptions {
  caption?: string;
  /** Audio as a voice note (push to talk). */
  asVoice?: boolean;
  /** Any file as a document, whatever its type. */
  asDocument?: boolean;
}

export interface WaMedia {
  data: Buffer;
  mimetype: string;
  filename?: string;
}

/** What a media download found. */
export type WaMediaDownload =
  | { kind: 'media'; media: WaMedia }
  | { kind: 'no-message' }
  | { kind: 'no-media' }
  /** The message has media but WhatsApp no longer has the bytes. */
  | { kind: 'gone' };

/** Things a session reports besides messages and its own state, each with our own payload shape. */
export type WaActivityType =
  | 'message.ack'
  | 'message.revoked'
  | 'message.edited'
  | 'message.reaction'
  | 'group.join'
  | 'group.leave'
  | 'state.change';

export interface WaClientEvents {
  qr: [qr: string];
  /** A pairing code to enter on the phone: the first one asked for, and each new one (WhatsApp rotates them). */
  pairingCode: [code: string];
  authenticated: [];
  ready: [me: WaMe];
  /** The phone unlinked the device, the QR retries ran out, or the connection was lost for good. */
  disconnected: [reason: string];
  /** The browser or its page died; whatsapp-web.js itself reports nothing in that case. */
  crashed: [reason: string];
  /** A message someone else sent to this session. */
  message: [message: WaMessage];
  /** A message this session sent (through the API or from the phone). */
  messageSent: [message: WaMessage];
  activity: [type: WaActivityType, payload: Record<string, unknown>];
}

export type WaClientEventName = keyof WaClientEvents;

export interface WaClient extends WaGroupCommands {
  /** Launches the browser and loads WhatsApp Web. Resolves once the page is injected (QR or restored login). */
  initialize(): Promise<void>;
  /** Closes the browser. Never throws. */
  destroy(): Promise<void>;
  /** Unlinks the device and removes the login from the profile. */
  logout(): Promise<void>;
  sendText(chatId: string, content: string, options?: WaSendOptions): Promise<WaMessage>;
  sendLocation(chatId: string, location: WaLocation, options?: WaSendOptions): Promise<WaMessage>;
  /** The contact cards (vCards) of one or more contacts, by id. */
  sendContacts(chatId: string, contactIds: string[], options?: WaSendOptions): Promise<WaMessage>;
  sendPoll(chatId: string, poll: WaPoll, options?: WaSendOptions): Promise<WaMessage>;
  /** The chats WhatsApp Web has, in no particular order. */
  listChats(): Promise<WaChat[]>;
  listContacts(): Promise<WaContact[]>;
  /** The newest messages of a chat that WhatsApp Web has or can load (oldest first), at most `limit`. */
  chatHistory(chatId: string, limit: number): Promise<WaMessage[]>;
  /** Reacts to a message ('' removes the reaction). False when WhatsApp Web does not have the message. */
  react(messageId: string, emoji: string): Promise<boolean>;
  /**
   * Replaces the text of a message this account sent: the edited message, 'not-editable' (not ours, not text,
   * or too old), or 'not-found'.
   */
  editMessage(messageId: string, content: string): Promise<WaMessage | 'not-editable' | 'not-found'>;
  /**
   * Deletes a message for everyone or only here. WhatsApp deletes only here what this account may not revoke
   * (someone else's message, or one too old): the answer says which happened.
   */
  deleteMessage(messageId: string, forEveryone: boolean): Promise<'revoked' | 'deleted-here' | 'not-found'>;
  /** Marks the chat read (read receipts). */
  markSeen(chatId: string): Promise<void>;
  /** Shows typing or recording in the chat, or stops it. */
  setPresence(chatId: string, state: 'typing' | 'recording' | 'paused'): Promise<void>;
  /** One contact with its profile picture URL (undefined when it has none or hides it). */
  getContact(contactId: string): Promise<WaContact & { profilePicUrl?: string }>;
  /** The chat id of a phone number on WhatsApp, or undefined when the number has no account. */
  lookupNumber(phone: string): Promise<string | undefined>;
  /** While a QR code is shown: link by phone number instead. Resolves with the 8-character code to enter on that phone. */
  requestPairingCode(phone: string): Promise<string>;
  sendMedia(chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage>;
  downloadMedia(messageId: string): Promise<WaMediaDownload>;
  /**
   * Unloads the oldest messages from the page's models (WhatsApp Web still has them in its database), so that the
   * renderer does not grow with every message handled. Resolves with how many were unloaded.
   */
  unloadOldMessages(limits: PageMessageLimits): Promise<number>;
  /**
   * Runs a trivial script in the page: resolves once the page's main thread answered. A hung page never answers
   * (the caller puts a deadline on it); a page that is gone rejects.
   */
  ping(): Promise<void>;
  /** PID of the browser's main process, once launched. */
  browserPid(): number | undefined;
  on<E extends WaClientEventName>(event: E, listener: (...args: WaClientEvents[E]) => void): void;
}

/** How many messages a session's page keeps loaded, and for how long it keeps every one of them. */
export interface PageMessageLimits {
  /** Messages kept in the page's models (beyond it, the oldest are unloaded). */
  keep: number;
  /** Messages younger than this stay loaded whatever their number: their receipts are still arriving. */
  minAgeSeconds: number;
}

/** The session's upstream proxy (credentials included: it never leaves the server). */
export type ProxySettings = UpstreamProxy;

export interface WaClientOptions {
  sessionId: string;
  /** Folder that holds the LocalAuth profile (`<profileParent>/session-<sessionId>`). */
  profileParent: string;
  headless: boolean;
  /** How long inject() may wait for the page (ms). */
  authTimeoutMs: number;
  /** After this many QR codes without a scan the client gives up (0 = never). */
  qrMaxRetries: number;
  /** Extra Chromium flags from the server and the session's config. */
  chromiumArgs: string[];
  proxy?: ProxySettings;
  /** Whether the session runs against the built-in sandbox instead of web.whatsapp.com. */
  sandbox: boolean;
  /** Interval of QR rotation asked of the sandbox phone (ms). */
  qrIntervalMs: number;
}

export type WaClientFactory = (options: WaClientOptions) => Promise<WaClient>;
