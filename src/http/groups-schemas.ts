import { z } from '../shared/zod.js';
import { SessionIdSchema } from '../sessions/session-config.js';
import { ChatIdSchema } from './api-schemas.js';

/** Request and response shapes of the group routes (validation and the OpenAPI document). */

/** A group id: the chat-id rules, and it must end in @g.us. */
export const GroupIdSchema = ChatIdSchema.refine((id) => id.endsWith('@g.us'), {
  message: 'must be a group id like 120363000000000000@g.us',
}).openapi({ example: '120363012345678901@g.us' });

/** A participant: the chat-id rules for a contact (a phone number, <digits>@c.us or <digits>@lid). */
export const ParticipantIdSchema = ChatIdSchema.refine((id) => id.endsWith('@c.us') || id.endsWith('@lid'), {
  message: 'must be a contact: a phone number, <digits>@c.us or <digits>@lid',
}).openapi({ example: '15550009999@c.us' });

const participantList = z.array(ParticipantIdSchema).min(1, 'must name at least one participant').max(256);

export const GroupParamsSchema = z.object({ id: SessionIdSchema, groupId: GroupIdSchema });

export const CreateGroupSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(100),
    participants: z.array(ParticipantIdSchema).max(256).default([]),
  })
  .strict()
  .openapi('CreateGroup');

const PARTICIPANT_ACTIONS = ['add', 'remove', 'promote', 'demote'] as const;

/** Exactly one action per call: {add: [...]}, {remove: [...]}, {promote: [...]} or {demote: [...]}. */
export const GroupParticipantsSchema = z
  .object({ add: participantList.optional(), remove: participantList.optional(), promote: participantList.optional(), demote: participantList.optional() })
  .strict()
  .transform((body, context) => {
    const given = PARTICIPANT_ACTIONS.filter((action) => body[action] !== undefined);
    if (given.length !== 1) {
      context.addIssue({ code: 'custom', message: 'must hold exactly one of add, remove, promote, demote' });
      return z.NEVER;
    }
    const action = given[0] as (typeof PARTICIPANT_ACTIONS)[number];
    return { action, ids: body[action] as string[] };
  })
  .openapi('GroupParticipants');

export const UpdateGroupSchema = z
  .object({
    subject: z.string().trim().min(1, 'must not be empty').max(100).optional(),
    description: z.string().max(2048).optional(),
  })
  .strict()
  .refine((body) => body.subject !== undefined || body.description !== undefined, { message: 'must change subject or description' })
  .openapi('UpdateGroup');

export const GroupParticipantSchema = z.object({ id: z.string(), isAdmin: z.boolean(), isSuperAdmin: z.boolean() });

export const GroupSchema = z
  .object({
    id: z.string().openapi({ example: '120363012345678901@g.us' }),
    subject: z.string(),
    description: z.string(),
    owner: z.string().optional(),
    createdAt: z.number().int().optional().openapi({ description: 'Unix seconds' }),
    participants: z.array(GroupParticipantSchema),
  })
  .openapi('Group');

export const ParticipantResultSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  code: z.number().int().openapi({ description: "WhatsApp's status: 200 done, 403 refused/invite only, 404 not on WhatsApp or not a participant, 409 already in" }),
  message: z.string(),
});

export const GroupCreatedSchema = z
  .object({ id: z.string(), subject: z.string(), participants: z.array(ParticipantResultSchema) })
  .openapi('GroupCreated');

export const GroupParticipantsResultSchema = z
  .object({ action: z.enum(PARTICIPANT_ACTIONS), results: z.array(ParticipantResultSchema), group: GroupSchema })
  .openapi('GroupParticipantsResult');

export const GroupInviteSchema = z
  .object({ id: z.string(), code: z.string(), link: z.string().openapi({ example: 'https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv' }) })
  .openapi('GroupInvite');

/** The sandbox phone adds or removes participants itself (or as `author`, another admin of the group). */
const PhoneContactIdSchema = ChatIdSchema.refine((id) => id.endsWith('@c.us'), {
  message: 'must be a phone number or <digits>@c.us',
});
export const SandboxCreateGroupSchema = z
  .object({
    subject: z.string().trim().min(1).max(100),
    creator: PhoneContactIdSchema.openapi({ description: 'The member who creates it (the account is added by them)' }),
    participants: z.array(PhoneContactIdSchema).max(256).default([]),
  })
  .strict()
  .openapi('SandboxCreateGroup');

export const SandboxGroupParticipantsSchema = z
  .object({
    add: z.array(PhoneContactIdSchema).min(1).max(256).optional(),
    remove: z.array(PhoneContactIdSchema).min(1).max(256).optional(),
    author: PhoneContactIdSchema.optional(),
  })
  .strict()
  .transform((body, context) => {
    if ((body.add === undefined) === (body.remove === undefined)) {
      context.addIssue({ code: 'custom', message: 'must hold exactly one of add, remove' });
      return z.NEVER;
    }
    const action: 'add' | 'remove' = body.add ? 'add' : 'remove';
    return { action, ids: (body.add ?? body.remove) as string[], author: body.author };
  })
  .openapi('SandboxGroupParticipants');
