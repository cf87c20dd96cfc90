import { createHash } from 'node:crypto';
import { ConflictError, InvalidInputError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createSandboxCertificate, type SandboxCertificate } from './sandbox-certificate.js';
import { SandboxSession } from './sandbox-session.js';
import type { SandboxIncomingMedia } from './sandbox-phone-messages.js';
import type { SandboxGroup, SandboxParticipantResult } from './sandbox-group-protocol.js';
import { renderSandboxPage } from './page/page-html.js';
import type { IncomingExtras, SandboxContact, SessionAction } from './sandbox-protocol.js';

export type PhoneMessageAction =
  | { kind: 'react'; emoji: string; from?: string }
  | { kind: 'edit'; body: string }
  | { kind: 'revoke' }
  | { kind: 'ack'; ack: 'delivered' | 'read' | 'played' };

/** WhatsApp Web's ack levels: 1 sent (server), 2 delivered, 3 read, 4 played. */
const ACK_LEVELS = { delivered: 2, read: 3, played: 4 } as const;
/** `<fromMe>_<chat>_<id>[_<participant>]`, as whatsapp-web.js serializes a message key. */
const MESSAGE_ID_RE = /^(true|false)_(\d{5,40}(?:-\d{5,20})?@(?:c\.us|g\.us|lid))_([0-9A-Za-z]{6,64})(?:_\d{5,20}@(?:c\.us|lid))?$/;

export interface SandboxAccount {
  /** Digits only, e.g. "15550123456". */
  phone: string;
  pushName: string;
}

export interface SandboxOutboxEntry {
  /** Serialized message id, as whatsapp-web.js reports it (`true_<to>_<id>`). */
  id: string;
  /** "<digits>@c.us" */
  to: string;
  body: string;
  /** WhatsApp's message type: chat, image, video, audio, ptt (a voice note), document... */
  type: string;
  /** Unix seconds. */
  timestamp: number;
  /** The session's own reaction to it ('' once removed). */
  reaction?: string;
  /** Set when the session edited it (body is the newest text). */
  edited?: boolean;
  /** Set when the session deleted it for everyone. */
  revoked?: boolean;
  /** The message it replies to, and the contacts it mentions. */
  quotedMessageId?: string;
  mentions?: string[];
  location?: { latitude: number; longitude: number; description?: string };
  vcards?: string[];
  poll?: { name: string; options: string[]; multipleAnswers: boolean };
  /** Media messages: what the session said about the media, and the size and SHA-256 (hex) of the bytes it uploaded. */
  caption?: string;
  mimetype?: string;
  filename?: string;
  size?: number;
  sha256?: string;
}

const PHONE_RE = /^\d{6,15}$/;
/** A contact by phone number (`<digits>` or `<digits>@c.us`) or by linked id (`<digits>@lid`), as WhatsApp now reports many. */
const CONTACT_RE = /^(\d{6,15})(?:@(c\.us|lid))?$/;
const MAX_BODY_CHARS = 65_536;
const MIN_QR_INTERVAL_MS = 100;

/**
 * The built-in fake web.whatsapp.com. Each session gets its own HTTPS endpoint on 127.0.0.1 (so the page
 * knows its session without anything in the URL and keeps the https://web.whatsapp.com origin, hence
 * its storage in the LocalAuth profile). The hub plays the phone: it shows QR codes, scans them,
 * delivers incoming messages, records what the session sends, and unlinks the device.
 */
export class SandboxHub {
  private readonly sessions = new Map<string, SandboxSession>();
  private closed = false;

  private constructor(
    private readonly logger: Logger,
    /** Made when the first sandbox session starts: a server without one never pays for it. */
    private readonly certificate: () => Promise<SandboxCertificate>,
    private readonly pageHtml: string,
  ) {}

  static async create(options: { logger: Logger }): Promise<SandboxHub> {
    let certificate: Promise<SandboxCertificate> | undefined;
    const certificateOnce = () =>
      (certificate ??= createSandboxCertificate().catch((error: unknown) => {
        certificate = undefined;
        throw error;
      }));
    return new SandboxHub(options.logger.child({ component: 'sandbox' }), certificateOnce, renderSandboxPage());
  }

  /**
   * Idempotent. Starts (or reuses) this session's HTTPS endpoint on 127.0.0.1:<free port> and returns the
   * Chromium flags that point web.whatsapp.com at it. qrIntervalMs = how often the displayed QR rotates;
   * calling again with another interval updates it.
   */
  async endpointFor(sessionId: string, options: { qrIntervalMs: number }): Promise<{ chromiumArgs: string[] }> {
    checkSessionId(sessionId);
    const { qrIntervalMs } = options;
    if (!Number.isInteger(qrIntervalMs) || qrIntervalMs < MIN_QR_INTERVAL_MS) {
      throw new InvalidInputError(`qrIntervalMs must be an integer >= ${MIN_QR_INTERVAL_MS}`, { qrIntervalMs });
    }
    if (this.closed) throw new ConflictError('SANDBOX_CLOSED', 'The sandbox is shut down');
    const session = this.session(sessionId, qrIntervalMs);
    session.setQrInterval(qrIntervalMs);
    return { chromiumArgs: await session.start() };
  }

  /**
   * Where the session's web.whatsapp.com listens (127.0.0.1:<port>), started if it was not: a proxy a test puts in
   * front of the session sends web.whatsapp.com there. The port stays the same while the server runs.
   */
  async endpointAddress(sessionId: string): Promise<string> {
    checkSessionId(sessionId);
    if (this.closed) throw new ConflictError('SANDBOX_CLOSED', 'The sandbox is shut down');
    return this.session(sessionId).address();
  }

  /**
   * The phone scans the QR currently displayed. Defaults: a number derived from the session id, pushName
   * `Sandbox <sessionId>`. Throws ConflictError 'SANDBOX_NO_QR' when no page of the session shows a QR.
   */
  async scan(sessionId: string, input: { phone?: string; pushName?: string }): Promise<SandboxAccount> {
    checkSessionId(sessionId);
    const phone = input.phone ?? defaultPhone(sessionId);
    if (!PHONE_RE.test(phone)) throw new InvalidInputError('phone must be 6 to 15 digits', { phone });
    const pushName = (input.pushName ?? `Sandbox ${sessionId}`).trim();
    if (pushName.length === 0 || pushName.length > 100) {
      throw new InvalidInputError('pushName must be 1 to 100 characters');
    }
    const session = this.sessions.get(sessionId);
    if (!session) throw new ConflictError('SANDBOX_NO_QR', `Session '${sessionId}' is not showing a QR code right now`);
    const account = { phone, pushName };
    await session.scan(account);
    return account;
  }

  /**
   * The phone enters the pairing code the session shows (asked for with the session's phone number): the device
   * is linked to that number as after a scan. ConflictError when no such code is shown.
   */
  async pair(sessionId: string, input: { code: string; pushName?: string }): Promise<SandboxAccount> {
    checkSessionId(sessionId);
    if (typeof input.code !== 'string' || !/^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/.test(input.code)) {
      throw new InvalidInputError('code must be the 8 characters the session shows (a dash in the middle is allowed)');
    }
    const pushName = (input.pushName ?? `Sandbox ${sessionId}`).trim();
    if (pushName.length === 0 || pushName.length > 100) throw new InvalidInputError('pushName must be 1 to 100 characters');
    const session = this.sessions.get(sessionId);
    if (!session) throw new ConflictError('SANDBOX_NO_CODE', `Session '${sessionId}' is not showing a pairing code`);
    return session.enterPairingCode(input.code, pushName);
  }

  /** Replaces the phone's address book (synced to the linked page; number lookups answer from it). */
  async setContacts(sessionId: string, contacts: SandboxContact[]): Promise<SandboxContact[]> {
    checkSessionId(sessionId);
    const session = this.sessions.get(sessionId);
    if (!session) throw new ConflictError('SANDBOX_NOT_STARTED', `Session '${sessionId}' has not been started yet: start it first`);
    await session.setAddressBook(contacts);
    return contacts;
  }

  /**
   * A contact acts on a message (serialized id, as wamux reported it): reacts ('' removes; `from` defaults to
   * the contact of a one-to-one chat), edits or revokes one of their own messages, or the message's ack moves on.
   */
  async messageAction(sessionId: string, messageId: string, action: PhoneMessageAction): Promise<void> {
    checkSessionId(sessionId);
    const key = MESSAGE_ID_RE.exec(messageId);
    if (!key) throw new InvalidInputError('messageId must be a serialized message id like false_15557770000@c.us_3EB0ABC');
    const [, fromMe, remote] = key as unknown as [string, 'true' | 'false', string];
    const session = this.phoneOf(sessionId);
    if ((action.kind === 'edit' || action.kind === 'revoke') && fromMe === 'true') {
      throw new ConflictError('SANDBOX_NOT_THEIRS', 'A contact can only edit or revoke a message they sent');
    }
    switch (action.kind) {
      case 'react': {
        const from = action.from ?? (remote.endsWith('@g.us') ? undefined : remote);
        if (!from) throw new InvalidInputError('from is needed to react in a group');
        return session.phoneAction('react', { messageId, emoji: action.emoji, from, t: Math.floor(Date.now() / 1000) });
      }
      case 'edit':
        return session.phoneAction('edit', { messageId, body: action.body });
      case 'revoke':
        return session.phoneAction('revoke', { messageId });
      case 'ack':
        return session.phoneAction('ack', { messageId, ack: ACK_LEVELS[action.ack] });
    }
  }

  /** What the session did to messages and chats (reactions, edits, revokes, deletes, read receipts, typing). */
  actions(sessionId: string): SessionAction[] {
    return this.sessions.get(sessionId)?.sessionActions() ?? [];
  }

  /**
   * A contact writes to the session. Returns the serialized id of the message and whether it waits on the phone:
   * while the linked device is not connected (its browser closed), the phone holds its messages and delivers them,
   * in order, when it connects again, as WhatsApp does.
   */
  async incoming(
    sessionId: string,
    input: { from: string; body?: string; media?: SandboxIncomingMedia; quotedMessageId?: string } & Omit<IncomingExtras, 'quoted'>,
  ): Promise<{ id: string; queued: boolean }> {
    checkSessionId(sessionId);
    const match = typeof input.from === 'string' ? CONTACT_RE.exec(input.from) : null;
    if (!match) throw new InvalidInputError('from must be digits, "<digits>@c.us" or "<digits>@lid"', { from: input.from });
    const session = this.phoneOf(sessionId);
    const from = `${match[1]}@${match[2] ?? 'c.us'}`;
    const { quotedMessageId, group, location, vcard } = input;
    const extras: IncomingExtras = {};
    if (quotedMessageId !== undefined) extras.quoted = quotedMessageId;
    if (group !== undefined) extras.group = group;
    if (input.media) return session.incomingMedia(from, input.media, extras);
    const body = input.body ?? '';
    if (location === undefined && vcard === undefined && (body.length === 0 || body.length > MAX_BODY_CHARS)) {
      throw new InvalidInputError(`body must be a string of 1 to ${MAX_BODY_CHARS} characters`);
    }
    if (location !== undefined) extras.location = location;
    if (vcard !== undefined) extras.vcard = vcard;
    return session.incoming(from, body, extras);
  }

  /** Another member (`creator`) creates a group with the account in it: the session gets it as a member does. */
  async createGroupOnPhone(sessionId: string, input: { subject: string; creator: string; participants: string[] }): Promise<SandboxGroup> {
    checkSessionId(sessionId);
    const session = this.phoneOf(sessionId);
    return session.phoneCreateGroup(input.creator, input.subject, input.participants);
  }

  /** The groups the sandbox phone knows (those the session created or was added to, and their changes). */
  groups(sessionId: string): SandboxGroup[] {
    return this.sessions.get(sessionId)?.groups() ?? [];
  }

  /**
   * The phone adds or removes participants of a group (as the account itself, or as `author`, another admin);
   * the session's page receives the group notification. Ids are "<digits>@c.us".
   */
  async groupParticipants(
    sessionId: string,
    groupId: string,
    input: { action: 'add' | 'remove'; ids: string[]; author?: string },
  ): Promise<{ group: SandboxGroup; results: SandboxParticipantResult[] }> {
    checkSessionId(sessionId);
    const session = this.phoneOf(sessionId);
    return session.phoneGroupParticipants(groupId, input.action, input.ids, input.author);
  }

  /** The media server forgets every file it holds for the session (as WhatsApp does when media expires). */
  expireMedia(sessionId: string): void {
    this.sessions.get(sessionId)?.expireMedia();
  }

  /** Fault injection: the session's linked pages stop answering (their main thread spins); how many were told. */
  hangPages(sessionId: string): number {
    checkSessionId(sessionId);
    return this.session(sessionId).hangPages();
  }

  /** How many messages from contacts wait for the session's linked device to connect. */
  heldMessages(sessionId: string): number {
    return this.sessions.get(sessionId)?.heldMessages() ?? 0;
  }

  /** The newest messages the session sent, oldest first. */
  outbox(sessionId: string): SandboxOutboxEntry[] {
    return this.sessions.get(sessionId)?.outbox() ?? [];
  }

  /** How many messages the session sent in all (the outbox keeps only the newest). */
  sentTotal(sessionId: string): number {
    return this.sessions.get(sessionId)?.sentTotal ?? 0;
  }

  /**
   * The user unlinks the device on the phone: a live linked page goes UNPAIRED (whatsapp-web.js emits
   * `disconnected`) and clears its stored pairing; without a live page, the next page load is told it is unlinked.
   */
  async logout(sessionId: string): Promise<void> {
    checkSessionId(sessionId);
    if (this.closed) return;
    await this.session(sessionId).logout();
  }

  /** Account currently linked for this session, if any. */
  account(sessionId: string): SandboxAccount | undefined {
    return this.sessions.get(sessionId)?.account();
  }

  /** Stops this session's endpoint and forgets its state (session deleted). */
  async remove(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    await session.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((session) => session.close()));
  }

  /** The session's phone, for acts that need its linked page (the session checks the page itself). */
  private phoneOf(sessionId: string): SandboxSession {
    const session = this.sessions.get(sessionId);
    if (!session) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${sessionId}' has no linked page connected`);
    return session;
  }

  private session(sessionId: string, qrIntervalMs = 20_000): SandboxSession {
    let session = this.sessions.get(sessionId);
    if (!session) {
      session = new SandboxSession(sessionId, qrIntervalMs, {
        certificate: this.certificate,
        logger: this.logger,
        pageHtml: this.pageHtml,
      });
      this.sessions.set(sessionId, session);
    }
    return session;
  }
}

/** A stable, plausible number per session: 1555 + 7 digits from a hash of the id. */
export function defaultPhone(sessionId: string): string {
  const digest = createHash('sha256').update(sessionId).digest();
  return `1555${(digest.readUInt32BE(0) % 10_000_000).toString().padStart(7, '0')}`;
}

function checkSessionId(sessionId: string): void {
  if (typeof sessionId !== 'string' || sessionId.length === 0 || sessionId.length > 200) {
    throw new InvalidInputError('sessionId must be a non-empty string');
  }
}
