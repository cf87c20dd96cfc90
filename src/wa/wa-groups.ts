import { ConflictError, NotFoundError } from '../shared/errors.js';

/** Group commands of the `WaClient` port, in our own shapes (never whatsapp-web.js objects). */

export interface WaGroupParticipant {
  /** "<digits>@c.us" (or "<digits>@lid" when WhatsApp gives no number). */
  id: string;
  isAdmin: boolean;
  isSuperAdmin: boolean;
}

export interface WaGroup {
  /** "<digits>@g.us" */
  id: string;
  subject: string;
  description: string;
  owner?: string;
  /** Unix seconds. */
  createdAt?: number;
  participants: WaGroupParticipant[];
}

export type WaParticipantAction = 'add' | 'remove' | 'promote' | 'demote';

export interface WaParticipantResult {
  id: string;
  ok: boolean;
  /** WhatsApp's status for this participant (200 done; 403 invite only, 404 not on WhatsApp, 409 already in, ...). */
  code: number;
  message: string;
}

export interface WaGroupCreated {
  id: string;
  subject: string;
  /** One entry per participant asked for (the creator is in the group without being listed here). */
  participants: WaParticipantResult[];
}

export interface WaGroupCommands {
  createGroup(name: string, participantIds: string[]): Promise<WaGroupCreated>;
  /** Every group chat the account has. */
  getGroups(): Promise<WaGroup[]>;
  /** undefined when the account has no such group. */
  getGroup(groupId: string): Promise<WaGroup | undefined>;
  /** Throws GroupNotFoundError, or GroupActionRefusedError when the account is not an admin. */
  changeGroupParticipants(groupId: string, action: WaParticipantAction, participantIds: string[]): Promise<{ results: WaParticipantResult[]; group: WaGroup }>;
  updateGroup(groupId: string, changes: { subject?: string; description?: string }): Promise<WaGroup>;
  getGroupInviteCode(groupId: string): Promise<string>;
  leaveGroup(groupId: string): Promise<void>;
}

export class GroupNotFoundError extends NotFoundError {
  constructor(groupId: string) {
    super('GROUP_NOT_FOUND', `The session has no group '${groupId}'`);
  }
}

export class GroupActionRefusedError extends ConflictError {
  constructor(groupId: string, reason: string) {
    super('GROUP_ACTION_REFUSED', `WhatsApp refused this on group '${groupId}': ${reason}`, { groupId });
  }
}
