import { GoneError, NotFoundError } from '../shared/errors.js';
import {
  QuotedMessageMissingError,
  type WaClient,
  type WaLocation,
  type WaMedia,
  type WaMediaInput,
  type WaMessage,
  type WaPoll,
  type WaSendMediaOptions,
  type WaSendOptions,
} from '../wa/wa-client.js';
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

  /**
   * 404 for an unknown session, 409 with its status unless it is WORKING, checked before costly work (fetching a
   * URL); a sleeping session is woken.
   */
  async assertWorking(sessionId: string): Promise<void> {
    await withWorkingClient(this.sessions, sessionId, async () => undefined);
  }

  sendText(sessionId: string, chatId: string, content: string, options?: WaSendOptions): Promise<WaMessage> {
    return this.send(sessionId, (client) => client.sendText(chatId, content, options));
  }

  sendMedia(sessionId: string, chatId: string, media: WaMediaInput, options: WaSendMediaOptions): Promise<WaMessage> {
    return this.send(sessionId, (client) => client.sendMedia(chatId, media, options));
  }

  sendLocation(sessionId: string, chatId: string, location: WaLocation, options?: WaSendOptions): Promise<WaMessage> {
    return this.send(sessionId, (client) => client.sendLocation(chatId, location, options));
  }

  sendContacts(sessionId: string, chatId: string, contactIds: string[], options?: WaSendOptions): Promise<WaMessage> {
    return this.send(sessionId, (client) => client.sendContacts(chatId, contactIds, options));
  }

  sendPoll(sessionId: string, chatId: string, poll: WaPoll, options?: WaSendOptions): Promise<WaMessage> {
    return this.send(sessionId, (client) => client.sendPoll(chatId, poll, options));
  }

  /** A send counts as activity; a reply to a message WhatsApp Web does not have is a 404, not a message without the quote. */
  private async send(sessionId: string, command: (client: WaClient) => Promise<WaMessage>): Promise<WaMessage> {
    try {
      return await this.withClient(sessionId, true, command);
    } catch (error) {
      if (error instanceof QuotedMessageMissingError) {
        throw new NotFoundError('QUOTED_MESSAGE_NOT_FOUND', `${error.message} (quotedMessageId)`);
      }
      throw error;
    }
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
