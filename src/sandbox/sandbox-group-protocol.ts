import { z } from 'zod';

/**
 * What the sandbox page and the phone say to each other about groups. The phone (the sandbox session) plays
 * WhatsApp's servers here: it holds every group's state, the page sends it the requests whatsapp-web.js makes
 * (create, add/remove/promote/demote, subject, description, invite code, leave) and applies what it answers.
 */

export const GROUP_PAGE_PATHS = {
  groupsList: '/sandbox/groups/list',
  groupsCreate: '/sandbox/groups/create',
  groupsParticipants: '/sandbox/groups/participants',
  groupsInfo: '/sandbox/groups/info',
  groupsInvite: '/sandbox/groups/invite',
  groupsLeave: '/sandbox/groups/leave',
} as const;

const pageId = z.string().regex(/^[0-9a-f]{8,64}$/);
/** A contact by phone (`<digits>@c.us`); the page converts linked ids before it asks. */
export const userIdSchema = z.string().regex(/^\d{5,20}@c\.us$/);
export const groupIdSchema = z.string().regex(/^\d{5,40}(-\d{5,20})?@g\.us$/);

export const groupsListSchema = z.object({ page: pageId });
export const groupsCreateSchema = z.object({
  page: pageId,
  subject: z.string().min(1).max(100),
  participants: z.array(userIdSchema).max(1024),
});
export const participantActionSchema = z.enum(['add', 'remove', 'promote', 'demote']);
export const groupsParticipantsSchema = z.object({
  page: pageId,
  groupId: groupIdSchema,
  action: participantActionSchema,
  ids: z.array(userIdSchema).min(1).max(1024),
});
export const groupsInfoSchema = z.object({
  page: pageId,
  groupId: groupIdSchema,
  subject: z.string().min(1).max(100).optional(),
  description: z.string().max(2048).optional(),
  descId: z.string().max(100).optional(),
});
export const groupsTargetSchema = z.object({ page: pageId, groupId: groupIdSchema });

export type ParticipantAction = z.infer<typeof participantActionSchema>;

export interface SandboxGroupParticipant {
  id: string;
  admin: 'superadmin' | 'admin' | null;
}

/** One group as the phone knows it. */
export interface SandboxGroup {
  id: string;
  subject: string;
  description: string;
  descId: string;
  owner: string;
  /** Unix seconds. */
  creation: number;
  participants: SandboxGroupParticipant[];
}

/** A group notification (a `gp2` message on WhatsApp): who did what to whom. */
export interface SandboxGroupNotification {
  id: string;
  subtype: 'create' | 'add' | 'remove' | 'leave' | 'promote' | 'demote' | 'subject' | 'description';
  author: string;
  recipients: string[];
  t: number;
  body: string;
}

/** What the phone answers to a group request, and what it pushes to the page (SSE `group`) when it acts itself. */
export interface SandboxGroupUpdate {
  group: SandboxGroup;
  notifications: SandboxGroupNotification[];
}

export interface SandboxParticipantResult {
  id: string;
  /** WhatsApp's status per participant: 200 done, 404 not a member (remove/promote/demote), 409 already a member. */
  code: number;
}
