import { z } from 'zod';
import { InvalidInputError } from '../shared/errors.js';
import { GROUP_PAGE_PATHS, type SandboxGroupUpdate } from './sandbox-group-protocol.js';

/**
 * What the sandbox page and its endpoint say to each other. Page -> server: POST bodies (validated here);
 * server -> page: SSE events (typed here, produced by the session).
 */

export const PAGE_PATHS = {
  events: '/sandbox/events',
  hello: '/sandbox/hello',
  ack: '/sandbox/ack',
  sent: '/sandbox/sent',
  unlink: '/sandbox/unlink',
  log: '/sandbox/log',
  /** What the session did to a message or a chat: reacted, edited, revoked, deleted for itself, read, typed. */
  action: '/sandbox/action',
  /** The linked page pulls the phone's address book (WhatsApp Web syncs contacts from the phone). */
  contacts: '/sandbox/contacts',
  /** WAWebQueryExistsJob.queryWidExists: is this number on WhatsApp? */
  queryExists: '/sandbox/query-exists',
  /** The page's WAWebAltDeviceLinkingApi.startAltLinkingFlow asks for a pairing code for a phone number. */
  pairingCode: '/sandbox/pairing-code',
  /** A linked page hands messages on to whatsapp-web.js now: the phone delivers what it held for the device. */
  listening: '/sandbox/listening',
  ...GROUP_PAGE_PATHS,
} as const;

/** Not JSON: the page POSTs raw media bytes here (?page=<id>&type=<mms type>), as WhatsApp Web uploads to its media server. */
export const UPLOAD_PATH = '/sandbox/upload';

const pageId = z.string().regex(/^[0-9a-f]{8,64}$/);
const digits = z.string().regex(/^\d{5,20}$/);

export const pairingSchema = z.object({
  deviceId: z.string().regex(/^[0-9a-f]{8,64}$/),
  phone: digits,
  pushName: z.string().min(1).max(200),
});
export type SandboxPairing = z.infer<typeof pairingSchema>;

export const helloSchema = z.object({ page: pageId, pairing: pairingSchema.nullable() });
export const ackSchema = z.object({
  page: pageId,
  seq: z.number().int().nonnegative(),
  ok: z.boolean(),
  error: z.string().max(2000).optional(),
});
export const sentSchema = z.object({
  page: pageId,
  id: z.string().min(1).max(300),
  to: z.string().min(3).max(300),
  body: z.string().max(100_000),
  type: z.string().max(100),
  t: z.number().int().nonnegative(),
  /** Media messages: where the page uploaded the bytes, and what it said about them. */
  directPath: z.string().max(300).optional(),
  caption: z.string().max(100_000).optional(),
  mimetype: z.string().max(300).optional(),
  filename: z.string().max(1000).optional(),
  size: z.number().int().nonnegative().optional(),
  /** What else the phone sees of it: the message it replies to, mentions, location, vCards, poll. */
  quotedMessageId: z.string().max(300).optional(),
  mentions: z.array(z.string().max(300)).max(256).optional(),
  location: z.object({ latitude: z.number(), longitude: z.number(), description: z.string().max(2000).optional() }).optional(),
  vcards: z.array(z.string().max(100_000)).max(50).optional(),
  poll: z.object({ name: z.string().max(1000), options: z.array(z.string().max(1000)).max(50), multipleAnswers: z.boolean() }).optional(),
});
export const unlinkSchema = z.object({ page: pageId });
export const listeningSchema = z.object({ page: pageId });
export const pairingCodeSchema = z.object({ page: pageId, phone: digits });
export const contactsRequestSchema = z.object({ page: pageId });
export const SESSION_ACTION_KINDS = ['reaction', 'edit', 'revoke', 'delete', 'seen', 'presence'] as const;
export const actionSchema = z.object({
  page: pageId,
  kind: z.enum(SESSION_ACTION_KINDS),
  /** The message acted on (serialized id), or the chat for seen and presence. */
  target: z.string().min(3).max(300),
  /** The emoji ('' removes it), the new body, or the presence state. */
  value: z.string().max(100_000).optional(),
  t: z.number().int().nonnegative(),
});
export type ActionRequest = z.infer<typeof actionSchema>;
export type SessionAction = Omit<ActionRequest, 'page'>;
export const queryExistsSchema = z.object({ page: pageId, id: z.string().min(3).max(300) });

/** One entry of the sandbox phone's address book. */
export interface SandboxContact {
  phone: string;
  name: string;
  /** false: in the address book, but the number has no WhatsApp account. */
  onWhatsApp: boolean;
  business: boolean;
  /** Whether the contact has a profile picture. */
  picture: boolean;
}
export const logSchema = z.object({
  page: pageId,
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string().max(4000),
});

export type HelloRequest = z.infer<typeof helloSchema>;
export type AckRequest = z.infer<typeof ackSchema>;
export type SentRequest = z.infer<typeof sentSchema>;
export type LogRequest = z.infer<typeof logSchema>;

export type HelloReply = { linked: true; pairing: SandboxPairing } | { linked: false; ref: string };

/** What else a contact's message may be: a reply, written inside a group, a location or a contact card. */
export interface IncomingExtras {
  /** The serialized id of the message it replies to. */
  quoted?: string;
  /** The group it is written in (`from` is then the participant). */
  group?: string;
  location?: { latitude: number; longitude: number; description?: string };
  vcard?: string;
}

/** Server -> page events. Those with a `seq` are answered by POST /sandbox/ack. */
export interface PageEvents {
  ref: { ref: string };
  paired: { seq: number; pairing: SandboxPairing };
  incoming: { seq: number; id: string; from: string; body: string; t: number } & IncomingExtras;
  /** A media message from the phone: its bytes wait on the media server at directPath. */
  incomingMedia: { seq: number; id: string; from: string; t: number; media: IncomingMediaInfo } & Pick<IncomingExtras, 'quoted' | 'group'>;
  logout: { seq: number };
  contacts: { seq: number; contacts: SandboxContact[] };
  /** The phone (a contact) reacts to, edits or revokes a message, or the message's ack moves on. */
  react: { seq: number; messageId: string; emoji: string; from: string; t: number };
  edit: { seq: number; messageId: string; body: string };
  revoke: { seq: number; messageId: string };
  ack: { seq: number; messageId: string; ack: number };
  /** Fault injection: the page's main thread spins from now on and answers nothing, as a page stuck in a script. */
  hang: { seq: number };
  /** The phone changed a group itself (or another admin did): the page applies the state and the notifications. */
  group: { seq: number } & SandboxGroupUpdate;
}
export interface IncomingMediaInfo {
  type: string;
  mimetype: string;
  filename?: string;
  caption?: string;
  size: number;
  filehash: string;
  directPath: string;
  mediaKey: string;
}
export type PageEventName = keyof PageEvents;

/** Validates a page request body; a malformed one is the page's fault (400). */
export function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidInputError('Malformed sandbox request', { issues: result.error.issues });
  return result.data;
}
