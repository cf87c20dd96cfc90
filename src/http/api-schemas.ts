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
      details: z.record(z.string(), z.unknown()).optional(),
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

export const ChatSchema = z
  .object({
    id: z.string().openapi({ example: '15557770000@c.us' }),
    name: z.string(),
    isGroup: z.boolean(),
    unreadCount: z.number().int(),
    timestamp: z.number().int().openapi({ description: 'Unix seconds of the last activity (0 when none)' }),
    archived: z.boolean(),
    pinned: z.boolean(),
    muted: z.boolean(),
    lastMessage: MessageSchema.optional(),
  })
  .openapi('Chat');

export const ChatsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const ChatParamsSchema = z.object({ id: SessionIdSchema, chatId: ChatIdSchema });

/** A message as whatsapp-web.js serializes its key: `<fromMe>_<chat>_<id>[_<participant>]`, as wamux reports it. */
export const MessageIdSchema = z
  .string()
  .regex(
    /^(true|false)_\d{5,40}(-\d{5,20})?@(c\.us|g\.us|lid|newsletter|broadcast)_[0-9A-Za-z]{6,64}(_\d{5,20}@(c\.us|lid))?$/,
    'must be a message id as wamux reports it, like false_15557770000@c.us_3EB0C4D2E1F0A9B8',
  )
  .openapi({ example: 'false_15557770000@c.us_3EB0C4D2E1F0A9B8' });

export const MessageParamsSchema = z.object({ id: SessionIdSchema, messageId: MessageIdSchema });

/** What every send takes besides its content: a reply to a message, and the contacts it mentions. */
export const SendOptionsFields = {
  quotedMessageId: MessageIdSchema.optional().openapi({ description: 'Reply to this message (404 when WhatsApp Web does not have it)' }),
  mentions: z
    .array(z.string().regex(/^\d{5,20}@(c\.us|lid)$/, 'must be contact ids like 15550001111@c.us'))
    .max(256)
    .optional()
    .openapi({ description: 'Contacts mentioned (write @<number> in the text where each should show)' }),
};

export const SendTextSchema = z
  .object({
    chatId: ChatIdSchema,
    content: z.string().min(1, 'must not be empty').max(65_536),
    ...SendOptionsFields,
  })
  .strict()
  .openapi('SendText');

export const SendLocationSchema = z
  .object({
    chatId: ChatIdSchema,
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().min(1).max(256).optional(),
    address: z.string().min(1).max(1024).optional(),
    url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048).optional(),
    ...SendOptionsFields,
  })
  .strict()
  .openapi('SendLocation');

export const SendContactSchema = z
  .object({
    chatId: ChatIdSchema,
    contacts: z
      .array(z.string().regex(/^\d{5,20}@(c\.us|lid)$|^\+?\d{5,20}$/, 'must be contact ids or phone numbers'))
      .min(1)
      .max(20)
      .transform((ids) => ids.map((id) => (id.includes('@') ? id : `${id.replace(/^\+/, '')}@c.us`)))
      .openapi({ description: 'One contact sends a vCard, several a list of vCards' }),
    ...SendOptionsFields,
  })
  .strict()
  .openapi('SendContact');

export const SendPollSchema = z
  .object({
    chatId: ChatIdSchema,
    name: z.string().trim().min(1).max(255),
    options: z
      .array(z.string().trim().min(1).max(100))
      .min(2, 'a poll needs at least 2 options')
      .max(12, 'a poll has at most 12 options')
      .refine((options) => new Set(options).size === options.length, 'options must differ'),
    multipleAnswers: z.boolean().default(false),
    ...SendOptionsFields,
  })
  .strict()
  .openapi('SendPoll');

export const ReactSchema = z
  .object({ emoji: z.string().max(32, 'must be one emoji').openapi({ example: '👍', description: 'An empty string removes the reaction' }) })
  .strict()
  .openapi('React');

export const EditSchema = z.object({ content: z.string().min(1, 'must not be empty').max(65_536) }).strict().openapi('Edit');

export const DeleteMessageQuerySchema = z.object({
  forEveryone: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .openapi({ description: 'true: deleted for everyone (a message this account sent); false: only here' }),
});

export const PresenceSchema = z.object({ state: z.enum(['typing', 'recording', 'paused']) }).strict().openapi('Presence');

export const SandboxReactSchema = z
  .object({ emoji: z.string().max(32), from: z.string().regex(/^\d{5,20}@(c\.us|lid)$/, 'must be a contact id').optional() })
  .strict()
  .openapi('SandboxReact');
export const SandboxEditSchema = z.object({ body: z.string().min(1).max(65_536) }).strict().openapi('SandboxEdit');
export const SandboxAckSchema = z.object({ ack: z.enum(['delivered', 'read', 'played']) }).strict().openapi('SandboxAck');

export const ContactSchema = z
  .object({
    id: z.string().openapi({ example: '15557770000@c.us' }),
    number: z.string(),
    name: z.string().optional().openapi({ description: 'As saved in the address book' }),
    pushName: z.string().optional().openapi({ description: 'As the contact named itself' }),
    shortName: z.string().optional(),
    isMyContact: z.boolean(),
    isWAContact: z.boolean(),
    isBusiness: z.boolean(),
    isBlocked: z.boolean(),
    isGroup: z.boolean(),
    profilePicUrl: z.string().optional(),
  })
  .openapi('Contact');

const contactIdPattern = /^\+?\d{5,20}$|^\d{5,20}@(c\.us|lid)$/;
export const ContactParamsSchema = z.object({
  id: SessionIdSchema,
  contactId: z
    .string()
    .regex(contactIdPattern, 'must be a phone number or a contact id like 15550001111@c.us or 123456789012345@lid')
    .transform((contactId) => (contactId.includes('@') ? contactId : `${contactId.replace(/^\+/, '')}@c.us`)),
});

export const NumberParamsSchema = z.object({
  id: SessionIdSchema,
  phone: z
    .string()
    .regex(/^\+?\d{6,15}$/, 'must be a phone number in international format (digits, + allowed)')
    .transform((phone) => phone.replace(/^\+/, '')),
});

export const NumberLookupSchema = z
  .object({ phone: z.string(), onWhatsApp: z.boolean(), chatId: z.string().optional().openapi({ description: 'Write to it with this id' }) })
  .openapi('NumberLookup');

export const SandboxContactsSchema = z
  .array(
    z
      .object({
        phone: z.string().regex(/^\d{6,15}$/, 'must be 6-15 digits'),
        name: z.string().min(1).max(100),
        onWhatsApp: z.boolean().default(true),
        business: z.boolean().default(false),
        picture: z.boolean().default(false),
      })
      .strict(),
  )
  .max(5_000)
  .openapi('SandboxContacts');

export const ChatHistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
  source: z
    .enum(['log', 'phone'])
    .default('log')
    .openapi({ description: "log: wamux's durable log, paged with before; phone: the newest messages WhatsApp Web itself has (WORKING only)" }),
});

export const LogsQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(100) });

export const LogLineSchema = z.object({ at: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string() });

export const SandboxScanSchema = z
  .object({
    phone: z.string().regex(/^\d{6,15}$/, 'must be 6-15 digits').optional(),
    pushName: z.string().min(1).max(64).optional(),
  })
  .strict()
  .openapi('SandboxScan');

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

export const SandboxPairSchema = z
  .object({
    code: z.string().regex(/^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/, 'must be the 8-character code the session shows'),
    pushName: z.string().min(1).max(64).optional(),
  })
  .strict()
  .openapi('SandboxPair');

export const SandboxIncomingSchema = z
  .object({
    from: z.string().regex(/^\d{6,15}(@(c\.us|lid))?$/, 'must be a phone number (digits), <digits>@c.us or <digits>@lid'),
    body: z.string().min(1).max(65_536).optional(),
    media: z
      .object({
        data: z.string().min(1).openapi({ description: 'The bytes, base64' }),
        mimetype: z.string().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(;.*)?$/i, 'must be a media type like image/png'),
        filename: z.string().min(1).max(255).optional(),
        caption: z.string().max(65_536).optional(),
        voice: z.boolean().optional().openapi({ description: 'Audio as a voice note' }),
      })
      .strict()
      .optional(),
    location: z
      .object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180), description: z.string().max(1024).optional() })
      .strict()
      .optional(),
    vcard: z.string().startsWith('BEGIN:VCARD', 'must be a vCard').max(100_000).optional().openapi({ description: 'A contact card' }),
    quotedMessageId: MessageIdSchema.optional().openapi({ description: 'A reply to this message' }),
    group: z
      .string()
      .regex(/^\d{5,40}(-\d{5,20})?@g\.us$/, 'must be a group id')
      .optional()
      .openapi({ description: 'Written inside this group, by `from`' }),
  })
  .strict()
  .refine((value) => [value.body, value.media, value.location, value.vcard].filter((part) => part !== undefined).length === 1, {
    message: 'give exactly one of body, media, location and vcard',
    path: ['body'],
  })
  .openapi('SandboxIncoming');

export const SandboxOutboxEntrySchema = z.object({
  id: z.string(),
  to: z.string(),
  body: z.string(),
  type: z.string().openapi({ description: "WhatsApp's message type: chat, image, video, audio, ptt (voice note), document..." }),
  timestamp: z.number().int(),
  caption: z.string().optional(),
  mimetype: z.string().optional(),
  filename: z.string().optional(),
  size: z.number().int().optional(),
  sha256: z.string().optional().openapi({ description: 'SHA-256 (hex) of the media bytes the session sent' }),
  reaction: z.string().optional().openapi({ description: "The session's own reaction to it ('' once removed)" }),
  edited: z.boolean().optional(),
  revoked: z.boolean().optional(),
  quotedMessageId: z.string().optional().openapi({ description: 'The message it replies to' }),
  mentions: z.array(z.string()).optional(),
  location: z.object({ latitude: z.number(), longitude: z.number(), description: z.string().optional() }).optional(),
  vcards: z.array(z.string()).optional(),
  poll: z.object({ name: z.string(), options: z.array(z.string()), multipleAnswers: z.boolean() }).optional(),
});

export const InfoSchema = z
  .object({
    name: z.literal('wamux'),
    version: z.string(),
    uptimeSeconds: z.number(),
    sessions: z.record(z.enum(SESSION_STATUSES), z.number().int()),
    whatsappWebJs: z.string(),
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

export const EventsQuerySchema = z.object({
  after: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
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
  events: z
    .string()
    .optional()
    .transform((text) => (text ? text.split(',').map((event) => event.trim()) : undefined))
    .pipe(z.array(z.enum(EVENT_TYPES)).optional()),
  after: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
  apiKey: z.string().optional(),
});
