import { createHash } from 'node:crypto';
import { ConflictError, InvalidInputError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createSandboxCertificate, type SandboxCertificate } from './sandbox-certificate.js';
import { SandboxSession, type SandboxIncomingMedia } from './sandbox-session.js';
import { renderSandboxPage } from './page/page-html.js';

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
    private readonly certificate: SandboxCertificate,
    private readonly pageHtml: string,
  ) {}

  static async create(options: { logger: Logger }): Promise<SandboxHub> {
    const certificate = await createSandboxCertificate();
    return new SandboxHub(options.logger.child({ component: 'sandbox' }), certificate, renderSandboxPage());
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

  /** A contact writes to the session. Returns the serialized id of the delivered message. */
  async incoming(sessionId: string, input: { from: string; body?: string; media?: SandboxIncomingMedia }): Promise<{ id: string }> {
    checkSessionId(sessionId);
    const match = typeof input.from === 'string' ? CONTACT_RE.exec(input.from) : null;
    if (!match) throw new InvalidInputError('from must be digits, "<digits>@c.us" or "<digits>@lid"', { from: input.from });
    if (input.media) {
      const session = this.sessions.get(sessionId);
      if (!session) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${sessionId}' has no linked page connected`);
      return { id: await session.incomingMedia(`${match[1]}@${match[2] ?? 'c.us'}`, input.media) };
    }
    if (typeof input.body !== 'string' || input.body.length === 0 || input.body.length > MAX_BODY_CHARS) {
      throw new InvalidInputError(`body must be a string of 1 to ${MAX_BODY_CHARS} characters`);
    }
    const session = this.sessions.get(sessionId);
    if (!session) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${sessionId}' has no linked page connected`);
    return { id: await session.incoming(`${match[1]}@${match[2] ?? 'c.us'}`, input.body) };
  }

  /** The media server forgets every file it holds for the session (as WhatsApp does when media expires). */
  expireMedia(sessionId: string): void {
    this.sessions.get(sessionId)?.expireMedia();
  }

  /** Everything the session sent, oldest first. */
  outbox(sessionId: string): SandboxOutboxEntry[] {
    return this.sessions.get(sessionId)?.outbox() ?? [];
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
