import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import type { ZodType } from 'zod';
import { z } from '../shared/zod.js';
import { SessionConfigPatchSchema, WebhooksSchema } from '../sessions/session-config.js';
import { CreateSessionSchema, DeliverySchema, ErrorSchema, EventEnvelopeSchema, HistoryMessageSchema, InfoSchema, PairingCodeRequestSchema, PairingCodeSchema, LogLineSchema, MessageSchema, QrSchema, TerminateInactiveQuerySchema, TerminateInactiveReportSchema, TerminateInactiveSchema, SessionIdParamsSchema, SessionSchema, SessionStatusSchema } from './api-schemas.js';
import { ChatSchema, DeleteMessageQuerySchema, EditSchema, PresenceSchema, ReactSchema, ContactSchema, NumberLookupSchema, SendContactSchema, SendLocationSchema, SendPollSchema, SendTextSchema } from './message-schemas.js';
import { SandboxAckSchema, SandboxEditSchema, SandboxReactSchema, SandboxContactsSchema, SandboxPairSchema, SandboxIncomingSchema, SandboxOutboxEntrySchema, SandboxScanSchema } from './sandbox-schemas.js';
import {
  CreateGroupSchema,
  GroupCreatedSchema,
  GroupInviteSchema,
  GroupParticipantsResultSchema,
  GroupParticipantsSchema,
  GroupSchema,
  ParticipantResultSchema,
  SandboxCreateGroupSchema,
  SandboxGroupParticipantsSchema,
  UpdateGroupSchema,
} from './groups-schemas.js';
import { CreateKeySchema, CreatedKeySchema, KeySchema } from './keys-schemas.js';
import { ClusterSchema } from './cluster-schemas.js';
import { MEDIA_KINDS, MediaMessageSchema, SendAudioSchema, SendMediaSchema } from './media-schemas.js';

type Method = 'get' | 'post' | 'delete' | 'put' | 'patch';

export interface Operation {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  body?: ZodType;
  query?: z.ZodObject;
  ok: { status: number; schema?: ZodType; description: string; contentType?: string };
  /** A second success answer with the same body (e.g. 202 for something accepted but not yet done). */
  alsoOk?: { status: number; description: string };
  errors: number[];
}

const idPath = (suffix: string) => `/api/v1/sessions/{id}${suffix}`;
const json = (schema: ZodType) => ({ 'application/json': { schema } });
const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input',
  401: 'Missing or wrong x-api-key',
  403: "The key may not do this: a scoped key without the route's role, or a route for the server's key only",
  404: 'No such session',
  410: 'WhatsApp no longer has the media',
  413: 'The media is larger than --max-media-bytes',
  504: 'Fetching the media URL took too long',
  409: 'The session is not in a state that allows this (the error says which; SESSION_UNUSABLE when its files cannot be read)',
  429: 'Too many sessions or requests (RATE_LIMITED: per API key, or per client address without one)',
  502: 'The media URL could not be fetched, or WhatsApp Web did not answer as expected',
  503: 'The session was HIBERNATED and could not wake for this request: WAKE_FAILED (its login is gone, or its start failed; details.status says what it is now) or WAKE_TIMEOUT. In a cluster, SESSION_MOVING: its instance died and another is taking it over',
};

/** Routes that use the session's page, so that a HIBERNATED session wakes for them (all but the log's history). */
const wakesTheSession = (operation: Operation) =>
  (operation.tag === 'messages' || operation.tag === 'groups') && operation.path !== idPath('/messages');

/** Every route the server answers, documented; a unit test checks this table against the router. */
export const OPERATIONS: readonly Operation[] = [
  { method: 'post', path: '/api/v1/sessions', summary: 'Create (and start) a session', tag: 'sessions', body: CreateSessionSchema,
    ok: { status: 201, schema: SessionSchema, description: 'The session' }, errors: [400, 401, 409, 429] },
  { method: 'get', path: '/api/v1/sessions', summary: 'List sessions', tag: 'sessions',
    ok: { status: 200, schema: z.object({ sessions: z.array(SessionSchema) }), description: 'All sessions' }, errors: [401] },
  { method: 'get', path: idPath(''), summary: 'One session', tag: 'sessions',
    ok: { status: 200, schema: SessionSchema, description: 'The session' }, errors: [400, 401, 404] },
  { method: 'patch', path: idPath(''), summary: 'Change the config (only the fields given; null removes proxyServerCredentials, webhookUrl or wakeEveryMinutes) without losing the login; appliesAtNextStart lists what the running browser keeps until the session starts again', tag: 'sessions', body: SessionConfigPatchSchema,
    ok: { status: 200, schema: SessionSchema.extend({ changed: z.array(z.string()), appliesAtNextStart: z.array(z.string()) }), description: 'The session with its new config' }, errors: [400, 401, 404, 409] },
  { method: 'delete', path: idPath(''), summary: 'Stop a session and delete its data', tag: 'sessions',
    ok: { status: 200, schema: z.object({ id: z.string(), deleted: z.boolean() }), description: 'Deleted' }, errors: [400, 401, 404] },
  { method: 'get', path: idPath('/status'), summary: 'Status, recent changes and the linked account', tag: 'sessions',
    ok: { status: 200, schema: SessionStatusSchema, description: 'Status' }, errors: [400, 401, 404] },
  { method: 'get', path: idPath('/qr'), summary: 'The QR code to scan, raw and as a PNG data URL', tag: 'sessions',
    ok: { status: 200, schema: QrSchema, description: 'QR code' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/qr/image'), summary: 'The QR code as a PNG image', tag: 'sessions',
    ok: { status: 200, description: 'PNG', contentType: 'image/png' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/start'), summary: 'Start a stopped or failed session (or wake a HIBERNATED one without waiting)', tag: 'sessions',
    ok: { status: 202, schema: SessionSchema, description: 'Starting' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/restart'), summary: 'Stop and start again', tag: 'sessions',
    ok: { status: 202, schema: SessionSchema, description: 'Starting' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/stop'), summary: 'Stop (also a HIBERNATED session); the login is kept', tag: 'sessions',
    ok: { status: 200, schema: SessionSchema, description: 'Stopped' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/logout'), summary: 'Unlink the device and delete the login; the config is kept', tag: 'sessions',
    ok: { status: 200, schema: SessionSchema, description: 'Logged out' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/wake'), summary: 'Wake a HIBERNATED session: answers once it is WORKING (at once when it already is)', tag: 'sessions',
    ok: { status: 200, schema: SessionSchema, description: 'WORKING' }, errors: [400, 401, 404, 409, 503] },
  { method: 'get', path: idPath('/logs'), summary: 'Recent log lines of the session', tag: 'sessions',
    query: z.object({ limit: z.number().int().min(1).max(200).optional() }),
    ok: { status: 200, schema: z.object({ id: z.string(), logs: z.array(LogLineSchema) }), description: 'Newest first' }, errors: [400, 401, 404] },
  { method: 'post', path: idPath('/send-text'), summary: 'Send a text message', tag: 'messages', body: SendTextSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), message: MessageSchema }), description: 'Sent' }, errors: [400, 401, 404, 409] },
  ...Object.entries(MEDIA_KINDS).map(([kind, { route, summary }]): Operation => ({
    method: 'post', path: idPath(`/${route}`), summary: `${summary}: data (base64 or a data URL) or url, exactly one`, tag: 'messages',
    body: kind === 'audio' ? SendAudioSchema : SendMediaSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), message: MediaMessageSchema }), description: 'Sent' },
    errors: [400, 401, 404, 409, 413, 502, 504],
  })),
  { method: 'get', path: idPath('/messages/{messageId}/media'), summary: 'The media of a received or sent message, with its type and file name', tag: 'messages',
    ok: { status: 200, description: 'The bytes; Content-Type is the media type, Content-Disposition names the file', contentType: 'application/octet-stream' },
    errors: [400, 401, 404, 409, 410] },
  { method: 'post', path: idPath('/send-location'), summary: 'Send a location (with an optional name, address and link)', tag: 'messages', body: SendLocationSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), message: MessageSchema }), description: 'Sent' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/send-contact'), summary: 'Send the contact card (vCard) of one or more contacts', tag: 'messages', body: SendContactSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), message: MessageSchema }), description: 'Sent' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/send-poll'), summary: 'Send a poll', tag: 'messages', body: SendPollSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), message: MessageSchema }), description: 'Sent' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/messages'), summary: 'Message history from the durable log, newest first', tag: 'messages',
    query: z.object({ chatId: z.string().optional(), limit: z.number().int().min(1).max(500).optional(), before: z.string().optional().openapi({ description: 'An eventId: older messages only' }) }),
    ok: { status: 200, schema: z.object({ id: z.string(), messages: z.array(HistoryMessageSchema), nextBefore: z.string().optional() }), description: 'Messages' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/chats'), summary: "The account's chats as WhatsApp Web lists them, newest activity first", tag: 'messages',
    query: z.object({ limit: z.number().int().min(1).max(500).optional(), offset: z.number().int().min(0).optional() }),
    ok: { status: 200, schema: z.object({ id: z.string(), chats: z.array(ChatSchema), total: z.number().int(), nextOffset: z.number().int().optional() }), description: 'Chats' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/chats/{chatId}/messages'), summary: "One chat's messages, newest first, from the session's durable log", tag: 'messages',
    query: z.object({ limit: z.number().int().min(1).max(500).optional(), before: z.string().optional().openapi({ description: 'An eventId: older messages only (log)' }), source: z.enum(['log', 'phone']).optional().openapi({ description: "log (default): wamux's durable log, paged; phone: the newest messages WhatsApp Web itself has" }) }),
    ok: { status: 200, schema: z.object({ id: z.string(), chatId: z.string(), source: z.enum(['log', 'phone']), messages: z.array(MessageSchema), nextBefore: z.string().optional() }), description: 'Messages, newest first' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/contacts'), summary: 'Who the account knows: its address book first, then everyone it talked to', tag: 'messages',
    query: z.object({ limit: z.number().int().min(1).max(500).optional(), offset: z.number().int().min(0).optional() }),
    ok: { status: 200, schema: z.object({ id: z.string(), contacts: z.array(ContactSchema), total: z.number().int(), nextOffset: z.number().int().optional() }), description: 'Contacts' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/contacts/{contactId}'), summary: 'One contact: name, push name, business, profile picture URL', tag: 'messages',
    ok: { status: 200, schema: ContactSchema, description: 'Contact' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/numbers/{phone}'), summary: 'Is this phone number on WhatsApp, and its chat id', tag: 'messages',
    ok: { status: 200, schema: NumberLookupSchema, description: 'Lookup' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/messages/{messageId}/react'), summary: 'React to a message (an empty emoji removes the reaction)', tag: 'messages', body: ReactSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), reaction: z.string() }), description: 'Reacted' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/messages/{messageId}/edit'), summary: 'Replace the text of a message this account sent', tag: 'messages', body: EditSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), message: MessageSchema }), description: 'Edited' }, errors: [400, 401, 404, 409] },
  { method: 'delete', path: idPath('/messages/{messageId}'), summary: 'Delete a message, for everyone or only here', tag: 'messages', query: DeleteMessageQuerySchema,
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), deleted: z.boolean(), forEveryone: z.boolean().openapi({ description: 'false when WhatsApp deleted it only here (not ours, or too old), even if asked for everyone' }) }), description: 'Deleted' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/chats/{chatId}/seen'), summary: 'Mark the chat read (read receipts)', tag: 'messages',
    ok: { status: 200, schema: z.object({ id: z.string(), chatId: z.string(), seen: z.boolean() }), description: 'Read' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/chats/{chatId}/presence'), summary: 'Show typing or recording in the chat, or stop (paused)', tag: 'messages', body: PresenceSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), chatId: z.string(), state: z.string() }), description: 'Shown' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/events'), summary: 'Events after an event id, oldest first (catch up on what you missed; 400 for an id the log never had, while an id retention pruned reads what came after it); or with newest=true (paged back with before) the newest first; events= keeps only some types', tag: 'events',
    query: z.object({
      after: z.string().optional(),
      before: z.string().optional(),
      newest: z.enum(['true', 'false']).optional(),
      events: z.string().optional().openapi({ description: 'Event types, comma-separated' }),
      limit: z.number().int().min(1).max(1000).optional(),
    }),
    ok: { status: 200, schema: z.object({ id: z.string(), events: z.array(EventEnvelopeSchema) }), description: 'Events' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/webhooks'), summary: 'The session webhooks (secrets are never returned)', tag: 'events',
    ok: { status: 200, schema: z.object({ id: z.string(), webhooks: z.array(z.object({ url: z.string(), events: z.array(z.string()).optional(), secretSet: z.boolean() })) }), description: 'Webhooks' }, errors: [400, 401, 404] },
  { method: 'put', path: idPath('/webhooks'), summary: 'Replace the session webhooks (saved with its config); loopback and private targets are refused unless allowed', tag: 'events', body: WebhooksSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), webhooks: z.array(z.object({ url: z.string(), events: z.array(z.string()).optional(), secretSet: z.boolean() })) }), description: 'Webhooks' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/webhooks/deliveries'), summary: 'Recent webhook deliveries with status, attempts and last error', tag: 'events',
    query: z.object({ limit: z.number().int().min(1).max(500).optional() }),
    ok: { status: 200, schema: z.object({ id: z.string(), deliveries: z.array(DeliverySchema) }), description: 'Newest first' }, errors: [400, 401, 404] },
  { method: 'post', path: idPath('/webhooks/deliveries/{deliveryId}/retry'), summary: 'Deliver again (fresh attempt count, due now)', tag: 'events',
    ok: { status: 202, schema: DeliverySchema, description: 'Queued' }, errors: [400, 401, 404] },
  { method: 'get', path: '/api/v1/events/stream', summary: 'Live Server-Sent Events of every envelope; key as x-api-key or ?apiKey=', tag: 'events',
    query: z.object({ session: z.string().optional(), events: z.string().optional().openapi({ description: 'Comma-separated event types' }), after: z.string().optional().openapi({ description: 'Resume after this event id (the Last-Event-ID header, which a reconnecting EventSource sends, means the same and wins): every event after it first, of the session or of all sessions in id order, then live (in a cluster, all sessions from 10 s before the id: events of those seconds may come again, with their ids); 400 if no log knows the id' }), apiKey: z.string().optional() }),
    ok: { status: 200, description: 'text/event-stream: id, event and data (the envelope as JSON) per event', contentType: 'text/event-stream' }, errors: [400, 401, 404] },
  { method: 'post', path: idPath('/sandbox/scan'), summary: 'Sandbox: the phone scans the QR code', tag: 'sandbox', body: SandboxScanSchema,
    ok: { status: 200, schema: z.object({ account: z.object({ phone: z.string(), pushName: z.string() }) }), description: 'Linked' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/pairing-code'), summary: 'Link by phone number: the code to enter on that phone (while SCAN_QR_CODE)', tag: 'sessions', body: PairingCodeRequestSchema,
    ok: { status: 200, schema: PairingCodeSchema, description: 'The code; the session goes WORKING once it is entered on the phone' }, errors: [400, 401, 404, 409, 502] },
  { method: 'post', path: idPath('/sandbox/pair'), summary: 'Sandbox: the phone enters the pairing code the session shows', tag: 'sandbox', body: SandboxPairSchema,
    ok: { status: 200, schema: z.object({ account: z.object({ phone: z.string(), pushName: z.string() }) }), description: 'Linked' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/messages/{messageId}/react'), summary: 'Sandbox: a contact reacts to a message', tag: 'sandbox', body: SandboxReactSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), reaction: z.string() }), description: 'Reacted' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/messages/{messageId}/edit'), summary: 'Sandbox: a contact edits a message they sent', tag: 'sandbox', body: SandboxEditSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), body: z.string() }), description: 'Edited' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/messages/{messageId}/revoke'), summary: 'Sandbox: a contact deletes a message they sent, for everyone', tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), revoked: z.boolean() }), description: 'Revoked' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/messages/{messageId}/ack'), summary: "Sandbox: a message's ack moves on (delivered, read, played)", tag: 'sandbox', body: SandboxAckSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), messageId: z.string(), ack: z.string() }), description: 'Acked' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/sandbox/actions'), summary: 'Sandbox: what the session did to messages and chats (reactions, edits, deletes, read receipts, typing)', tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), actions: z.array(z.object({ kind: z.string(), target: z.string(), value: z.string().optional(), t: z.number().int() })) }), description: 'Oldest first' }, errors: [400, 401, 404, 409] },
  { method: 'put', path: idPath('/sandbox/contacts'), summary: "Sandbox: replace the phone's address book (synced to the session; number lookups answer from it)", tag: 'sandbox', body: SandboxContactsSchema,
    ok: { status: 200, schema: z.object({ id: z.string(), contacts: SandboxContactsSchema }), description: 'The address book' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/incoming'), summary: 'Sandbox: a contact writes to the session (a text, or media as base64)', tag: 'sandbox', body: SandboxIncomingSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), queued: z.boolean() }), description: 'Delivered to the page ("queued": false)' },
    alsoOk: { status: 202, description: 'The linked device is not connected (its browser is closed, e.g. HIBERNATED): the phone holds the message ("queued": true) and delivers it, in order, when the device connects again' },
    errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/expire-media'), summary: "Sandbox: WhatsApp's media server forgets the session's media (downloads answer 410)", tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), expired: z.boolean() }), description: 'Expired' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/sandbox/endpoint'), summary: "Sandbox: where the session's web.whatsapp.com listens (started if it was not), to put a proxy in front of it", tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), host: z.literal('web.whatsapp.com'), address: z.string().openapi({ example: '127.0.0.1:40123' }) }), description: 'The address' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/hang-page'), summary: "Sandbox: the session's WhatsApp Web page stops answering (its main thread spins), for trying --page-unresponsive-ms", tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), pages: z.number().int() }), description: 'How many linked pages now hang' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/sandbox/outbox'), summary: 'Sandbox: what the session sent (the newest 1000)', tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), messages: z.array(SandboxOutboxEntrySchema), total: z.number().int().openapi({ description: 'Messages the session sent in all, older ones included' }) }), description: 'Oldest first' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/groups'), summary: 'Create a group with participants; answers its id and who was added', tag: 'groups', body: CreateGroupSchema,
    ok: { status: 201, schema: GroupCreatedSchema, description: 'Created' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/groups'), summary: 'Every group of the account', tag: 'groups',
    ok: { status: 200, schema: z.object({ id: z.string(), groups: z.array(GroupSchema) }), description: 'Groups' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/groups/{groupId}'), summary: 'One group: subject, description, owner, participants with admin flags', tag: 'groups',
    ok: { status: 200, schema: GroupSchema, description: 'The group' }, errors: [400, 401, 404, 409] },
  { method: 'put', path: idPath('/groups/{groupId}'), summary: 'Change the subject and/or the description', tag: 'groups', body: UpdateGroupSchema,
    ok: { status: 200, schema: GroupSchema, description: 'The group after the change' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/groups/{groupId}/participants'), summary: 'Add, remove, promote or demote participants (exactly one action per call; admins only)', tag: 'groups', body: GroupParticipantsSchema,
    ok: { status: 200, schema: GroupParticipantsResultSchema, description: 'What happened to each participant, and the group after' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/groups/{groupId}/invite'), summary: 'The invite code and link (admins only)', tag: 'groups',
    ok: { status: 200, schema: GroupInviteSchema, description: 'Invite' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/groups/{groupId}/leave'), summary: 'Leave the group', tag: 'groups',
    ok: { status: 200, schema: z.object({ id: z.string(), left: z.literal(true) }), description: 'Left' }, errors: [400, 401, 404, 409] },
  { method: 'get', path: idPath('/sandbox/groups'), summary: 'Sandbox: the groups the phone knows', tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), groups: z.array(z.object({ id: z.string(), subject: z.string(), description: z.string(), descId: z.string(), owner: z.string(), creation: z.number().int(), participants: z.array(z.object({ id: z.string(), admin: z.enum(['superadmin', 'admin']).nullable() })) })) }), description: 'Groups' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/groups'), summary: 'Sandbox: another member creates a group with the account in it', tag: 'sandbox', body: SandboxCreateGroupSchema,
    ok: { status: 201, schema: z.object({ id: z.string(), group: z.record(z.string(), z.unknown()) }), description: 'Created' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/groups/{groupId}/participants'), summary: 'Sandbox: the phone (or another admin, `author`) adds or removes participants; the session gets group.join / group.leave', tag: 'sandbox', body: SandboxGroupParticipantsSchema,
    ok: { status: 200, schema: z.object({ group: z.record(z.string(), z.unknown()), results: z.array(ParticipantResultSchema.pick({ id: true, code: true })) }), description: 'Done' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: idPath('/sandbox/logout'), summary: 'Sandbox: the user unlinks the device on the phone', tag: 'sandbox',
    ok: { status: 200, schema: z.object({ id: z.string(), loggedOut: z.boolean() }), description: 'Unlinked' }, errors: [400, 401, 404, 409] },
  { method: 'post', path: '/api/v1/maintenance/terminate-inactive', summary: 'Terminate sessions that are not WORKING (and idle ones), and orphan profiles', tag: 'maintenance',
    body: TerminateInactiveSchema,
    ok: { status: 200, schema: TerminateInactiveReportSchema, description: 'What was terminated and kept' }, errors: [400, 401] },
  { method: 'get', path: '/session/terminateInactive', summary: 'Alias of terminate-inactive for users of the older wwebjs REST servers', tag: 'maintenance',
    query: TerminateInactiveQuerySchema,
    ok: { status: 200, schema: TerminateInactiveReportSchema, description: 'What was terminated and kept' }, errors: [400, 401] },
  { method: 'post', path: '/api/v1/keys', summary: "Create a key scoped to some sessions and roles (the server's key only); the key is in this answer only", tag: 'keys', body: CreateKeySchema,
    ok: { status: 201, schema: CreatedKeySchema, description: 'The key, shown once' }, errors: [400, 401, 403] },
  { method: 'get', path: '/api/v1/keys', summary: 'List scoped keys (never the keys themselves)', tag: 'keys',
    ok: { status: 200, schema: z.object({ keys: z.array(KeySchema) }), description: 'Keys' }, errors: [401, 403] },
  { method: 'delete', path: '/api/v1/keys/{keyId}', summary: 'Revoke a scoped key: it is refused from the next request on', tag: 'keys',
    ok: { status: 200, schema: z.object({ id: z.string(), revoked: z.literal(true) }), description: 'Revoked' }, errors: [400, 401, 403, 404] },
  { method: 'get', path: '/api/v1/cluster', summary: "The cluster: its instances, which one drives each session, and each session's login backup (the server's key only)", tag: 'cluster',
    ok: { status: 200, schema: ClusterSchema, description: 'The cluster as the database has it' }, errors: [401, 403] },
  { method: 'get', path: '/health', summary: 'Liveness', tag: 'server',
    ok: { status: 200, schema: z.object({ status: z.literal('ok') }), description: 'Alive' }, errors: [] },
  { method: 'get', path: '/ready', summary: 'Readiness: 503 with the reasons until the boot restore has run, and while the sessions folder is not writable or its disk is nearly full', tag: 'server',
    ok: { status: 200, schema: z.object({ status: z.literal('ready') }), description: 'Ready for traffic' },
    alsoOk: { status: 503, description: 'Not ready: { status: "not-ready", reasons: [...] }' }, errors: [] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (text format): sessions, browsers, pages, messages, event log, webhooks, HTTP; public with --metrics-public', tag: 'metrics',
    ok: { status: 200, description: 'Prometheus text exposition format', contentType: 'text/plain' }, errors: [401] },
  { method: 'get', path: '/info', summary: 'Version, uptime and sessions by status', tag: 'server',
    ok: { status: 200, schema: InfoSchema, description: 'Info' }, errors: [] },
];

/** The session id, and the other {name} segments of the path, as strings. */
function pathParamsOf(path: string): z.ZodObject | undefined {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  if (names.length === 0) return undefined;
  const others = Object.fromEntries(names.filter((name) => name !== 'id').map((name) => [name, z.string()]));
  return names.includes('id') ? SessionIdParamsSchema.extend(others) : z.object(others);
}

/** The OpenAPI document, generated from the same zod schemas the routes validate with. */
export function buildOpenApiDocument(version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  for (const operation of OPERATIONS) {
    const responses: Record<string, { description: string; content?: ReturnType<typeof json> | Record<string, object> }> = {
      [operation.ok.status]: {
        description: operation.ok.description,
        content: operation.ok.schema
          ? json(operation.ok.schema)
          : { [operation.ok.contentType ?? 'application/octet-stream']: { schema: { type: 'string', format: 'binary' } } },
      },
    };
    if (operation.alsoOk) {
      responses[operation.alsoOk.status] = { ...responses[operation.ok.status]!, description: operation.alsoOk.description };
    }
    const errors = operation.tag === 'server' ? operation.errors : [...new Set([...operation.errors, 429, ...(wakesTheSession(operation) ? [503] : [])])];
    for (const status of errors) responses[status] = { description: ERROR_TEXT[status] ?? 'Error', content: json(ErrorSchema) };
    registry.registerPath({
      method: operation.method,
      path: operation.path,
      summary: operation.summary,
      tags: [operation.tag],
      security: operation.tag === 'server' ? [] : [{ apiKey: [] }],
      request: {
        params: pathParamsOf(operation.path),
        query: operation.query,
        body: operation.body ? { content: json(operation.body) } : undefined,
      },
      responses,
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: { title: 'wamux', version, description: 'Many WhatsApp Web sessions behind one HTTP API' },
  });
}
