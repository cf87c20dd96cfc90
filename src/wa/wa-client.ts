/**
 * The narrow port the sessions core talks to. Only wa/wwebjs-client.ts implements it with whatsapp-web.js;
 * unit tests implement it with a fake.
 */

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

export interface WaSendMediaOptions {
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

export interface WaClient {
  /** Launches the browser and loads WhatsApp Web. Resolves once the page is injected (QR or restored login). */
  initialize(): Promise<void>;
  /** Closes the browser. Never throws. */
  destroy(): Promise<void>;
  /** Unlinks the device and removes the login from the profile. */
  logout(): Promise<void>;
  sendText(chatId: string, content: string): Promise<WaMessage>;
  sendMedia(chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage>;
  downloadMedia(messageId: string): Promise<WaMediaDownload>;
  /** PID of the browser's main process, once launched. */
  browserPid(): number | undefined;
  on<E extends WaClientEventName>(event: E, listener: (...args: WaClientEvents[E]) => void): void;
}

export interface ProxySettings {
  protocol: 'http' | 'https' | 'socks4' | 'socks5';
  address: string;
  username?: string;
  password?: string;
}

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
