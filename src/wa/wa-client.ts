/**
 * The narrow port the sessions core talks to. Only wa/wwebjs-client.ts implements it with whatsapp-web.js;
 * unit tests implement it with a fake.
 */
import type { WaGroupCommands } from './wa-groups.js';

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
  body: string;
  type: string;
  /** Unix seconds, as WhatsApp reports it. */
  timestamp: number;
  fromMe: boolean;
  hasMedia: boolean;
}

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

export interface WaClient extends WaGroupCommands {
  /** Launches the browser and loads WhatsApp Web. Resolves once the page is injected (QR or restored login). */
  initialize(): Promise<void>;
  /** Closes the browser. Never throws. */
  destroy(): Promise<void>;
  /** Unlinks the device and removes the login from the profile. */
  logout(): Promise<void>;
  sendText(chatId: string, content: string): Promise<WaMessage>;
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
