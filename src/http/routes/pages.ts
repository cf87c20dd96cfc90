import type { SqliteEventLog } from '../../events/event-log.js';

/** A page of messages from a session's durable log, newest first, and the id to ask for the next (older) page. */
export function logHistoryPage(log: SqliteEventLog, query: { chatId?: string; before?: string; limit: number }) {
  const envelopes = log.messages({ chatId: query.chatId, beforeId: query.before, limit: query.limit });
  return {
    messages: envelopes.map((envelope) => ({ eventId: envelope.id, ...envelope.payload })),
    nextBefore: envelopes.length === query.limit ? envelopes.at(-1)?.id : undefined,
  };
}

/** The offset of the next page of a listing, when there is one. */
export function nextOffsetOf(page: { offset: number }, shown: number, total: number): number | undefined {
  return page.offset + shown < total ? page.offset + shown : undefined;
}
