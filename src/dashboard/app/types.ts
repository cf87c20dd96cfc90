/** The API's answers as the dashboard reads them (see /openapi.json for the whole document). */

export const STATUSES = ['STARTING', 'SCAN_QR_CODE', 'WORKING', 'HIBERNATED', 'CRASHED', 'STOPPING', 'STOPPED', 'FAILED'] as const;
export type Status = (typeof STATUSES)[number] | (string & {});

export interface StatusChange {
  from: Status;
  to: Status;
  reason: string;
  at: string;
}

export interface Webhook {
  url: string;
  events?: string[];
  secretSet?: boolean;
  secret?: string;
}

export interface Proxy {
  protocol: string;
  address: string;
  username?: string;
  passwordSet?: boolean;
  password?: string;
}

export interface SessionConfig {
  headless?: boolean;
  qrTimeout?: number;
  qrMaxRetries?: number;
  authTimeout?: number;
  chromiumArgs?: string[];
  restartOnCrash?: boolean;
  webhookUrl?: string;
  webhooks?: Webhook[];
  sandbox?: boolean;
  proxyServerCredentials?: Proxy;
  hibernateAfterMinutes?: number | null;
  wakeEveryMinutes?: number;
}

export interface Session {
  id: string;
  status: Status;
  reason?: string;
  me?: { id: string; pushName: string };
  createdAt: string;
  browserPid?: number;
  /** Cluster mode: the instance that drives it. */
  instance?: string;
  restartAt?: string;
  config: SessionConfig;
  history: StatusChange[];
  qr?: string;
  pairingCode?: string;
}

export interface Envelope {
  id: string;
  timestamp: string;
  event: string;
  session: string;
  me: { id: string; pushName: string } | null;
  payload: Record<string, unknown>;
}

export interface Message {
  id: string;
  chatId: string;
  from: string;
  to: string;
  body: string;
  type: string;
  timestamp: number;
  fromMe: boolean;
  hasMedia: boolean;
  caption?: string;
  mimetype?: string;
  filename?: string;
  quotedMessageId?: string;
  author?: string;
  eventId?: string;
}

export interface Chat {
  id: string;
  name: string;
  isGroup: boolean;
  unreadCount: number;
  timestamp: number;
  lastMessage?: Message;
}

export interface Delivery {
  deliveryId: string;
  webhookKey: string;
  url: string;
  eventId: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  lastStatusCode?: number;
  createdAt: number;
  updatedAt: number;
}

export interface LogLine {
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface OutboxEntry {
  id: string;
  to: string;
  body: string;
  type: string;
  timestamp: number;
  caption?: string;
  mimetype?: string;
  filename?: string;
  size?: number;
  reaction?: string;
  quotedMessageId?: string;
}

/** What /metrics says of one session's browser and page. */
export interface SessionMetrics {
  pssBytes?: number;
  processes?: number;
  restarts?: number;
  crashes?: number;
  secondsSinceLastEvent?: number;
  /** Epoch ms the figures were read at. */
  readAt?: number;
}
