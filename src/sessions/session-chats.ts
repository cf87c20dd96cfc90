import type { WaChat } from '../wa/wa-client.js';
import { notReady } from './session-errors.js';
import type { SessionManager } from './session-manager.js';

export interface ChatPage {
  chats: WaChat[];
  total: number;
}

/** What the linked account's WhatsApp Web lists: its chats, newest activity first. */
export class SessionChats {
  constructor(private readonly manager: SessionManager) {}

  async list(sessionId: string, page: { limit: number; offset: number }): Promise<ChatPage> {
    const session = this.manager.get(sessionId);
    const client = session.client;
    if (!client || session.status.status !== 'WORKING') throw notReady(session);
    let chats: WaChat[];
    try {
      chats = await client.listChats();
    } catch (error) {
      if (session.client !== client || session.status.status !== 'WORKING') throw notReady(session);
      throw error;
    }
    // newest activity first; the id keeps the order stable between pages when times are equal
    chats.sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? -1 : 1));
    return { chats: chats.slice(page.offset, page.offset + page.limit), total: chats.length };
  }
}
