import { randomBytes } from 'node:crypto';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { SandboxInbox, type InboxOutcome } from './sandbox-inbox.js';
import type { SandboxMediaStore } from './sandbox-media-store.js';
import { PAGE_ANSWER_TIMEOUT_MS, pageGone, type SandboxPages } from './sandbox-pages.js';
import type * as protocol from './sandbox-protocol.js';

/** A message from a contact, as the page receives it. */
type PhoneMessage =
  | { event: 'incoming'; payload: Omit<protocol.PageEvents['incoming'], 'seq'> }
  | { event: 'incomingMedia'; payload: Omit<protocol.PageEvents['incomingMedia'], 'seq'> };

export interface SandboxIncomingMedia {
  data: Buffer;
  mimetype: string;
  filename?: string;
  caption?: string;
  /** Audio as a voice note (WhatsApp's ptt). */
  voice?: boolean;
}

export interface SandboxPhoneMessagesDeps {
  sessionId: string;
  logger: Logger;
  pages: SandboxPages;
  media: SandboxMediaStore;
  /** The linked account as a contact id; throws (409) when none is linked. */
  accountId: () => string;
}

/**
 * What the phone does to the linked device's messages: contacts' messages and media reach it (held in the inbox
 * while it is not connected), and contacts react to, edit or revoke messages, whose acks move on.
 */
export class SandboxPhoneMessages {
  /** Messages from contacts, held while the linked device is not connected (see sandbox-inbox.ts). */
  private readonly inbox = new SandboxInbox<PhoneMessage>({
    listening: () => this.deps.pages.listening() !== undefined,
    deliver: (message) => this.deliver(message),
    isRefusal: (error) => error instanceof AppError && error.code === 'SANDBOX_PAGE_FAILED',
    onRefused: (message, error) =>
      this.deps.logger.warn('the sandbox page refused a message from the phone; it is dropped', {
        sessionId: this.deps.sessionId,
        messageId: message.payload.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  });

  constructor(private readonly deps: SandboxPhoneMessagesDeps) {}

  /** How many messages wait for the linked device. */
  get held(): number {
    return this.inbox.size;
  }

  /**
   * A message from `from` (a "<digits>@c.us" id) to the linked device: delivered when its page is connected, else
   * held until it is. Returns its serialized message id and whether it still waits for the device.
   */
  async incoming(from: string, body: string, extras: protocol.IncomingExtras = {}): Promise<{ id: string; queued: boolean }> {
    this.deps.accountId();
    const id = hex(16).toUpperCase();
    const outcome = await this.post({ event: 'incoming', payload: { id, from, body, t: nowSeconds(), ...extras } });
    return { id: incomingMessageId(from, id, extras.group), queued: outcome === 'queued' };
  }

  /** The phone sends media: its bytes go to the media server, the page gets the message that points at them. */
  async incomingMedia(
    from: string,
    media: SandboxIncomingMedia,
    extras: Pick<protocol.IncomingExtras, 'quoted' | 'group'> = {},
  ): Promise<{ id: string; queued: boolean }> {
    this.deps.accountId();
    const type = mediaTypeOf(media.mimetype, media.voice === true);
    const stored = this.deps.media.put(media.data, type);
    const id = hex(16).toUpperCase();
    const info: protocol.IncomingMediaInfo = {
      type,
      mimetype: media.mimetype,
      filename: media.filename,
      caption: media.caption,
      size: media.data.length,
      filehash: stored.filehash,
      directPath: stored.directPath,
      mediaKey: randomBytes(32).toString('base64'),
    };
    const outcome = await this.post({ event: 'incomingMedia', payload: { id, from, t: nowSeconds(), media: info, ...extras } });
    return { id: incomingMessageId(from, id, extras.group), queued: outcome === 'queued' };
  }

  /**
   * The phone acts on a message: a contact reacts to it (any message of their chat), edits or revokes one of
   * their own, or the message's ack moves on (delivered, read). Answers once the linked page applied it.
   */
  async phoneAction<E extends 'react' | 'edit' | 'revoke' | 'ack'>(event: E, payload: Omit<protocol.PageEvents[E], 'seq'>): Promise<void> {
    await this.deps.pages.ask(this.deps.pages.linked(), event, payload, PAGE_ANSWER_TIMEOUT_MS);
  }

  /** A linked page now hands messages on to whatsapp-web.js: what the phone held for the device goes to it. */
  startListening(pageId: string): object {
    const page = this.deps.pages.requireLinked(pageId);
    page.listening = true;
    if (this.inbox.size > 0) this.deps.logger.info('sandbox phone delivers held messages', { sessionId: this.deps.sessionId, count: this.inbox.size });
    void this.inbox.drain();
    return {};
  }

  /** A page went away: with no linked page left, whoever waits for a delivery hears it is queued. */
  pageGone(): void {
    if (!this.deps.pages.latest('linked')) this.inbox.stopWaiting();
  }

  /** The device was unlinked (or the session removed): what was held for it is dropped with this error. */
  forget(error: () => Error): void {
    this.inbox.clear(error);
  }

  /**
   * Hands a contact's message to the inbox. With a linked page connected, waits until that page took it (it may be
   * about to listen: whatsapp-web.js is still starting); with none, answers 'queued' at once.
   */
  private post(message: PhoneMessage): Promise<InboxOutcome> {
    return this.inbox.post(message, this.deps.pages.latest('linked') ? PAGE_ANSWER_TIMEOUT_MS : 0);
  }

  private deliver(message: PhoneMessage): Promise<void> {
    const page = this.deps.pages.listening();
    if (!page) return Promise.reject(pageGone());
    return message.event === 'incoming'
      ? this.deps.pages.ask(page, 'incoming', message.payload, PAGE_ANSWER_TIMEOUT_MS)
      : this.deps.pages.ask(page, 'incomingMedia', message.payload, PAGE_ANSWER_TIMEOUT_MS);
  }
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The WhatsApp message type the phone gives media of this type. */
function mediaTypeOf(mimetype: string, voice: boolean): string {
  const family = mimetype.split('/')[0]!.toLowerCase();
  if (family === 'audio') return voice ? 'ptt' : 'audio';
  if (family === 'image' || family === 'video') return family;
  return 'document';
}

/** A contact's message id as whatsapp-web.js serializes its key: in a group, the chat is the group and the participant comes last. */
function incomingMessageId(from: string, id: string, group: string | undefined): string {
  return group ? `false_${group}_${id}_${from}` : `false_${from}_${id}`;
}
