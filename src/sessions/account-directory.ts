import type { WaChat, WaContact, WaMessage } from '../wa/wa-client.js';
import { withWorkingClient, type SessionLookup } from './working-client.js';

export interface Page<T> {
  items: T[];
  total: number;
}

/** What the linked account's WhatsApp Web knows: its chats (newest activity first), contacts and numbers. */
export class AccountDirectory {
  constructor(private readonly sessions: SessionLookup) {}

  async list(sessionId: string, page: { limit: number; offset: number }): Promise<Page<WaChat>> {
    const chats = await withWorkingClient(this.sessions, sessionId, (client) => client.listChats());
    // newest activity first; the id keeps the order stable between pages when times are equal
    chats.sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1));
    return { items: chats.slice(page.offset, page.offset + page.limit), total: chats.length };
  }

  /** What WhatsApp Web itself has of a chat, newest first (it may hold messages from before wamux ran the session). */
  async chatHistory(sessionId: string, chatId: string, limit: number): Promise<WaMessage[]> {
    const messages = await withWorkingClient(this.sessions, sessionId, (client) => client.chatHistory(chatId, limit));
    // the chat's own order (timestamps are whole seconds: re-sorting would shuffle messages of the same second)
    return messages.slice(-limit).reverse();
  }

  async contacts(sessionId: string, page: { limit: number; offset: number }): Promise<Page<WaContact>> {
    const contacts = await withWorkingClient(this.sessions, sessionId, (client) => client.listContacts());
    // the address book first, by name; then everyone else, by number
    const key = (contact: WaContact) => `${contact.isMyContact ? 0 : 1}${(contact.name ?? '').toLowerCase()}\u0000${contact.number}`;
    contacts.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return { items: contacts.slice(page.offset, page.offset + page.limit), total: contacts.length };
  }

  contact(sessionId: string, contactId: string): Promise<WaContact & { profilePicUrl?: string }> {
    return withWorkingClient(this.sessions, sessionId, (client) => client.getContact(contactId));
  }

  /** Whether the phone number has a WhatsApp account, and the chat id to write to it. */
  async lookupNumber(sessionId: string, phone: string): Promise<{ phone: string; onWhatsApp: boolean; chatId?: string }> {
    const chatId = await withWorkingClient(this.sessions, sessionId, (client) => client.lookupNumber(phone));
    return chatId === undefined ? { phone, onWhatsApp: false } : { phone, onWhatsApp: true, chatId };
  }
}
