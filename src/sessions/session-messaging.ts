import { GoneError, NotFoundError } from '../shared/errors.js';
import type { WaClient, WaMedia, WaMediaInput, WaMessage, WaSendMediaOptions } from '../wa/wa-client.js';
import { notReady } from './session-errors.js';
import { withWorkingClient, type SessionLookup } from './working-client.js';


/**
 * Sending and reading messages through a WORKING session's client, outside the session manager: it only looks
 * the session up. A session that is not WORKING, or stops meanwhile, answers 409 with its status.
 */
export class SessionMessaging {
  constructor(
    private readonly sessions: SessionLookup,
    private readonly now: () => number = Date.now,
  ) {}

  /** 404 for an unknown session, 409 with its status unless it is WORKING: checked before costly work (fetching a URL). */
  assertWorking(sessionId: string): void {
    const session = this.sessions.get(sessionId);
    if (!session.client || session.status.status !== 'WORKING') throw notReady(session);
  }

  sendMedia(sessionId: string, chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage> {
    return this.withClient(sessionId, true, (client) => client.sendMedia(chatId, media, options));
  }

  /** The bytes of a message's media: 404 for an unknown message or one without media, 410 when WhatsApp lost them. */
  async downloadMedia(sessionId: string, messageId: string): Promise<WaMedia> {
    const result = await this.withClient(sessionId, false, (client) => client.downloadMedia(messageId));
    switch (result.kind) {
      case 'media':
        return result.media;
      case 'no-message':
        throw new NotFoundError('MESSAGE_NOT_FOUND', `Session '${sessionId}' knows no message '${messageId}'`);
      case 'no-media':
        throw new NotFoundError('NO_MEDIA', `Message '${messageId}' has no media`);
      case 'gone':
        throw new GoneError('MEDIA_GONE', `WhatsApp no longer has the media of message '${messageId}'`);
    }
  }

  private withClient<T>(sessionId: string, isActivity: boolean, action: (client: WaClient) => Promise<T>): Promise<T> {
    return withWorkingClient(this.sessions, sessionId, action, isActivity ? this.now : undefined);
  }

}
