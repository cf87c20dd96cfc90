import { AppError, ConflictError, InvalidInputError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SandboxCertificate } from './sandbox-certificate.js';
import { SandboxEndpoint, type SandboxPageHandler, type SseStream } from './sandbox-endpoint.js';
import type { SandboxAccount, SandboxOutboxEntry } from './sandbox-hub.js';
import * as protocol from './sandbox-protocol.js';
import { SandboxPhoneRecords } from './sandbox-phone-records.js';
import * as groupProtocol from './sandbox-group-protocol.js';
import { SandboxGroupBook } from './sandbox-groups.js';
import { SandboxMediaStore } from './sandbox-media-store.js';
import { PAGE_ANSWER_TIMEOUT_MS, SandboxPages } from './sandbox-pages.js';
import { SandboxLinking } from './sandbox-linking.js';
import { SandboxPhoneMessages, type SandboxIncomingMedia } from './sandbox-phone-messages.js';

/**
 * One session's phone + server: its endpoint, the pages connected to it (sandbox-pages.ts), linking
 * (sandbox-linking.ts), the messages the phone sends the device (sandbox-phone-messages.ts), the outbox.
 */
export class SandboxSession implements SandboxPageHandler {
  private starting: Promise<SandboxEndpoint> | undefined;
  private readonly pages: SandboxPages;
  private readonly linking: SandboxLinking;
  private readonly messages: SandboxPhoneMessages;
  /** The outbox, what the session did to messages and chats, and the address book. */
  private readonly records = new SandboxPhoneRecords();
  /** The account's groups, as WhatsApp's servers hold them (see sandbox-groups.ts). */
  private readonly groupBook = new SandboxGroupBook();
  private readonly media = new SandboxMediaStore();
  private closed = false;

  constructor(
    readonly id: string,
    qrIntervalMs: number,
    private readonly deps: { certificate: () => Promise<SandboxCertificate>; logger: Logger; pageHtml: string },
  ) {
    const { logger } = deps;
    this.pages = new SandboxPages({
      sessionId: id,
      logger,
      onPageGone: () => {
        this.messages.pageGone();
        this.linking.updateQrTimer();
      },
    });
    this.linking = new SandboxLinking({
      sessionId: id,
      logger,
      pages: this.pages,
      qrIntervalMs,
      onUnlinked: () =>
        this.messages.forget(() => new ConflictError('SANDBOX_NOT_LINKED', `The device of session '${id}' was unlinked before the message reached it`)),
    });
    this.messages = new SandboxPhoneMessages({
      sessionId: id,
      logger,
      pages: this.pages,
      media: this.media,
      accountId: () => this.linking.accountId(),
    });
  }

  /** Starts the endpoint once; returns the Chromium flags that point web.whatsapp.com at it. */
  async start(): Promise<string[]> {
    return (await this.endpoint()).chromiumArgs();
  }

  /** Where this session's web.whatsapp.com listens (host:port), started if it was not. */
  async address(): Promise<string> {
    return `127.0.0.1:${(await this.endpoint()).port}`;
  }

  private async endpoint(): Promise<SandboxEndpoint> {
    if (this.closed) throw this.removed();
    this.starting ??= this.deps
      .certificate()
      .then((certificate) => SandboxEndpoint.start({ certificate, handler: this, logger: this.deps.logger }))
      .catch((error: unknown) => {
        this.starting = undefined;
        throw error;
      });
    const endpoint = await this.starting;
    if (this.closed) {
      await endpoint.close();
      throw this.removed();
    }
    return endpoint;
  }

  setQrInterval(ms: number): void {
    this.linking.setQrInterval(ms);
  }

  account(): SandboxAccount | undefined {
    return this.linking.account();
  }

  outbox(): SandboxOutboxEntry[] {
    return this.records.outbox();
  }

  get sentTotal(): number {
    return this.records.sentTotal;
  }

  sessionActions(): protocol.SessionAction[] {
    return this.records.sessionActions();
  }

  scan(account: SandboxAccount): Promise<void> {
    return this.linking.scan(account);
  }

  /** The phone whose number the code was asked for enters it: linked as after a scan. Returns that account. */
  enterPairingCode(code: string, pushName: string): Promise<SandboxAccount> {
    return this.linking.enterPairingCode(code, pushName);
  }

  logout(): Promise<void> {
    return this.linking.logout();
  }

  /** A contact's message to the linked device (see SandboxPhoneMessages.incoming). */
  incoming(from: string, body: string, extras: protocol.IncomingExtras = {}): Promise<{ id: string; queued: boolean }> {
    return this.messages.incoming(from, body, extras);
  }

  /** The phone sends media: its bytes go to the media server, the page gets the message that points at them. */
  incomingMedia(
    from: string,
    media: SandboxIncomingMedia,
    extras: Pick<protocol.IncomingExtras, 'quoted' | 'group'> = {},
  ): Promise<{ id: string; queued: boolean }> {
    return this.messages.incomingMedia(from, media, extras);
  }

  /** A contact reacts to, edits or revokes a message, or its ack moves on (see SandboxPhoneMessages.phoneAction). */
  phoneAction<E extends 'react' | 'edit' | 'revoke' | 'ack'>(event: E, payload: Omit<protocol.PageEvents[E], 'seq'>): Promise<void> {
    return this.messages.phoneAction(event, payload);
  }

  /** How many messages wait for the linked device. */
  heldMessages(): number {
    return this.messages.held;
  }

  /** The media server forgets every file: downloads of earlier media fail from now on, as for expired media. */
  expireMedia(): void {
    this.media.clear();
  }

  /** Every linked page of the session stops answering (its main thread spins); how many were told. */
  hangPages(): number {
    const linked = this.pages.openIn('linked');
    if (linked.length === 0) throw new ConflictError('SANDBOX_NOT_LINKED', `No linked page of session '${this.id}' is connected`);
    // never answered: the page is busy forever
    for (const page of linked) void this.pages.ask(page, 'hang', {}, 1_000).catch(() => undefined);
    return linked.length;
  }

  /** The groups the phone knows. */
  groups(): groupProtocol.SandboxGroup[] {
    return this.groupBook.list();
  }

  /**
   * The phone (or `author`, another admin of the group) adds or removes participants; the linked page receives
   * the group's new state and the notifications, as a member's device does.
   */
  async phoneGroupParticipants(
    groupId: string,
    action: 'add' | 'remove',
    ids: string[],
    author?: string,
  ): Promise<{ group: groupProtocol.SandboxGroup; results: groupProtocol.SandboxParticipantResult[] }> {
    const page = this.pages.linked();
    const update = this.groupBook.participants(author ?? this.linking.accountId(), groupId, action, ids);
    await this.pages.ask(page, 'group', { group: update.group, notifications: update.notifications }, PAGE_ANSWER_TIMEOUT_MS);
    return { group: update.group, results: update.results };
  }

  /**
   * Another member creates a group with the account in it (and whoever else): the account's WhatsApp Web gets the
   * group and its creation notice, as a member's device does.
   */
  async phoneCreateGroup(creator: string, subject: string, others: string[]): Promise<groupProtocol.SandboxGroup> {
    const page = this.pages.linked();
    const update = this.groupBook.create(creator, subject, [this.linking.accountId(), ...others]);
    await this.pages.ask(page, 'group', { group: update.group, notifications: update.notifications }, PAGE_ANSWER_TIMEOUT_MS);
    return update.group;
  }

  /** Replaces the phone's address book and syncs it to every linked page before answering. */
  async setAddressBook(contacts: protocol.SandboxContact[]): Promise<void> {
    this.records.addressBook = contacts;
    const linked = this.pages.openIn('linked');
    await Promise.all(linked.map((page) => this.pages.ask(page, 'contacts', { contacts: this.records.addressBook }, PAGE_ANSWER_TIMEOUT_MS)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.linking.close();
    this.pages.closeAll();
    this.messages.forget(() => this.removed());
    this.pages.failAll(() => this.removed());
    const starting = this.starting;
    this.starting = undefined;
    if (starting) await (await starting.catch(() => undefined))?.close();
  }

  // ---- SandboxPageHandler ----

  pageHtml(): string {
    return this.deps.pageHtml;
  }

  openStream(pageId: string, stream: SseStream): void {
    if (this.closed) throw this.removed();
    this.pages.open(pageId, stream);
  }

  acceptsUpload(pageId: string): boolean {
    const page = this.pages.get(pageId);
    return page !== undefined && page.stream.isOpen && page.mode === 'linked';
  }

  async handleUpload(pageId: string, mediaType: string, bytes: Buffer): Promise<unknown> {
    this.pages.requireLinked(pageId);
    if (!/^[a-z_-]{1,40}$/.test(mediaType)) throw new InvalidInputError('Upload needs a media type (?type=image)');
    const stored = this.media.put(bytes, mediaType);
    return { directPath: stored.directPath, filehash: stored.filehash };
  }

  mediaAt(path: string): Buffer | undefined {
    return this.media.get(path)?.bytes;
  }

  async handlePost(path: string, body: unknown): Promise<unknown> {
    switch (path) {
      case protocol.PAGE_PATHS.hello:
        return this.linking.hello(protocol.parse(protocol.helloSchema, body));
      case protocol.PAGE_PATHS.ack:
        return this.pages.answer(protocol.parse(protocol.ackSchema, body));
      case protocol.PAGE_PATHS.sent:
        return this.recordSent(protocol.parse(protocol.sentSchema, body));
      case protocol.PAGE_PATHS.action:
        return this.recordAction(protocol.parse(protocol.actionSchema, body));
      case protocol.PAGE_PATHS.contacts:
        this.pages.require(protocol.parse(protocol.contactsRequestSchema, body).page);
        return { contacts: this.records.addressBook };
      case protocol.PAGE_PATHS.queryExists:
        return this.records.queryExists(protocol.parse(protocol.queryExistsSchema, body).id);
      case protocol.PAGE_PATHS.pairingCode:
        return this.linking.newPairingCode(protocol.parse(protocol.pairingCodeSchema, body));
      case protocol.PAGE_PATHS.listening:
        return this.messages.startListening(protocol.parse(protocol.listeningSchema, body).page);
      case protocol.PAGE_PATHS.unlink:
        return this.linking.unlink(protocol.parse(protocol.unlinkSchema, body).page);
      case protocol.PAGE_PATHS.log: {
        const { level, message, page } = protocol.parse(protocol.logSchema, body);
        this.deps.logger.log(level, `sandbox page: ${message}`, { sessionId: this.id, pageId: page });
        return {};
      }
      default:
        if (path.startsWith('/sandbox/groups/')) return this.groupRequest(path, body);
        throw new InvalidInputError(`Unknown sandbox path ${path}`);
    }
  }

  // ---- internals ----

  /** A page's request to WhatsApp's group server (create, change, leave...), as the linked account. */
  private groupRequest(path: string, body: unknown): unknown {
    this.pages.requireLinked(protocol.parse(groupProtocol.groupsListSchema, body).page);
    return this.groupBook.handlePageRequest(this.linking.accountId(), path, body);
  }

  private recordSent(request: protocol.SentRequest): object {
    this.pages.requireLinked(request.page);
    const entry: SandboxOutboxEntry = { id: request.id, to: request.to, body: request.body, type: request.type, timestamp: request.t };
    const { quotedMessageId, mentions, location, vcards, poll } = request;
    const extras: Partial<SandboxOutboxEntry> = { quotedMessageId, mentions, location, vcards, poll };
    for (const [key, value] of Object.entries(extras)) if (value !== undefined) Object.assign(entry, { [key]: value });
    if (request.directPath !== undefined) {
      const stored = this.media.get(request.directPath);
      if (!stored) throw new InvalidInputError(`No upload at ${request.directPath}`);
      Object.assign(entry, {
        caption: request.caption,
        mimetype: request.mimetype,
        filename: request.filename,
        size: stored.bytes.length,
        sha256: stored.sha256,
      });
    }
    this.records.recordSent(entry);
    this.deps.logger.debug('sandbox session sent a message', { sessionId: this.id, to: request.to, id: request.id });
    return {};
  }

  private recordAction({ page: pageId, ...action }: protocol.ActionRequest): object {
    this.pages.requireLinked(pageId);
    this.records.recordAction(action);
    return {};
  }

  private removed(): AppError {
    return new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`);
  }
}
