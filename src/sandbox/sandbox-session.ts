import { randomBytes } from 'node:crypto';
import { AppError, ConflictError, InvalidInputError, TimeoutError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SandboxCertificate } from './sandbox-certificate.js';
import { SandboxEndpoint, type SandboxPageHandler, type SseStream } from './sandbox-endpoint.js';
import type { SandboxAccount, SandboxOutboxEntry } from './sandbox-hub.js';
import * as protocol from './sandbox-protocol.js';
import { SandboxPhoneRecords } from './sandbox-phone-records.js';
import * as groupProtocol from './sandbox-group-protocol.js';
import { SandboxGroupBook } from './sandbox-groups.js';
import { SandboxMediaStore } from './sandbox-media-store.js';
import { SandboxInbox, type InboxOutcome } from './sandbox-inbox.js';

const PAGE_ANSWER_TIMEOUT_MS = 15_000;
const LOGOUT_ANSWER_TIMEOUT_MS = 5_000;

/** 'code': unpaired and showing a pairing code instead of a QR code (no QR rotation). */
type PageMode = 'idle' | 'qr' | 'code' | 'linked';

/** WhatsApp's pairing codes: 8 characters, no 0/O/I/U look-alikes. */
const PAIRING_CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';
interface PageRecord {
  id: string;
  stream: SseStream;
  mode: PageMode;
  deviceId?: string;
  since: number;
  /** The linked page hands messages to whatsapp-web.js (it said so): what the phone held for it may come now. */
  listening?: boolean;
}
interface PendingAnswer {
  pageId: string;
  event: string;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A message from a contact, as the page receives it. */
type PhoneMessage =
  | { event: 'incoming'; payload: Omit<protocol.PageEvents['incoming'], 'seq'> }
  | { event: 'incomingMedia'; payload: Omit<protocol.PageEvents['incomingMedia'], 'seq'> };

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const newRef = () => `2@${randomBytes(36).toString('base64')}`;

/** One session's phone + server: its endpoint, the pages connected to it, the linked account, the outbox. */
export class SandboxSession implements SandboxPageHandler {
  private starting: Promise<SandboxEndpoint> | undefined;
  private readonly pages = new Map<string, PageRecord>();
  private readonly pending = new Map<number, PendingAnswer>();
  private readonly revokedDevices = new Set<string>();
  /** The outbox, what the session did to messages and chats, and the address book. */
  private readonly records = new SandboxPhoneRecords();
  /** The account's groups, as WhatsApp's servers hold them (see sandbox-groups.ts). */
  private readonly groupBook = new SandboxGroupBook();
  private readonly media = new SandboxMediaStore();
  /** Messages from contacts, held while the linked device is not connected (see sandbox-inbox.ts). */
  private readonly inbox = new SandboxInbox<PhoneMessage>({
    listening: () => this.listeningPage() !== undefined,
    deliver: (message) => this.deliver(message),
    isRefusal: (error) => error instanceof AppError && error.code === 'SANDBOX_PAGE_FAILED',
    onRefused: (message, error) =>
      this.deps.logger.warn('the sandbox page refused a message from the phone; it is dropped', {
        sessionId: this.id,
        messageId: message.payload.id,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  private linked: { account: SandboxAccount; deviceId: string } | undefined;
  /** The code the page shows; the phone with that number links by entering it. */
  private pairingCode: { code: string; phone: string; pageId: string } | undefined;
  private refuseStoredPairing = false;
  private ref = newRef();
  private qrTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private closed = false;

  constructor(
    readonly id: string,
    private qrIntervalMs: number,
    private readonly deps: { certificate: () => Promise<SandboxCertificate>; logger: Logger; pageHtml: string },
  ) {}

  /** Starts the endpoint once; returns the Chromium flags that point web.whatsapp.com at it. */
  async start(): Promise<string[]> {
    if (this.closed) throw new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`);
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
      throw new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`);
    }
    return endpoint.chromiumArgs();
  }

  setQrInterval(ms: number): void {
    if (ms === this.qrIntervalMs) return;
    this.qrIntervalMs = ms;
    if (this.qrTimer) {
      clearInterval(this.qrTimer);
      this.qrTimer = undefined;
      this.updateQrTimer();
    }
  }

  account(): SandboxAccount | undefined {
    return this.linked ? { ...this.linked.account } : undefined;
  }

  outbox(): SandboxOutboxEntry[] {
    return this.records.outbox();
  }

  async scan(account: SandboxAccount): Promise<void> {
    const page = this.latestPage('qr');
    if (!page) throw new ConflictError('SANDBOX_NO_QR', `Session '${this.id}' is not showing a QR code right now`);
    await this.link(page, account);
  }

  /** The phone whose number the code was asked for enters it: linked as after a scan. Returns that account. */
  async enterPairingCode(code: string, pushName: string): Promise<SandboxAccount> {
    const wanted = this.pairingCode;
    const given = code.replace(/-/g, '').toUpperCase();
    if (!wanted || wanted.code !== given) {
      throw new ConflictError('SANDBOX_WRONG_CODE', `That is not the pairing code session '${this.id}' shows`);
    }
    const page = this.pages.get(wanted.pageId);
    if (!page || page.mode !== 'code' || !page.stream.isOpen) {
      throw new ConflictError('SANDBOX_NO_CODE', `Session '${this.id}' is not showing a pairing code any more`);
    }
    const account = { phone: wanted.phone, pushName };
    await this.link(page, account);
    return account;
  }

  private async link(page: PageRecord, account: SandboxAccount): Promise<void> {
    this.pairingCode = undefined;
    const pairing = { deviceId: hex(16), ...account };
    page.mode = 'linked';
    page.deviceId = pairing.deviceId;
    page.listening = false;
    this.linked = { account: { ...account }, deviceId: pairing.deviceId };
    this.refuseStoredPairing = false;
    this.updateQrTimer();
    try {
      await this.ask(page, 'paired', { pairing }, PAGE_ANSWER_TIMEOUT_MS);
    } catch (error) {
      this.revokedDevices.add(pairing.deviceId);
      if (this.linked?.deviceId === pairing.deviceId) this.linked = undefined;
      if (page.mode === 'linked' && page.deviceId === pairing.deviceId) page.mode = 'qr';
      this.updateQrTimer();
      throw error;
    }
    this.deps.logger.info('sandbox phone linked the device', { sessionId: this.id, phone: account.phone });
  }

  /**
   * A message from `from` (a "<digits>@c.us" id) to the linked device: delivered when its page is connected, else
   * held until it is. Returns its serialized message id and whether it still waits for the device.
   */
  async incoming(from: string, body: string, extras: protocol.IncomingExtras = {}): Promise<{ id: string; queued: boolean }> {
    this.accountId();
    const id = hex(16).toUpperCase();
    const outcome = await this.post({ event: 'incoming', payload: { id, from, body, t: nowSeconds(), ...extras } });
    return { id: incomingMessageId(from, id, extras.group), queued: outcome === 'queued' };
  }

  /**
   * Hands a contact's message to the inbox. With a linked page connected, waits until that page took it (it may be
   * about to listen: whatsapp-web.js is still starting); with none, answers 'queued' at once.
   */
  private post(message: PhoneMessage): Promise<InboxOutcome> {
    return this.inbox.post(message, this.latestPage('linked') ? PAGE_ANSWER_TIMEOUT_MS : 0);
  }

  private deliver(message: PhoneMessage): Promise<void> {
    const page = this.listeningPage();
    if (!page) return Promise.reject(pageGone());
    return message.event === 'incoming'
      ? this.ask(page, 'incoming', message.payload, PAGE_ANSWER_TIMEOUT_MS)
      : this.ask(page, 'incomingMedia', message.payload, PAGE_ANSWER_TIMEOUT_MS);
  }

  /** How many messages wait for the linked device. */
  heldMessages(): number {
    return this.inbox.size;
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
    const page = this.linkedPage();
    const update = this.groupBook.participants(author ?? this.accountId(), groupId, action, ids);
    await this.ask(page, 'group', { group: update.group, notifications: update.notifications }, PAGE_ANSWER_TIMEOUT_MS);
    return { group: update.group, results: update.results };
  }

  /**
   * Another member creates a group with the account in it (and whoever else): the account's WhatsApp Web gets the
   * group and its creation notice, as a member's device does.
   */
  async phoneCreateGroup(creator: string, subject: string, others: string[]): Promise<groupProtocol.SandboxGroup> {
    const page = this.linkedPage();
    const update = this.groupBook.create(creator, subject, [this.accountId(), ...others]);
    await this.ask(page, 'group', { group: update.group, notifications: update.notifications }, PAGE_ANSWER_TIMEOUT_MS);
    return update.group;
  }

  /** The phone sends media: its bytes go to the media server, the page gets the message that points at them. */
  async incomingMedia(
    from: string,
    media: SandboxIncomingMedia,
    extras: Pick<protocol.IncomingExtras, 'quoted' | 'group'> = {},
  ): Promise<{ id: string; queued: boolean }> {
    this.accountId();
    const type = mediaTypeOf(media.mimetype, media.voice === true);
    const stored = this.media.put(media.data, type);
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

  /** The media server forgets every file: downloads of earlier media fail from now on, as for expired media. */
  expireMedia(): void {
    this.media.clear();
  }

  async logout(): Promise<void> {
    if (this.linked) this.revokedDevices.add(this.linked.deviceId);
    this.forgetDevice();
    const told = [...this.pages.values()].filter((page) => page.mode === 'linked' && page.stream.isOpen);
    if (told.length === 0) this.refuseStoredPairing = true;
    await Promise.all(
      told.map(async (page) => {
        if (page.deviceId) this.revokedDevices.add(page.deviceId);
        page.mode = 'qr';
        await this.ask(page, 'logout', {}, LOGOUT_ANSWER_TIMEOUT_MS).catch((error: unknown) =>
          this.deps.logger.debug('sandbox page did not confirm the logout', { sessionId: this.id, error: String(error) }),
        );
      }),
    );
    this.updateQrTimer();
    this.deps.logger.info('sandbox phone unlinked the device', { sessionId: this.id, livePages: told.length });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.qrTimer) clearInterval(this.qrTimer);
    this.qrTimer = undefined;
    for (const page of [...this.pages.values()]) page.stream.close();
    this.pages.clear();
    this.inbox.clear(() => new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`));
    this.failPending(() => true, () => new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`));
    const starting = this.starting;
    this.starting = undefined;
    if (starting) await (await starting.catch(() => undefined))?.close();
  }

  // ---- SandboxPageHandler ----

  pageHtml(): string {
    return this.deps.pageHtml;
  }

  openStream(pageId: string, stream: SseStream): void {
    if (this.closed) throw new ConflictError('SANDBOX_CLOSED', `Sandbox session '${this.id}' was removed`);
    const previous = this.pages.get(pageId);
    const record: PageRecord = { id: pageId, stream, mode: 'idle', since: Date.now(), deviceId: previous?.deviceId };
    this.pages.set(pageId, record);
    previous?.stream.close();
    stream.onClose(() => this.dropPage(record));
    this.deps.logger.debug('sandbox page connected', { sessionId: this.id, pageId });
  }

  acceptsUpload(pageId: string): boolean {
    const page = this.pages.get(pageId);
    return page !== undefined && page.stream.isOpen && page.mode === 'linked';
  }

  async handleUpload(pageId: string, mediaType: string, bytes: Buffer): Promise<unknown> {
    this.requireLinkedPage(pageId);
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
        return this.hello(protocol.parse(protocol.helloSchema, body));
      case protocol.PAGE_PATHS.ack:
        return this.answer(protocol.parse(protocol.ackSchema, body));
      case protocol.PAGE_PATHS.sent:
        return this.recordSent(protocol.parse(protocol.sentSchema, body));
      case protocol.PAGE_PATHS.action:
        return this.recordAction(protocol.parse(protocol.actionSchema, body));
      case protocol.PAGE_PATHS.contacts:
        this.requirePage(protocol.parse(protocol.contactsRequestSchema, body).page);
        return { contacts: this.records.addressBook };
      case protocol.PAGE_PATHS.queryExists:
        return this.records.queryExists(protocol.parse(protocol.queryExistsSchema, body).id);
      case protocol.PAGE_PATHS.pairingCode:
        return this.newPairingCode(protocol.parse(protocol.pairingCodeSchema, body));
      case protocol.PAGE_PATHS.listening:
        return this.startListening(protocol.parse(protocol.listeningSchema, body).page);
      case protocol.PAGE_PATHS.unlink:
        return this.unlink(protocol.parse(protocol.unlinkSchema, body).page);
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

  private hello({ page: pageId, pairing }: protocol.HelloRequest): protocol.HelloReply {
    const page = this.requirePage(pageId);
    if (pairing && !this.revokedDevices.has(pairing.deviceId) && !this.refuseStoredPairing) {
      page.mode = 'linked';
      page.deviceId = pairing.deviceId;
      this.linked = { account: { phone: pairing.phone, pushName: pairing.pushName }, deviceId: pairing.deviceId };
      this.updateQrTimer();
      this.deps.logger.debug('sandbox page restored its pairing', { sessionId: this.id, phone: pairing.phone });
      return { linked: true, pairing };
    }
    if (pairing) {
      this.revokedDevices.add(pairing.deviceId);
      this.refuseStoredPairing = false;
      this.deps.logger.info('sandbox refused a logged-out pairing', { sessionId: this.id, phone: pairing.phone });
    }
    const otherLinked = [...this.pages.values()].some((p) => p !== page && p.mode === 'linked' && p.stream.isOpen);
    if (!otherLinked) this.forgetDevice();
    page.mode = 'qr';
    page.deviceId = undefined;
    this.updateQrTimer();
    return { linked: false, ref: this.ref };
  }

  /** What whatsapp-web.js asks of WhatsApp's servers about groups, on behalf of the linked account. */
  /** A page's request to WhatsApp's group server (create, change, leave...), as the linked account. */
  private groupRequest(path: string, body: unknown): unknown {
    this.requireLinkedPage(protocol.parse(groupProtocol.groupsListSchema, body).page);
    return this.groupBook.handlePageRequest(this.accountId(), path, body);
  }

  private answer({ page, seq, ok, error }: protocol.AckRequest): object {
    const pending = this.pending.get(seq);
    if (!pending || pending.pageId !== page) return {};
    this.pending.delete(seq);
    clearTimeout(pending.timer);
    if (ok) pending.resolve();
    else pending.reject(new ConflictError('SANDBOX_PAGE_FAILED', `The sandbox page failed '${pending.event}': ${error ?? '?'}`));
    return {};
  }

  private recordSent(request: protocol.SentRequest): object {
    this.requireLinkedPage(request.page);
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

  sessionActions(): protocol.SessionAction[] {
    return this.records.sessionActions();
  }

  /**
   * The phone acts on a message: a contact reacts to it (any message of their chat), edits or revokes one of
   * their own, or the message's ack moves on (delivered, read). Answers once the linked page applied it.
   */
  async phoneAction<E extends 'react' | 'edit' | 'revoke' | 'ack'>(event: E, payload: Omit<protocol.PageEvents[E], 'seq'>): Promise<void> {
    await this.ask(this.linkedPage(), event, payload, PAGE_ANSWER_TIMEOUT_MS);
  }

  private recordAction({ page: pageId, ...action }: protocol.ActionRequest): object {
    this.requireLinkedPage(pageId);
    this.records.recordAction(action);
    return {};
  }

  /** Replaces the phone's address book and syncs it to every linked page before answering. */
  async setAddressBook(contacts: protocol.SandboxContact[]): Promise<void> {
    this.records.addressBook = contacts;
    const linked = [...this.pages.values()].filter((page) => page.mode === 'linked' && page.stream.isOpen);
    await Promise.all(linked.map((page) => this.ask(page, 'contacts', { contacts: this.records.addressBook }, PAGE_ANSWER_TIMEOUT_MS)));
  }

  private newPairingCode({ page: pageId, phone }: { page: string; phone: string }): { code: string } {
    const page = this.requirePage(pageId);
    if (page.mode !== 'qr' && page.mode !== 'code') throw new ConflictError('SANDBOX_NOT_UNPAIRED', 'This page is not waiting to be linked');
    const code = [...randomBytes(8)].map((byte) => PAIRING_CODE_ALPHABET[byte % PAIRING_CODE_ALPHABET.length]).join('');
    this.pairingCode = { code, phone, pageId };
    page.mode = 'code';
    this.updateQrTimer();
    this.deps.logger.info('sandbox page shows a pairing code', { sessionId: this.id, phone });
    return { code };
  }

  private unlink(pageId: string): object {
    const page = this.requirePage(pageId);
    if (page.deviceId) this.revokedDevices.add(page.deviceId);
    if (this.linked && (!page.deviceId || this.linked.deviceId === page.deviceId)) this.forgetDevice();
    page.mode = 'idle';
    page.deviceId = undefined;
    this.updateQrTimer();
    this.deps.logger.info('sandbox device logged itself out', { sessionId: this.id });
    return {};
  }

  /** A linked page now hands messages on to whatsapp-web.js: what the phone held for the device goes to it. */
  private startListening(pageId: string): object {
    const page = this.requireLinkedPage(pageId);
    page.listening = true;
    if (this.inbox.size > 0) this.deps.logger.info('sandbox phone delivers held messages', { sessionId: this.id, count: this.inbox.size });
    void this.inbox.drain();
    return {};
  }

  private listeningPage(): PageRecord | undefined {
    const page = this.latestPage('linked');
    return page?.listening ? page : undefined;
  }

  /** No device is linked any more: nothing held for the old one will ever reach it. */
  private forgetDevice(): void {
    this.linked = undefined;
    this.inbox.clear(() => new ConflictError('SANDBOX_NOT_LINKED', `The device of session '${this.id}' was unlinked before the message reached it`));
  }

  /** The page a phone-side act goes to: the newest linked one, or 409. */
  private linkedPage(): PageRecord {
    const page = this.latestPage('linked');
    if (!page) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${this.id}' has no linked page connected`);
    return page;
  }

  /** The linked account as a contact id. */
  private accountId(): string {
    if (!this.linked) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${this.id}' has no linked account`);
    return `${this.linked.account.phone}@c.us`;
  }

  /** A page's request that only a linked page may make (report a send or an act, upload media). */
  private requireLinkedPage(pageId: string): PageRecord {
    const page = this.requirePage(pageId);
    if (page.mode !== 'linked') throw new ConflictError('SANDBOX_NOT_LINKED', 'This page is not linked');
    return page;
  }

  private requirePage(pageId: string): PageRecord {
    const page = this.pages.get(pageId);
    if (!page || !page.stream.isOpen) throw new ConflictError('SANDBOX_UNKNOWN_PAGE', 'Open the event stream first');
    return page;
  }

  private latestPage(mode: PageMode): PageRecord | undefined {
    let latest: PageRecord | undefined;
    for (const page of this.pages.values()) {
      if (page.mode === mode && page.stream.isOpen && (!latest || page.since >= latest.since)) latest = page;
    }
    return latest;
  }

  private ask<E extends Exclude<protocol.PageEventName, 'ref'>>(
    page: PageRecord,
    event: E,
    payload: Omit<protocol.PageEvents[E], 'seq'>,
    timeoutMs: number,
  ): Promise<void> {
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new TimeoutError(`The sandbox page of session '${this.id}' did not answer '${event}'`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(seq, { pageId: page.id, event, resolve, reject, timer });
      if (!page.stream.send(event, { ...payload, seq })) this.failPending((p) => p === this.pending.get(seq), pageGone);
    });
  }

  private failPending(match: (pending: PendingAnswer) => boolean, error: () => Error): void {
    for (const [seq, pending] of [...this.pending]) {
      if (!match(pending)) continue;
      this.pending.delete(seq);
      clearTimeout(pending.timer);
      pending.reject(error());
    }
  }

  private dropPage(record: PageRecord): void {
    if (this.pages.get(record.id) === record) this.pages.delete(record.id);
    this.failPending((pending) => pending.pageId === record.id && !this.pages.has(record.id), pageGone);
    if (!this.latestPage('linked')) this.inbox.stopWaiting();
    this.updateQrTimer();
    this.deps.logger.debug('sandbox page disconnected', { sessionId: this.id, pageId: record.id });
  }

  private updateQrTimer(): void {
    const wanted = !this.closed && [...this.pages.values()].some((page) => page.mode === 'qr' && page.stream.isOpen);
    if (wanted && !this.qrTimer) {
      this.qrTimer = setInterval(() => this.rotateRef(), this.qrIntervalMs);
      this.qrTimer.unref();
    } else if (!wanted && this.qrTimer) {
      clearInterval(this.qrTimer);
      this.qrTimer = undefined;
    }
  }

  private rotateRef(): void {
    this.ref = newRef();
    for (const page of this.pages.values()) if (page.mode === 'qr') page.stream.send('ref', { ref: this.ref });
  }
}

export interface SandboxIncomingMedia {
  data: Buffer;
  mimetype: string;
  filename?: string;
  caption?: string;
  /** Audio as a voice note (WhatsApp's ptt). */
  voice?: boolean;
}

/** The WhatsApp message type the phone gives media of this type. */
function mediaTypeOf(mimetype: string, voice: boolean): string {
  const family = mimetype.split('/')[0]!.toLowerCase();
  if (family === 'audio') return voice ? 'ptt' : 'audio';
  if (family === 'image' || family === 'video') return family;
  return 'document';
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A contact's message id as whatsapp-web.js serializes its key: in a group, the chat is the group and the participant comes last. */
function incomingMessageId(from: string, id: string, group: string | undefined): string {
  return group ? `false_${group}_${id}_${from}` : `false_${from}_${id}`;
}

function pageGone(): Error {
  return new ConflictError('SANDBOX_PAGE_GONE', 'The sandbox page went away before answering');
}
