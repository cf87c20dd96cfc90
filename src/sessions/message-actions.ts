import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { WaMessage } from '../wa/wa-client.js';
import { withWorkingClient, type SessionLookup } from './working-client.js';

function messageNotFound(messageId: string): NotFoundError {
  return new NotFoundError('MESSAGE_NOT_FOUND', `WhatsApp Web has no message '${messageId}' in this session`);
}

/** What a session does to a message or a chat besides sending: react, edit, delete, read, type. */
export class MessageActions {
  constructor(
    private readonly sessions: SessionLookup,
    private readonly now: () => number = Date.now,
  ) {}

  async react(sessionId: string, messageId: string, emoji: string): Promise<void> {
    const found = await withWorkingClient(this.sessions, sessionId, (client) => client.react(messageId, emoji), this.now);
    if (!found) throw messageNotFound(messageId);
  }

  async edit(sessionId: string, messageId: string, content: string): Promise<WaMessage> {
    const edited = await withWorkingClient(this.sessions, sessionId, (client) => client.editMessage(messageId, content), this.now);
    if (edited === 'not-found') throw messageNotFound(messageId);
    if (edited === 'not-editable') {
      throw new ConflictError('MESSAGE_NOT_EDITABLE', `Message '${messageId}' cannot be edited: only text this account sent can be`);
    }
    return edited;
  }

  /** Whether it was deleted for everyone: false when WhatsApp deleted it only here (not ours, or too old). */
  async delete(sessionId: string, messageId: string, forEveryone: boolean): Promise<{ forEveryone: boolean }> {
    const outcome = await withWorkingClient(this.sessions, sessionId, (client) => client.deleteMessage(messageId, forEveryone), this.now);
    if (outcome === 'not-found') throw messageNotFound(messageId);
    return { forEveryone: outcome === 'revoked' };
  }

  markSeen(sessionId: string, chatId: string): Promise<void> {
    return withWorkingClient(this.sessions, sessionId, (client) => client.markSeen(chatId));
  }

  setPresence(sessionId: string, chatId: string, state: 'typing' | 'recording' | 'paused'): Promise<void> {
    return withWorkingClient(this.sessions, sessionId, (client) => client.setPresence(chatId, state));
  }
}
