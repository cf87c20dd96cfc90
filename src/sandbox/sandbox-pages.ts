import { ConflictError, TimeoutError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SseStream } from './sandbox-endpoint.js';
import type * as protocol from './sandbox-protocol.js';

export const PAGE_ANSWER_TIMEOUT_MS = 15_000;

/** 'code': unpaired and showing a pairing code instead of a QR code (no QR rotation). */
export type PageMode = 'idle' | 'qr' | 'code' | 'linked';

export interface PageRecord {
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

export interface SandboxPagesDeps {
  sessionId: string;
  logger: Logger;
  /** A page went away (after what it was asked failed): the session reacts (no linked page, QR rotation). */
  onPageGone: () => void;
}

/**
 * The pages connected to one session's endpoint, by page id, and the ask/answer protocol with them: the phone sends
 * an event with a sequence number down a page's event stream, the page acknowledges it with a POST.
 */
export class SandboxPages {
  private readonly pages = new Map<string, PageRecord>();
  private readonly pending = new Map<number, PendingAnswer>();
  private seq = 0;

  constructor(private readonly deps: SandboxPagesDeps) {}

  /** A page opened its event stream: it replaces an earlier stream of the same page, keeping its device. */
  open(pageId: string, stream: SseStream): void {
    const previous = this.pages.get(pageId);
    const record: PageRecord = { id: pageId, stream, mode: 'idle', since: Date.now(), deviceId: previous?.deviceId };
    this.pages.set(pageId, record);
    previous?.stream.close();
    stream.onClose(() => this.drop(record));
    this.deps.logger.debug('sandbox page connected', { sessionId: this.deps.sessionId, pageId });
  }

  get(pageId: string): PageRecord | undefined {
    return this.pages.get(pageId);
  }

  all(): PageRecord[] {
    return [...this.pages.values()];
  }

  /** The connected pages in this mode. */
  openIn(mode: PageMode): PageRecord[] {
    return this.all().filter((page) => page.mode === mode && page.stream.isOpen);
  }

  latest(mode: PageMode): PageRecord | undefined {
    let latest: PageRecord | undefined;
    for (const page of this.pages.values()) {
      if (page.mode === mode && page.stream.isOpen && (!latest || page.since >= latest.since)) latest = page;
    }
    return latest;
  }

  /** The page a phone-side act goes to: the newest linked one, or 409. */
  linked(): PageRecord {
    const page = this.latest('linked');
    if (!page) throw new ConflictError('SANDBOX_NOT_LINKED', `Session '${this.deps.sessionId}' has no linked page connected`);
    return page;
  }

  /** The newest linked page, if it hands messages on to whatsapp-web.js. */
  listening(): PageRecord | undefined {
    const page = this.latest('linked');
    return page?.listening ? page : undefined;
  }

  require(pageId: string): PageRecord {
    const page = this.pages.get(pageId);
    if (!page || !page.stream.isOpen) throw new ConflictError('SANDBOX_UNKNOWN_PAGE', 'Open the event stream first');
    return page;
  }

  /** A page's request that only a linked page may make (report a send or an act, upload media). */
  requireLinked(pageId: string): PageRecord {
    const page = this.require(pageId);
    if (page.mode !== 'linked') throw new ConflictError('SANDBOX_NOT_LINKED', 'This page is not linked');
    return page;
  }

  /** Sends the event to the page; resolves once the page acknowledged it, rejects on its failure, timeout or departure. */
  ask<E extends Exclude<protocol.PageEventName, 'ref'>>(
    page: PageRecord,
    event: E,
    payload: Omit<protocol.PageEvents[E], 'seq'>,
    timeoutMs: number,
  ): Promise<void> {
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new TimeoutError(`The sandbox page of session '${this.deps.sessionId}' did not answer '${event}'`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(seq, { pageId: page.id, event, resolve, reject, timer });
      if (!page.stream.send(event, { ...payload, seq })) this.failPending((p) => p === this.pending.get(seq), pageGone);
    });
  }

  /** The page's acknowledgement of what it was asked. */
  answer({ page, seq, ok, error }: protocol.AckRequest): object {
    const pending = this.pending.get(seq);
    if (!pending || pending.pageId !== page) return {};
    this.pending.delete(seq);
    clearTimeout(pending.timer);
    if (ok) pending.resolve();
    else pending.reject(new ConflictError('SANDBOX_PAGE_FAILED', `The sandbox page failed '${pending.event}': ${error ?? '?'}`));
    return {};
  }

  /** Closes every page's stream and forgets the pages. */
  closeAll(): void {
    for (const page of this.all()) page.stream.close();
    this.pages.clear();
  }

  /** Whatever the pages were asked and did not answer yet fails with `error`. */
  failAll(error: () => Error): void {
    this.failPending(() => true, error);
  }

  private failPending(match: (pending: PendingAnswer) => boolean, error: () => Error): void {
    for (const [seq, pending] of [...this.pending]) {
      if (!match(pending)) continue;
      this.pending.delete(seq);
      clearTimeout(pending.timer);
      pending.reject(error());
    }
  }

  private drop(record: PageRecord): void {
    if (this.pages.get(record.id) === record) this.pages.delete(record.id);
    this.failPending((pending) => pending.pageId === record.id && !this.pages.has(record.id), pageGone);
    this.deps.onPageGone();
    this.deps.logger.debug('sandbox page disconnected', { sessionId: this.deps.sessionId, pageId: record.id });
  }
}

export function pageGone(): Error {
  return new ConflictError('SANDBOX_PAGE_GONE', 'The sandbox page went away before answering');
}
