import type wwebjs from 'whatsapp-web.js';
import type { GroupChat, GroupNotification } from 'whatsapp-web.js';
import { ConflictError } from '../shared/errors.js';
import {
  GroupActionRefusedError,
  GroupNotFoundError,
  type WaGroup,
  type WaGroupCommands,
  type WaGroupCreated,
  type WaParticipantAction,
  type WaParticipantResult,
} from './wa-groups.js';

type LibraryClient = InstanceType<typeof wwebjs.Client>;
/** What GroupChat carries at run time besides its typings: the serialized group metadata. */
type GroupChatData = GroupChat & { groupMetadata?: { subject?: string; desc?: string; creation?: number } };
/** What addParticipants really answers per participant (the typings nest it one level too deep). */
type AddAnswer = Record<string, { code: number; message: string; isInviteV4Sent: boolean }> | string;

/** The group commands of the port, through whatsapp-web.js's Client.createGroup, getChats/getChatById and GroupChat. */
export class WwebjsGroups implements WaGroupCommands {
  constructor(private readonly client: LibraryClient) {}

  async createGroup(name: string, participantIds: string[]): Promise<WaGroupCreated> {
    const result = await this.client.createGroup(name, participantIds);
    if (typeof result === 'string') throw new ConflictError('GROUP_CREATE_FAILED', `WhatsApp did not create the group: ${result}`);
    return {
      id: result.gid._serialized,
      subject: result.title,
      participants: Object.entries(result.participants).map(([id, answer]) => ({
        id,
        ok: answer.statusCode === 200,
        code: answer.statusCode,
        message: answer.message,
      })),
    };
  }

  async getGroups(): Promise<WaGroup[]> {
    const chats = await this.client.getChats();
    return chats.filter((chat) => chat.isGroup).map((chat) => toWaGroup(chat as GroupChatData));
  }

  async getGroup(groupId: string): Promise<WaGroup | undefined> {
    const chat = await this.findGroup(groupId);
    return chat && toWaGroup(chat);
  }

  async changeGroupParticipants(
    groupId: string,
    action: WaParticipantAction,
    participantIds: string[],
  ): Promise<{ results: WaParticipantResult[]; group: WaGroup }> {
    const chat = await this.requireGroup(groupId);
    this.requireAdmin(chat);
    let results: WaParticipantResult[];
    if (action === 'add') {
      const answer = (await chat.addParticipants(participantIds)) as unknown as AddAnswer;
      if (typeof answer === 'string') throw new GroupActionRefusedError(groupId, answer);
      results = participantIds.map((id) => {
        const one = answer[id];
        return one ? { id, ok: one.code === 200, code: one.code, message: one.message } : { id, ok: false, code: 0, message: 'WhatsApp gave no answer for this participant' };
      });
    } else {
      const before = toWaGroup(chat);
      if (action === 'remove') await chat.removeParticipants(participantIds);
      else if (action === 'promote') await chat.promoteParticipants(participantIds);
      else await chat.demoteParticipants(participantIds);
      const after = toWaGroup(await this.requireGroup(groupId));
      results = participantIds.map((id) => outcome(action, id, before, after));
      return { results, group: after };
    }
    return { results, group: toWaGroup(await this.requireGroup(groupId)) };
  }

  async updateGroup(groupId: string, changes: { subject?: string; description?: string }): Promise<WaGroup> {
    const chat = await this.requireGroup(groupId);
    this.requireMember(chat);
    if (changes.subject !== undefined && !(await chat.setSubject(changes.subject))) {
      throw new GroupActionRefusedError(groupId, 'the subject was not changed');
    }
    if (changes.description !== undefined && !(await chat.setDescription(changes.description))) {
      throw new GroupActionRefusedError(groupId, 'the description was not changed');
    }
    return toWaGroup(await this.requireGroup(groupId));
  }

  async getGroupInviteCode(groupId: string): Promise<string> {
    const chat = await this.requireGroup(groupId);
    this.requireAdmin(chat);
    const code: unknown = await chat.getInviteCode();
    if (typeof code !== 'string' || code.length === 0) throw new GroupActionRefusedError(groupId, 'WhatsApp gave no invite code');
    return code;
  }

  async leaveGroup(groupId: string): Promise<void> {
    const chat = await this.requireGroup(groupId);
    this.requireMember(chat);
    await chat.leave();
  }

  private async findGroup(groupId: string): Promise<GroupChatData | undefined> {
    const chat = await this.client.getChatById(groupId);
    return chat?.isGroup ? (chat as GroupChatData) : undefined;
  }

  private async requireGroup(groupId: string): Promise<GroupChatData> {
    const chat = await this.findGroup(groupId);
    if (!chat) throw new GroupNotFoundError(groupId);
    return chat;
  }

  private mine(chat: GroupChatData) {
    const me = this.client.info?.wid?._serialized;
    return (chat.participants ?? []).find((participant) => participant.id._serialized === me);
  }

  private requireMember(chat: GroupChatData): void {
    if (!this.mine(chat)) throw new GroupActionRefusedError(chat.id._serialized, 'the account is not a member of the group');
  }

  private requireAdmin(chat: GroupChatData): void {
    const mine = this.mine(chat);
    if (!mine) throw new GroupActionRefusedError(chat.id._serialized, 'the account is not a member of the group');
    if (!mine.isAdmin && !mine.isSuperAdmin) throw new GroupActionRefusedError(chat.id._serialized, 'the account is not an admin of the group');
  }
}

/** remove/promote/demote answer only {status: 200}: what happened to each participant is read from the group after. */
function outcome(action: Exclude<WaParticipantAction, 'add'>, id: string, before: WaGroup, after: WaGroup): WaParticipantResult {
  const was = before.participants.find((p) => p.id === id);
  const now = after.participants.find((p) => p.id === id);
  if (!was) return { id, ok: false, code: 404, message: 'Not a participant of the group' };
  const done = action === 'remove' ? !now : action === 'promote' ? !!now?.isAdmin : !!now && !now.isAdmin;
  return done
    ? { id, ok: true, code: 200, message: `The participant was ${action === 'remove' ? 'removed' : `${action}d`}` }
    : { id, ok: false, code: 403, message: 'WhatsApp did not apply the change (the group creator cannot be demoted)' };
}

function toWaGroup(chat: GroupChatData): WaGroup {
  const metadata = chat.groupMetadata;
  return {
    id: chat.id._serialized,
    subject: metadata?.subject ?? chat.name,
    description: metadata?.desc ?? '',
    owner: chat.owner?._serialized,
    createdAt: typeof metadata?.creation === 'number' ? metadata.creation : undefined,
    participants: (chat.participants ?? []).map((participant) => ({
      id: participant.id._serialized,
      isAdmin: participant.isAdmin,
      isSuperAdmin: participant.isSuperAdmin,
    })),
  };
}

/** group_join / group_leave in our shape: WhatsApp may report ids as Wid objects, we always give strings. */
export function groupNotificationPayload(notification: GroupNotification): Record<string, unknown> {
  return {
    chatId: notification.chatId,
    authorId: idOf(notification.author),
    recipientIds: (notification.recipientIds ?? []).map(idOf),
    type: notification.type,
    timestamp: notification.timestamp,
  };
}

function idOf(id: unknown): string {
  if (id && typeof id === 'object' && typeof (id as { _serialized?: unknown })._serialized === 'string') {
    return (id as { _serialized: string })._serialized;
  }
  return String(id);
}
