import { z } from '../shared/zod.js';
import { MessageIdSchema } from './message-schemas.js';

/** The sandbox phone's controls: scan or pair, write as a contact, act on messages, the address book, the outbox. */

export const SandboxReactSchema = z
  .object({ emoji: z.string().max(32), from: z.string().regex(/^\d{5,20}@(c\.us|lid)$/, 'must be a contact id').optional() })
  .strict()
  .openapi('SandboxReact');

export const SandboxEditSchema = z.object({ body: z.string().min(1).max(65_536) }).strict().openapi('SandboxEdit');

export const SandboxAckSchema = z.object({ ack: z.enum(['delivered', 'read', 'played']) }).strict().openapi('SandboxAck');

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

export const SandboxScanSchema = z
  .object({
    phone: z.string().regex(/^\d{6,15}$/, 'must be 6-15 digits').optional(),
    pushName: z.string().min(1).max(64).optional(),
  })
  .strict()
  .openapi('SandboxScan');

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
