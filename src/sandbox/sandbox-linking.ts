import { randomBytes } from 'node:crypto';
import { ConflictError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SandboxAccount } from './sandbox-hub.js';
import { PAGE_ANSWER_TIMEOUT_MS, type PageRecord, type SandboxPages } from './sandbox-pages.js';
import type * as protocol from './sandbox-protocol.js';

const LOGOUT_ANSWER_TIMEOUT_MS = 5_000;

/** WhatsApp's pairing codes: 8 characters, no 0/O/I/U look-alikes. */
const PAIRING_CODE_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTVWXYZ';

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const newRef = () => `2@${randomBytes(36).toString('base64')}`;

export interface SandboxLinkingDeps {
  sessionId: string;
  logger: Logger;
  pages: SandboxPages;
  qrIntervalMs: number;
  /** No device is linked any more (logout, unlink, a new QR): what the phone held for the old one is dropped. */
  onUnlinked: () => void;
}

/**
 * The phone's side of linking a device: the QR code the unpaired pages show (its ref rotates), scanning it, the
 * pairing code alternative, the pairing a page restores on reload, and unlinking (from the phone or the device).
 */
export class SandboxLinking {
  private readonly revokedDevices = new Set<string>();
  private linked: { account: SandboxAccount; deviceId: string } | undefined;
  /** The code the page shows; the phone with that number links by entering it. */
  private pairingCode: { code: string; phone: string; pageId: string } | undefined;
  private refuseStoredPairing = false;
  private ref = newRef();
  private qrTimer: NodeJS.Timeout | undefined;
  private qrIntervalMs: number;
  private closed = false;

  constructor(private readonly deps: SandboxLinkingDeps) {
    this.qrIntervalMs = deps.qrIntervalMs;
  }

  private get id(): string {
    return this.deps.sessionId;
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

  /** The linked account as a contact id. */
  accountId(): string {
    if (!this.linked) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${this.id}' has no linked account`);
    return `${this.linked.account.phone}@c.us`;
  }

  async scan(account: SandboxAccount): Promise<void> {
    const page = this.deps.pages.latest('qr');
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
    const page = this.deps.pages.get(wanted.pageId);
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
      await this.deps.pages.ask(page, 'paired', { pairing }, PAGE_ANSWER_TIMEOUT_MS);
    } catch (error) {
      this.revokedDevices.add(pairing.deviceId);
      if (this.linked?.deviceId === pairing.deviceId) this.linked = undefined;
      if (page.mode === 'linked' && page.deviceId === pairing.deviceId) page.mode = 'qr';
      this.updateQrTimer();
      throw error;
    }
    this.deps.logger.info('sandbox phone linked the device', { sessionId: this.id, phone: account.phone });
  }

  async logout(): Promise<void> {
    if (this.linked) this.revokedDevices.add(this.linked.deviceId);
    this.forgetDevice();
    const told = this.deps.pages.openIn('linked');
    if (told.length === 0) this.refuseStoredPairing = true;
    await Promise.all(
      told.map(async (page) => {
        if (page.deviceId) this.revokedDevices.add(page.deviceId);
        page.mode = 'qr';
        await this.deps.pages.ask(page, 'logout', {}, LOGOUT_ANSWER_TIMEOUT_MS).catch((error: unknown) =>
          this.deps.logger.debug('sandbox page did not confirm the logout', { sessionId: this.id, error: String(error) }),
        );
      }),
    );
    this.updateQrTimer();
    this.deps.logger.info('sandbox phone unlinked the device', { sessionId: this.id, livePages: told.length });
  }

  /** A page (re)loaded: it is linked again if the pairing it stored still holds, else it shows the QR code. */
  hello({ page: pageId, pairing }: protocol.HelloRequest): protocol.HelloReply {
    const page = this.deps.pages.require(pageId);
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
    const otherLinked = this.deps.pages.all().some((p) => p !== page && p.mode === 'linked' && p.stream.isOpen);
    if (!otherLinked) this.forgetDevice();
    page.mode = 'qr';
    page.deviceId = undefined;
    this.updateQrTimer();
    return { linked: false, ref: this.ref };
  }

  newPairingCode({ page: pageId, phone }: { page: string; phone: string }): { code: string } {
    const page = this.deps.pages.require(pageId);
    if (page.mode !== 'qr' && page.mode !== 'code') throw new ConflictError('SANDBOX_NOT_UNPAIRED', 'This page is not waiting to be linked');
    const code = [...randomBytes(8)].map((byte) => PAIRING_CODE_ALPHABET[byte % PAIRING_CODE_ALPHABET.length]).join('');
    this.pairingCode = { code, phone, pageId };
    page.mode = 'code';
    this.updateQrTimer();
    this.deps.logger.info('sandbox page shows a pairing code', { sessionId: this.id, phone });
    return { code };
  }

  /** The device logged itself out. */
  unlink(pageId: string): object {
    const page = this.deps.pages.require(pageId);
    if (page.deviceId) this.revokedDevices.add(page.deviceId);
    if (this.linked && (!page.deviceId || this.linked.deviceId === page.deviceId)) this.forgetDevice();
    page.mode = 'idle';
    page.deviceId = undefined;
    this.updateQrTimer();
    this.deps.logger.info('sandbox device logged itself out', { sessionId: this.id });
    return {};
  }

  /** Rotates the QR code while some connected page shows it, and only then. */
  updateQrTimer(): void {
    const wanted = !this.closed && this.deps.pages.openIn('qr').length > 0;
    if (wanted && !this.qrTimer) {
      this.qrTimer = setInterval(() => this.rotateRef(), this.qrIntervalMs);
      this.qrTimer.unref();
    } else if (!wanted && this.qrTimer) {
      clearInterval(this.qrTimer);
      this.qrTimer = undefined;
    }
  }

  close(): void {
    this.closed = true;
    if (this.qrTimer) clearInterval(this.qrTimer);
    this.qrTimer = undefined;
  }

  /** No device is linked any more: nothing held for the old one will ever reach it. */
  private forgetDevice(): void {
    this.linked = undefined;
    this.deps.onUnlinked();
  }

  private rotateRef(): void {
    this.ref = newRef();
    for (const page of this.deps.pages.all()) if (page.mode === 'qr') page.stream.send('ref', { ref: this.ref });
  }
}
