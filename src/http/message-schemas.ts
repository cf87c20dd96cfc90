import { z } from '../shared/zod.js';
import { SessionIdSchema } from '../sessions/session-config.js';
import { ChatIdSchema, MessageSchema } from './api-schemas.js';

/** What a session sends and reads: sends of every kind, acts on messages and chats, chats, contacts, numbers. */

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
  markSeen: z.boolean().optional().openapi({
    description: 'Mark the chat as read before sending (default false; POST …/chats/{chatId}/seen does it on its own)',
  }),
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

export const ChatHistoryQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^evt_[0-9a-z]+$/, 'must be an event id').optional(),
  source: z
    .enum(['log', 'phone'])
    .default('log')
    .openapi({ description: "log: wamux's durable log, paged with before; phone: the newest messages WhatsApp Web itself has (WORKING only)" }),
});
