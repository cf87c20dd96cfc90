import { z } from '../shared/zod.js';
import { SESSION_STATUSES } from '../sessions/session-status.js';
import { SessionConfigInputSchema, SessionIdSchema } from '../sessions/session-config.js';
import { EVENT_TYPES } from '../events/event-envelope.js';
/** Request and response shapes: routes validate with them and the OpenAPI document is generated from them. */

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'SESSION_NOT_FOUND' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().openapi({ description: 'For INVALID_INPUT: issues, each problem with the path of its field ({path: "config.qrTimeout", message})' }),
    }),
  })
  .openapi('Error');

export const SessionIdParamsSchema = z.object({ id: SessionIdSchema });

export const CreateSessionSchema = z
  .object({
    sessionId: SessionIdSchema,
    waitForQR: z.boolean().optional().openapi({ description: 'Answer once the first QR code (or a restored login) is there' }),
    start: z.boolean().optional().openapi({ description: 'Start the session right away (default true)' }),
    config: SessionConfigInputSchema.optional(),
  })
  .strict()
  .openapi('CreateSession');

export const StatusChangeSchema = z.object({
  from: z.enum(SESSION_STATUSES),
  to: z.enum(SESSION_STATUSES),
  reason: z.string(),
  at: z.string().openapi({ format: 'date-time' }),
});

export const MeSchema = z.object({ id: z.string().openapi({ example: '15550001111@c.us' }), pushName: z.string() });

export const SessionSchema = z
  .object({
    id: z.string(),
    status: z.enum(SESSION_STATUSES),
    reason: z.string().optional(),
    me: MeSchema.optional(),
    createdAt: z.string(),
    browserPid: z.number().int().optional(),
    instance: z.string().optional().openapi({ description: 'Cluster mode: the instance that drives the session' }),
    restartAt: z.string().optional().openapi({ format: 'date-time', description: 'While CRASHED: when the session restarts' }),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'The session config; secrets are never returned' }),
    history: z.array(StatusChangeSchema),
    qr: z.string().optional().openapi({ description: 'Present when the session is showing a QR code' }),
    pairingCode: z
      .string()
      .optional()
      .openapi({ description: 'Once a pairing code was asked for, while the session waits to be linked: the current one (it rotates every 3 minutes)' }),
  })
  .openapi('Session');

export const SessionStatusSchema = z
  .object({
    id: z.string(),
    status: z.enum(SESSION_STATUSES),
    reason: z.string().optional(),
    me: MeSchema.optional(),
    restartAt: z.string().optional().openapi({ format: 'date-time', description: 'While CRASHED: when the session restarts' }),
    history: z.array(StatusChangeSchema),
  })
  .openapi('SessionStatus');

export const QrSchema = z
  .object({
    qr: z.string().openapi({ description: 'The raw QR string' }),
    image: z.string().openapi({ description: 'The QR code as a PNG data URL' }),
  })
  .openapi('Qr');

/**
 * Every id form whatsapp-web.js addresses a chat by: a phone number (digits, + allowed), `<digits>@c.us` (a contact
 * by phone), `<digits>@lid` (a contact by linked id, how WhatsApp now reports many senders), `<digits>@g.us` and
 * the older `<digits>-<digits>@g.us` (groups), `<digits>@newsletter` (channels), `<digits>@broadcast` and
 * `status@broadcast`. A message's `from` as wamux reported it can always be replied to.
 */
const chatIdPattern =
  /^\+?\d{5,20}$|^\d{5,20}@(c\.us|lid)$|^\d{5,40}(-\d{5,20})?@g\.us$|^\d{5,40}@(newsletter|broadcast)$|^status@broadcast$/;

export const ChatIdSchema = z
  .string()
  .regex(
    chatIdPattern,
    'must be a phone number in international format (digits only) or a WhatsApp id like 15550001111@c.us, 123456789012345@lid or 120363000000000000@g.us',
  )
  .transform((chatId) => (chatId.includes('@') ? chatId : `${chatId.replace(/^\+/, '')}@c.us`))
  .openapi({ example: '15550009999@c.us' });

export const MessageSchema = z
  .object({
    id: z.string(),
    chatId: z.string(),
    from: z.string(),
    to: z.string(),
    body: z.string(),
    type: z.string(),
    timestamp: z.number().int(),
    fromMe: z.boolean(),
    hasMedia: z.boolean(),
  })
  .openapi('Message');

export const LogsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(100) });

export const LogLineSchema = z.object({ at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() });

export const PairingCodeRequestSchema = z
  .object({
    phone: z
      .string()
      .regex(/^\+?\d{6,15}$/, 'must be the phone number of the account to link, in international format (digits, + allowed)')
      .transform((phone) => phone.replace(/^\+/, ''))
      .openapi({ example: '15550000001' }),
  })
  .strict()
  .openapi('PairingCodeRequest');

export const PairingCodeSchema = z
  .object({
    id: z.string(),
    code: z.string().openapi({ example: 'K7QZ2MPA', description: 'Enter it on that phone: Linked devices > Link with phone number' }),
  })
  .openapi('PairingCode');

export const InfoSchema = z
  .object({
    name: z.literal('wamux'),
    version: z.string(),
    uptimeSeconds: z.number(),
    sessions: z.record(z.enum(SESSION_STATUSES), z.number().int()),
    whatsappWebJs: z.string(),
    sandboxByDefault: z.boolean().openapi({ description: 'New sessions are sandbox sessions unless their config says otherwise (--sandbox)' }),
  })
  .openapi('Info');

const booleanQuery = z.enum(['true', 'false']).transform((value) => value === 'true');

const TERMINATE_MODE_TEXT = 'delete: sessions and their data are removed; stop: browsers closed, logins kept';

/** The body must say what to do: an empty POST is a 400, never "delete everything that is not WORKING". */
export const TerminateInactiveSchema = z
  .object({
    idleMinutes: z.number().min(0).max(525_600).optional().openapi({ description: 'Also terminate WORKING sessions idle this long' }),
    mode: z.enum(['delete', 'stop'], { message: "is required: 'delete' or 'stop'" }).openapi({ description: TERMINATE_MODE_TEXT }),
    dryRun: z.boolean().default(false).openapi({ description: 'Only report what would be terminated' }),
  })
  .strict()
  .openapi('TerminateInactive');

/** The legacy GET only reports unless dryRun=false is given explicitly: a GET is something any web page can trigger. */
export const TerminateInactiveQuerySchema = z.object({
  idleMinutes: z.coerce.number().min(0).max(525_600).optional(),
  mode: z.enum(['delete', 'stop']).default('delete').openapi({ description: TERMINATE_MODE_TEXT }),
  dryRun: booleanQuery.default(true).openapi({ description: 'Only report (default); dryRun=false terminates' }),
});

export const TerminateInactiveReportSchema = z
  .object({
    dryRun: z.boolean(),
    mode: z.enum(['delete', 'stop']),
    terminated: z.array(z.object({ id: z.string(), status: z.string(), reason: z.string() })),
    kept: z.array(z.object({ id: z.string(), status: z.string(), reason: z.string() })),
    orphansKilled: z.array(z.number().int()),
  })
  .openapi('TerminateInactiveReport');

export const HistoryQuerySchema = z.object({
  chatId: ChatIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
});

const eventTypesQuery = z
  .string()
  .optional()
  .transform((text) => (text ? text.split(',').map((event) => event.trim()) : undefined))
  .pipe(z.array(z.enum(EVENT_TYPES)).optional());

export const EventsQuerySchema = z
  .object({
    after: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional().openapi({ description: 'Events after this one, oldest first' }),
    before: z
      .string()
      .regex(/^evt_[0-9a-z]+$/, 'must be an event id')
      .optional()
      .openapi({ description: 'Events older than this one, newest first (paging back from newest=true)' }),
    newest: booleanQuery.optional().openapi({ description: 'true: the newest events first' }),
    events: eventTypesQuery.openapi({ description: 'Only these event types, comma-separated' }),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .refine((query) => query.after === undefined || (query.before === undefined && query.newest !== true), {
    message: 'after reads oldest first: it does not go with before or newest',
    path: ['after'],
  });

export const EventEnvelopeSchema = z
  .object({
    id: z.string().openapi({ example: 'evt_mi8x2k3p50000a1b2c3d4' }),
    timestamp: z.string(),
    event: z.enum(EVENT_TYPES),
    session: z.string(),
    me: MeSchema.nullable(),
    payload: z.record(z.string(), z.unknown()),
  })
  .openapi('Event');

export const HistoryMessageSchema = MessageSchema.extend({ eventId: z.string() }).openapi('HistoryMessage');

export const DeliverySchema = z
  .object({
    deliveryId: z.string(),
    webhookKey: z.string(),
    url: z.string(),
    eventId: z.string(),
    event: z.enum(EVENT_TYPES),
    status: z.enum(['pending', 'delivered', 'failed', 'cancelled']),
    attempts: z.number().int(),
    nextAttemptAt: z.number().int(),
    lastError: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('Delivery');

export const DeliveriesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export const DeliveryParamsSchema = z.object({ id: SessionIdSchema, deliveryId: z.uuid() });

export const StreamQuerySchema = z.object({
  session: SessionIdSchema.optional(),
  events: eventTypesQuery,
  after: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
  apiKey: z.string().optional(),
});
