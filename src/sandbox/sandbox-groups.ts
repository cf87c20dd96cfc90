import { randomBytes, randomInt } from 'node:crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../shared/errors.js';
import {
  GROUP_PAGE_PATHS,
  groupsCreateSchema,
  groupsInfoSchema,
  groupsParticipantsSchema,
  groupsTargetSchema,
  type ParticipantAction,
  type SandboxGroup,
  type SandboxGroupNotification,
  type SandboxGroupUpdate,
  type SandboxParticipantResult,
} from './sandbox-group-protocol.js';
import { parse } from './sandbox-protocol.js';

const INVITE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The groups of one sandbox account, as WhatsApp's servers would hold them: who is in, who is admin, subject,
 * description, invite code. Every change is checked as WhatsApp checks it (only admins manage a group) and
 * yields the group notifications the members' devices receive. Kept in memory for the server's life, so a
 * browser restart (stop/start of the session) gets the groups back from here when the page connects.
 */
export class SandboxGroupBook {
  private readonly groups = new Map<string, SandboxGroup>();
  private readonly inviteCodes = new Map<string, string>();

  /** A linked page's request to the group server, made by `me` (the account); the path names the request. */
  handlePageRequest(me: string, path: string, body: unknown): unknown {
    const paths = GROUP_PAGE_PATHS;
    switch (path) {
      case paths.groupsList:
        return { groups: this.list() };
      case paths.groupsCreate: {
        const { subject, participants } = parse(groupsCreateSchema, body);
        return this.create(me, subject, participants);
      }
      case paths.groupsParticipants: {
        const { groupId, action, ids } = parse(groupsParticipantsSchema, body);
        return this.participants(me, groupId, action, ids);
      }
      case paths.groupsInfo: {
        const { groupId, ...info } = parse(groupsInfoSchema, body);
        return this.setInfo(me, groupId, info);
      }
      case paths.groupsInvite: {
        const { groupId } = parse(groupsTargetSchema, body);
        return { code: this.inviteCode(me, groupId) };
      }
      case paths.groupsLeave: {
        const { groupId } = parse(groupsTargetSchema, body);
        return this.leave(me, groupId);
      }
      default:
        throw new InvalidInputError(`Unknown sandbox path ${path}`);
    }
  }

  list(): SandboxGroup[] {
    return [...this.groups.values()].map(copy);
  }

  get(groupId: string): SandboxGroup {
    const group = this.groups.get(groupId);
    if (!group) throw new NotFoundError('SANDBOX_GROUP_NOT_FOUND', `The sandbox phone knows no group '${groupId}'`);
    return group;
  }

  create(creator: string, subject: string, participants: string[]): SandboxGroupUpdate & { results: SandboxParticipantResult[] } {
    const now = nowSeconds();
    const id = `120363${randomInt(100_000_000, 999_999_999)}${randomInt(100_000, 999_999)}@g.us`;
    const members = [...new Set(participants)].filter((p) => p !== creator);
    const group: SandboxGroup = {
      id,
      subject,
      description: '',
      descId: '',
      owner: creator,
      creation: now,
      participants: [{ id: creator, admin: 'superadmin' }, ...members.map((p) => ({ id: p, admin: null }))],
    };
    this.groups.set(id, group);
    return {
      group: copy(group),
      results: members.map((p) => ({ id: p, code: 200 })),
      notifications: [notification('create', creator, [], subject)],
    };
  }

  participants(actor: string, groupId: string, action: ParticipantAction, ids: string[]): SandboxGroupUpdate & { results: SandboxParticipantResult[] } {
    const group = this.get(groupId);
    this.requireAdmin(group, actor);
    const results: SandboxParticipantResult[] = [];
    const affected: string[] = [];
    for (const id of [...new Set(ids)]) {
      const member = group.participants.find((p) => p.id === id);
      let code = 200;
      if (action === 'add') {
        if (member) code = 409;
        else group.participants.push({ id, admin: null });
      } else if (!member) {
        code = 404;
      } else if (action === 'remove') {
        group.participants = group.participants.filter((p) => p !== member);
      } else if (action === 'promote') {
        if (member.admin === null) member.admin = 'admin';
      } else if (member.admin === 'superadmin') {
        code = 403;
      } else {
        member.admin = null;
      }
      results.push({ id, code });
      if (code === 200) affected.push(id);
    }
    const notifications = affected.length > 0 ? [notification(action, actor, affected, '')] : [];
    return { group: copy(group), results, notifications };
  }

  setInfo(actor: string, groupId: string, info: { subject?: string; description?: string; descId?: string }): SandboxGroupUpdate {
    const group = this.get(groupId);
    this.requireMember(group, actor);
    const notifications: SandboxGroupNotification[] = [];
    if (info.subject !== undefined) {
      group.subject = info.subject;
      notifications.push(notification('subject', actor, [], info.subject));
    }
    if (info.description !== undefined) {
      group.description = info.description;
      group.descId = info.descId ?? randomBytes(8).toString('hex').toUpperCase();
      notifications.push(notification('description', actor, [], info.description));
    }
    return { group: copy(group), notifications };
  }

  inviteCode(actor: string, groupId: string): string {
    const group = this.get(groupId);
    this.requireAdmin(group, actor);
    let code = this.inviteCodes.get(groupId);
    if (!code) {
      code = Array.from({ length: 22 }, () => INVITE_ALPHABET[randomInt(INVITE_ALPHABET.length)]).join('');
      this.inviteCodes.set(groupId, code);
    }
    return code;
  }

  leave(actor: string, groupId: string): SandboxGroupUpdate {
    const group = this.get(groupId);
    this.requireMember(group, actor);
    group.participants = group.participants.filter((p) => p.id !== actor);
    return { group: copy(group), notifications: [notification('leave', actor, [actor], '')] };
  }

  private requireMember(group: SandboxGroup, actor: string): void {
    if (!group.participants.some((p) => p.id === actor)) {
      throw new ConflictError('SANDBOX_NOT_A_MEMBER', `${actor} is not a member of ${group.id}`);
    }
  }

  private requireAdmin(group: SandboxGroup, actor: string): void {
    this.requireMember(group, actor);
    if (!group.participants.some((p) => p.id === actor && p.admin !== null)) {
      throw new ConflictError('SANDBOX_NOT_AN_ADMIN', `${actor} is not an admin of ${group.id}`);
    }
  }
}

function notification(subtype: SandboxGroupNotification['subtype'], author: string, recipients: string[], body: string): SandboxGroupNotification {
  return { id: randomBytes(10).toString('hex').toUpperCase(), subtype, author, recipients, t: nowSeconds(), body };
}

function copy(group: SandboxGroup): SandboxGroup {
  return { ...group, participants: group.participants.map((p) => ({ ...p })) };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
