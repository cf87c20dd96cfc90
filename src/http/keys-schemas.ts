import { z } from '../shared/zod.js';
import { ROLES } from '../auth/principal.js';
import { SessionIdSchema } from '../sessions/session-config.js';

export const CreateKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100).regex(/^[\p{L}\p{N} ._:@-]+$/u, 'letters, digits, spaces and ._:@- only').openapi({ example: 'crm-desk' }),
    sessions: z.array(SessionIdSchema).min(1).max(10_000).openapi({ description: 'The sessions the key may see (others are 404 to it)', example: ['desk1'] }),
    roles: z.array(z.enum(ROLES)).min(1).openapi({ description: 'read: GET routes, events, stream, metrics; send: act as the account in chats and groups; control: start, stop, config, webhooks, pairing, delete', example: ['read', 'send'] }),
  })
  .strict();

export const KeySchema = z.object({
  id: z.string(),
  name: z.string(),
  sessions: z.array(z.string()),
  roles: z.array(z.enum(ROLES)),
  createdAt: z.string(),
});

export const CreatedKeySchema = KeySchema.extend({ key: z.string().openapi({ description: 'The key itself: shown this once, stored only as a hash' }) });

export const KeyParamsSchema = z.object({ keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be a key id') });
