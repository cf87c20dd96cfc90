import type { Page } from 'puppeteer';
import type { PageMessageLimits } from './wa-client.js';

interface PageMsg {
  t: number;
  ack: number;
  type: string;
  id: { fromMe: boolean; remote: unknown };
  /** When a sweep first saw it (ms): a backlog delivered late is as young as it is to this page. */
  wamuxSeenAt?: number;
}
interface PageCollection<M> {
  getModelsArray(): M[];
  get(id: unknown): M | undefined;
  remove(model: M, options: { silent: boolean }): unknown;
}
interface PageChat {
  msgs: PageCollection<PageMsg>;
}
interface PageWindow {
  require(name: 'WAWebCollections'): { Msg: PageCollection<PageMsg>; Chat: PageCollection<PageChat> };
}

/**
 * Unloads the oldest messages from WhatsApp Web's models, as the web app does for chats nobody looks at: they stay
 * in its database (Msg.getMessagesById and loadEarlierMsgs find them again), but no longer in the renderer's memory.
 * Messages stay loaded while younger than minAgeSeconds (by their time, and by when a sweep first saw them: a
 * backlog delivered late is new to this page), as do each chat's newest message, this account's messages still
 * waiting for the server, and messages still waiting to be decrypted. Silent: the models are not deleted, so
 * nothing reports them as removed. Resolves with the number unloaded.
 */
export function unloadOldMessages(page: Page, limits: PageMessageLimits): Promise<number> {
  return page.evaluate(
    (keep: number, minAgeSeconds: number) => {
      const { Msg, Chat } = (window as unknown as PageWindow).require('WAWebCollections');
      const loaded = Msg.getModelsArray();
      const now = Date.now();
      for (const msg of loaded) {
        if (msg.wamuxSeenAt === undefined) Object.defineProperty(msg, 'wamuxSeenAt', { value: now, enumerable: false, configurable: true });
      }
      if (loaded.length <= keep) return 0;
      const newestOfChat = new Set(Chat.getModelsArray().map((chat) => chat.msgs.getModelsArray().at(-1)));
      const cutoff = now - minAgeSeconds * 1000;
      const settled = (msg: PageMsg) =>
        // still waiting: this account's send for the server, a message for its decryption (the library waits on it)
        !(msg.id.fromMe && msg.ack === 0) && msg.type !== 'ciphertext';
      // a message loaded back only for a lookup (not into its chat) goes before others of the same second
      const inItsChat = (msg: PageMsg) => (Chat.get(msg.id.remote)?.msgs.get(msg.id) ? 1 : 0);
      const unloadable = loaded
        .filter((msg) => (msg.wamuxSeenAt ?? now) <= cutoff && msg.t * 1000 <= cutoff && !newestOfChat.has(msg) && settled(msg))
        .sort((a, b) => a.t - b.t || inItsChat(a) - inItsChat(b))
        .slice(0, loaded.length - keep);
      for (const msg of unloadable) {
        Chat.get(msg.id.remote)?.msgs.remove(msg, { silent: true });
        Msg.remove(msg, { silent: true });
      }
      return unloadable.length;
    },
    limits.keep,
    limits.minAgeSeconds,
  );
}
