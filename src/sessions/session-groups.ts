import type { WaClient } from '../wa/wa-client.js';
import type { WaGroup, WaGroupCreated, WaParticipantAction, WaParticipantResult } from '../wa/wa-groups.js';
import { GroupNotFoundError } from '../wa/wa-groups.js';
import { withWorkingClient, type SessionLookup } from './working-client.js';

/**
 * Group commands of a session: 404 for an unknown session, 409 with the status unless it is WORKING
 * (also when the session stops while the command runs), then the session's client does the work.
 */
export class SessionGroups {
  constructor(
    private readonly sessions: SessionLookup,
    private readonly now: () => number = Date.now,
  ) {}

  create(sessionId: string, name: string, participantIds: string[]): Promise<WaGroupCreated> {
    return this.run(sessionId, (client) => client.createGroup(name, participantIds), true);
  }

  list(sessionId: string): Promise<WaGroup[]> {
    return this.run(sessionId, (client) => client.getGroups());
  }

  get(sessionId: string, groupId: string): Promise<WaGroup> {
    return this.run(sessionId, async (client) => {
      const group = await client.getGroup(groupId);
      if (!group) throw new GroupNotFoundError(groupId);
      return group;
    });
  }

  changeParticipants(
    sessionId: string,
    groupId: string,
    action: WaParticipantAction,
    participantIds: string[],
  ): Promise<{ results: WaParticipantResult[]; group: WaGroup }> {
    return this.run(sessionId, (client) => client.changeGroupParticipants(groupId, action, participantIds), true);
  }

  update(sessionId: string, groupId: string, changes: { subject?: string; description?: string }): Promise<WaGroup> {
    return this.run(sessionId, (client) => client.updateGroup(groupId, changes), true);
  }

  inviteCode(sessionId: string, groupId: string): Promise<string> {
    return this.run(sessionId, (client) => client.getGroupInviteCode(groupId));
  }

  leave(sessionId: string, groupId: string): Promise<void> {
    return this.run(sessionId, (client) => client.leaveGroup(groupId), true);
  }

  private run<T>(sessionId: string, command: (client: WaClient) => Promise<T>, isActivity = false): Promise<T> {
    return withWorkingClient(this.sessions, sessionId, command, isActivity ? this.now : undefined);
  }

}
