import type { SandboxOutboxEntry } from './sandbox-hub.js';
import type { SandboxContact, SessionAction } from './sandbox-protocol.js';

/** The phone keeps the newest of what the session sent and did; older ones drop off (a phone's memory, not a log). */
const OUTBOX_KEPT = 1000;
const ACTIONS_KEPT = 1000;

/**
 * What the sandbox phone knows of the account besides its pages: what the session sent (the outbox), what it did
 * to messages and chats, and the address book (which also answers "is this number on WhatsApp").
 */
export class SandboxPhoneRecords {
  /** By message id, oldest first. */
  private readonly sent = new Map<string, SandboxOutboxEntry>();
  private sentCount = 0;
  private readonly actions: SessionAction[] = [];
  private book: SandboxContact[] = [];

  /** The newest messages the session sent (OUTBOX_KEPT at most), oldest first. */
  outbox(): SandboxOutboxEntry[] {
    return [...this.sent.values()].map((entry) => ({ ...entry }));
  }

  /** How many messages the session sent in all, including those no longer in the outbox. */
  get sentTotal(): number {
    return this.sentCount;
  }

  recordSent(entry: SandboxOutboxEntry): void {
    this.sent.set(entry.id, entry);
    this.sentCount++;
    if (this.sent.size > OUTBOX_KEPT) this.sent.delete(this.sent.keys().next().value!);
  }

  sessionActions(): SessionAction[] {
    return this.actions.map((action) => ({ ...action }));
  }

  /** The act is logged, and a reaction, edit or revoke shows against the message it targets when the session sent it. */
  recordAction(action: SessionAction): void {
    this.actions.push(action);
    if (this.actions.length > ACTIONS_KEPT) this.actions.shift();
    const sent = this.sent.get(action.target);
    if (sent && action.kind === 'reaction') sent.reaction = action.value ?? '';
    if (sent && action.kind === 'edit') Object.assign(sent, { body: action.value ?? '', edited: true });
    if (sent && action.kind === 'revoke') sent.revoked = true;
  }

  get addressBook(): SandboxContact[] {
    return this.book;
  }

  set addressBook(contacts: SandboxContact[]) {
    this.book = contacts.map((contact) => ({ ...contact }));
  }

  /**
   * The sandbox's WhatsApp directory: every well-formed phone number has an account, except the address book's
   * entries marked as not on WhatsApp.
   */
  queryExists(id: string): { exists: boolean; id?: string } {
    const match = /^(\d{6,15})@(c\.us|s\.whatsapp\.net)$/.exec(id);
    if (!match) return { exists: false };
    const entry = this.book.find((contact) => contact.phone === match[1]);
    return entry?.onWhatsApp === false ? { exists: false } : { exists: true, id: `${match[1]}@c.us` };
  }
}
