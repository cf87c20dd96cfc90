import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { SqliteEventLog } from '../../src/events/event-log.js';
import { newEventId, type EventEnvelope, type EventType } from '../../src/events/event-envelope.js';
import { EventStream, type SubscribeOutcome } from '../../src/events/event-stream.js';
import { mergedBacklog } from '../../src/events/event-backlog.js';
import { asAdmin } from '../../src/http/middleware/access-control.js';
import { streamRouter } from '../../src/http/routes/stream.routes.js';
import { errorHandler } from '../../src/http/middleware/error-handler.js';
import { SessionNotFoundError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';

const DEADLINE_MS = 15_000;

/** Rejects if the promise has not settled by the deadline. */
async function within<T>(promise: Promise<T>, what: string, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface Frame {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads an SSE response as it comes, frame by frame (comment-only frames are dropped). */
class SseClient {
  readonly frames: Frame[] = [];
  private text = '';
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(readonly response: Response, private readonly controller: AbortController) {
    void this.read();
  }

  get ids(): string[] {
    return this.frames.map((frame) => frame.id!);
  }

  /** Waits, with a deadline, until the frames received satisfy the condition. */
  async until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + DEADLINE_MS;
    while (!condition()) {
      if (this.ended) throw new Error(`the stream ended before ${what}; got ${this.frames.length} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.frames.length} frames`);
      await within(new Promise<void>((resolve) => (this.wake = resolve)), what, left).catch(() => {
        throw new Error(`timed out after ${DEADLINE_MS} ms waiting for ${what}; got ${this.frames.length} frames`);
      });
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async read(): Promise<void> {
    const reader = this.response.body!.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        this.text += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = this.text.indexOf('\n\n')) >= 0) {
          const frame = parseFrame(this.text.slice(0, end));
          this.text = this.text.slice(end + 2);
          if (frame) this.frames.push(frame);
        }
        this.wake?.();
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
      this.wake?.();
    }
  }
}

function parseFrame(block: string): Frame | undefined {
  const frame: Frame = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event') frame[field] = value;
    if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame.id === undefined && frame.event === undefined && frame.data === undefined ? undefined : frame;
}

interface Harness {
  stream: EventStream;
  base: string;
  /** Every subscribe's outcome, in order of connection. */
  outcomes: Promise<SubscribeOutcome>[];
  /** Per response, in order of connection: writes seen after its 'close', and errors it emitted. */
  responses: {
    response: ServerResponse;
    writesAfterClose: number;
    errors: unknown[];
    readsAtClose?: number;
    closed: Promise<void>;
    /** Resolves when something first listens for the response's 'drain' (the catch-up waiting for a slow client). */
    waitingForDrain: Promise<void>;
  }[];
  /** eventsAfterId calls, all logs together. */
  reads: { count: number };
  /**
   * Run synchronously as the server writes its nth event frame (all responses together). What a hook schedules
   * with queueMicrotask runs at the pump's next await: where appends of the real pipeline interleave with it.
   */
  onFrame: ((frameNumber: number) => void)[];
  addSession(sessionId: string): void;
  /** What the pipeline does: append to the session's log, then publish, in one step. */
  record(sessionId: string, event: EventType, payload?: Record<string, unknown>): EventEnvelope;
  connect(query: string, headers?: Record<string, string>): Promise<SseClient>;
}

async function withHarness(options: { pageSize?: number }, run: (harness: Harness) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wamux-stream-'));
  const logs = new Map<string, SqliteEventLog>();
  const stream = new EventStream();
  const outcomes: Promise<SubscribeOutcome>[] = [];
  const subscribe = stream.subscribe.bind(stream);
  stream.subscribe = (...args: Parameters<EventStream['subscribe']>) => {
    const outcome = subscribe(...args);
    outcomes.push(outcome);
    return outcome;
  };
  const reads = { count: 0 };
  const onFrame: ((frameNumber: number) => void)[] = [];
  let frames = 0;
  const responses: Harness['responses'] = [];
  const clients: SseClient[] = [];

  const app = express();
  app.use((_request, response, next) => {
    let closed = false;
    const entry: Harness['responses'][number] = {
      response,
      writesAfterClose: 0,
      errors: [],
      closed: new Promise<void>((resolve) => response.on('close', () => resolve())),
      waitingForDrain: new Promise<void>((resolve) => response.on('newListener', (name) => name === 'drain' && resolve())),
    };
    responses.push(entry);
    response.on('close', () => {
      closed = true;
      entry.readsAtClose = reads.count;
    });
    response.on('error', (error) => entry.errors.push(error));
    const write = response.write.bind(response) as (...args: unknown[]) => boolean;
    (response as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      if (closed) entry.writesAfterClose++;
      if (typeof args[0] === 'string' && args[0].startsWith('id: ')) {
        const frameNumber = ++frames;
        for (const hook of onFrame) hook(frameNumber);
      }
      return write(...args);
    };
    next();
  });
  // who may read what is the access check's job (http-routes.test.ts); here every request is the admin's
  app.use(asAdmin);
  app.use(
    streamRouter({
      stream,
      logOf: (sessionId) => {
        const log = logs.get(sessionId);
        if (!log) throw new SessionNotFoundError(sessionId);
        return log;
      },
      activeSessionIds: () => [...logs.keys()],
      pageSize: options.pageSize,
    }),
  );
  app.use(errorHandler(createSilentLogger()));
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events/stream`;

  const harness: Harness = {
    stream,
    base,
    outcomes,
    responses,
    reads,
    onFrame,
    addSession(sessionId) {
      const log = new SqliteEventLog(path.join(dir, `${sessionId}.db`));
      const eventsAfterId = log.eventsAfterId.bind(log);
      log.eventsAfterId = (...args) => {
        reads.count++;
        return eventsAfterId(...args);
      };
      logs.set(sessionId, log);
    },
    record(sessionId, event, payload = {}) {
      const envelope: EventEnvelope = { id: newEventId(), timestamp: new Date().toISOString(), event, session: sessionId, me: null, payload };
      logs.get(sessionId)!.append(envelope);
      stream.publish(envelope);
      return envelope;
    },
    async connect(query, headers = {}) {
      const controller = new AbortController();
      const response = await fetch(`${base}?${query}`, { headers, signal: controller.signal });
      assert.equal(response.status, 200, `GET ?${query}: ${response.status} ${response.status === 200 ? '' : await response.text()}`);
      const client = new SseClient(response, controller);
      clients.push(client);
      return client;
    },
  };
  try {
    await run(harness);
  } finally {
    for (const client of clients) client.close();
    stream.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    for (const log of logs.values()) log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const idsOf = (envelopes: EventEnvelope[]) => envelopes.map((envelope) => envelope.id);

test('Last-Event-ID resumes exactly after that id, and wins over after', async () => {
  await withHarness({}, async (h) => {
    h.addSession('a');
    const written = Array.from({ length: 6 }, (_, i) => h.record('a', 'message', { body: `m${i}` }));
    const client = await h.connect(`session=a&after=${written[0]!.id}`, { 'last-event-id': written[3]!.id });
    await client.until(() => client.frames.length >= 2, 'the backlog');
    assert.equal(await within(h.outcomes[0]!, 'the subscriber to go live'), 'live');
    const live = h.record('a', 'message', { body: 'live' });
    await client.until(() => client.frames.length >= 3, 'the live event');
    assert.deepEqual(client.ids, [written[4]!.id, written[5]!.id, live.id]);
    const first = client.frames[0]!;
    assert.equal(first.event, 'message');
    assert.deepEqual(JSON.parse(first.data!), written[4]);
  });
});

test('after resumes exactly after that id', async () => {
  await withHarness({}, async (h) => {
    h.addSession('a');
    const written = Array.from({ length: 5 }, (_, i) => h.record('a', 'message', { body: `m${i}` }));
    const client = await h.connect(`session=a&after=${written[1]!.id}`);
    assert.equal(await within(h.outcomes[0]!, 'the subscriber to go live'), 'live');
    const live = h.record('a', 'message', { body: 'live' });
    await client.until(() => client.frames.length >= 4, 'backlog and live event');
    assert.deepEqual(client.ids, [...idsOf(written.slice(2)), live.id]);
  });
});

test('a 2,500-event backlog arrives complete and in order; events of the catch-up arrive once, after it', async () => {
  await withHarness({}, async (h) => {
    h.addSession('a');
    const start = h.record('a', 'message', { body: 'seen' });
    const backlog = Array.from({ length: 2500 }, (_, i) => h.record('a', 'message', { body: `b${i}`, chatId: '155500@c.us' }));
    const duringCatchUp: EventEnvelope[] = [];
    let liveSubscribersThen = -1;
    h.onFrame.push((frameNumber) => {
      if (frameNumber !== 700) return;
      // at the pump's await after the second page: the subscriber is still catching up
      queueMicrotask(() => {
        liveSubscribersThen = h.stream.size;
        for (let i = 0; i < 30; i++) duringCatchUp.push(h.record('a', 'message', { body: `c${i}` }));
      });
    });
    const client = await h.connect(`session=a&after=${start.id}`);
    const expected = [...idsOf(backlog), ...idsOf(duringCatchUp)];
    await client.until(() => client.frames.length >= 2530, 'backlog and catch-up events');
    assert.equal(liveSubscribersThen, 0, 'the events were published while the subscriber caught up');
    assert.equal(duringCatchUp.length, 30);
    assert.equal(await within(h.outcomes[0]!, 'the subscriber to go live'), 'live');
    assert.ok(h.reads.count >= 6, `paged through the log (${h.reads.count} reads)`);
    const live = h.record('a', 'message', { body: 'live' });
    await client.until(() => client.frames.length >= 2531, 'the live event');
    assert.deepEqual(client.ids, [...expected, live.id]);
  });
});

test('an unknown or malformed event id is a 400', async () => {
  await withHarness({}, async (h) => {
    h.addSession('a');
    h.addSession('b');
    const inA = h.record('a', 'message');
    const inB = h.record('b', 'message');
    const unknown = newEventId();
    const cases: [string, Record<string, string>, RegExp][] = [
      [`session=a&after=${inB.id}`, {}, /Unknown event id .*session 'a'.*without after/],
      ['session=a', { 'last-event-id': unknown }, /Unknown event id .*without after and without a Last-Event-ID header/],
      // made by hand: newEventId() with a future time would make every later id future too
      [`after=evt_${(Date.now() + 3_600_000).toString(36).padStart(9, '0')}0000abcdef12`, {}, /Unknown event id .*newer than any event/],
      ['session=a&after=nope', {}, /after: must be an event id/],
      [`session=a&after=${inA.id}`, { 'last-event-id': 'evt_NOT-AN-ID' }, /Last-Event-ID header/],
    ];
    for (const [query, headers, message] of cases) {
      const response = await fetch(`${h.base}?${query}`, { headers });
      assert.equal(response.status, 400, query);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'INVALID_INPUT');
      assert.match(body.error.message, message);
    }
    assert.equal(h.outcomes.length, 0, 'no stream was opened');
    assert.equal((await fetch(`${h.base}?session=zz&after=${inA.id}`)).status, 404);
  });
});

test('an all-sessions stream resumes after an event whose session was deleted since, instead of refusing for good', async () => {
  await withHarness({}, async (h) => {
    h.addSession('a');
    const seenBeforeDelete = newEventId(); // the last event of a session deleted since: in no log any more
    const later = h.record('a', 'message');
    const client = await h.connect('', { 'last-event-id': seenBeforeDelete });
    assert.equal(client.response.status, 200);
    await client.until(() => client.ids.includes(later.id), 'the event logged after it');
    assert.deepEqual(client.ids, [later.id]);
  });
});

test('an all-sessions stream resumes with every session merged in id order, sessions new during the catch-up included', async () => {
  await withHarness({ pageSize: 3 }, async (h) => {
    h.addSession('a');
    h.addSession('b');
    const written: EventEnvelope[] = [];
    for (const [session, count] of [['a', 2], ['b', 1], ['a', 4], ['b', 5], ['a', 1], ['b', 2]] as const) {
      for (let i = 0; i < count; i++) written.push(h.record(session, 'message', { body: `${session}${written.length}` }));
    }
    const resumeAt = written[2]!; // b's first event: a's log does not hold it
    const added: EventEnvelope[] = [];
    let liveSubscribersThen = -1;
    h.onFrame.push((frameNumber) => {
      if (frameNumber !== 2) return;
      // at the pump's await after the first page
      queueMicrotask(() => {
        liveSubscribersThen = h.stream.size;
        h.addSession('c');
        added.push(h.record('c', 'message', { body: 'c new' }), h.record('a', 'message', { body: 'a new' }), h.record('c', 'qr'));
      });
    });
    const client = await h.connect('', { 'last-event-id': resumeAt.id });
    const expected = idsOf(written.slice(3));
    await client.until(() => client.frames.length >= expected.length + 3, 'every session caught up');
    assert.equal(added.length, 3);
    assert.equal(liveSubscribersThen, 0, 'session c appeared while the subscriber caught up');
    assert.equal(await within(h.outcomes[0]!, 'the subscriber to go live'), 'live');
    const live = h.record('b', 'message', { body: 'live' });
    await client.until(() => client.frames.length >= expected.length + 4, 'the live event');
    assert.deepEqual(client.ids, [...expected, ...idsOf(added), live.id]);
    assert.deepEqual(client.ids, [...client.ids].sort(), 'in id order');
    assert.deepEqual(
      client.frames.map((frame) => (JSON.parse(frame.data!) as EventEnvelope).session).slice(0, 5),
      ['a', 'a', 'a', 'a', 'b'],
    );
  });
});

test('the event filter applies to the backlog as to live events', async () => {
  await withHarness({ pageSize: 2 }, async (h) => {
    h.addSession('a');
    h.addSession('b');
    const start = h.record('a', 'message', { body: 'seen' });
    const written = [
      h.record('a', 'message.ack'),
      h.record('b', 'message', { body: 'b1' }),
      h.record('a', 'message.ack'),
      h.record('a', 'qr'),
      h.record('a', 'message', { body: 'a1' }),
      h.record('b', 'message.sent', { body: 'b2' }),
      h.record('a', 'message.ack'),
    ];
    const wanted = written.filter((envelope) => envelope.event === 'message' || envelope.event === 'message.sent');
    const all = await h.connect(`events=message,message.sent&after=${start.id}`);
    const onlyA = await h.connect(`session=a&events=message&after=${start.id}`);
    assert.equal(await within(h.outcomes[0]!, 'all sessions live'), 'live');
    assert.equal(await within(h.outcomes[1]!, 'session a live'), 'live');
    h.record('a', 'message.ack');
    const live = h.record('a', 'message', { body: 'live' });
    await all.until(() => all.frames.length >= wanted.length + 1, 'all sessions: filtered backlog and live');
    await onlyA.until(() => onlyA.frames.length >= 2, 'session a: filtered backlog and live');
    assert.deepEqual(all.ids, [...idsOf(wanted), live.id]);
    assert.deepEqual(onlyA.ids, [written[4]!.id, live.id]);
  });
});

test('a slow client holds up its catch-up (backpressure); one that leaves stops it: no write after close, no error', async () => {
  await withHarness({ pageSize: 20 }, async (h) => {
    h.addSession('a');
    const start = h.record('a', 'message', { body: 'seen' });
    // 2,000 events of 16 KB: far more than the sockets can buffer, so the catch-up waits for a client that stopped reading
    const padding = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000; i++) h.record('a', 'message', { body: `b${i}`, padding });
    const pageBytes = 20 * (16 * 1024 + 1024);
    const controller = new AbortController();
    const response = await fetch(`${h.base}?session=a&after=${start.id}`, { signal: controller.signal });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes('\nid: ') && !text.startsWith('id: ')) {
      const { value, done } = await within(reader.read(), 'the first event');
      assert.ok(!done, 'the stream ended early');
      text += Buffer.from(value).toString();
    }
    // the client stops reading: the catch-up must wait for 'drain' instead of buffering the whole backlog
    const server = h.responses[0]!;
    await within(
      Promise.race([
        server.waitingForDrain,
        h.outcomes[0]!.then((outcome) => Promise.reject(new Error(`the catch-up ended (${outcome}) without waiting for drain`))),
      ]),
      'the catch-up to wait for drain',
    );
    assert.ok(server.response.writableLength <= 2 * pageBytes, `buffered ${server.response.writableLength} bytes: about one page`);
    assert.ok(h.reads.count < 2000 / 20, `waiting mid-backlog (${h.reads.count} of 100 pages read)`);
    controller.abort();
    await within(server.closed, 'the server to see the client leave');
    assert.equal(await within(h.outcomes[0]!, 'the catch-up to stop'), 'closed');
    assert.ok(server.readsAtClose! < 2000 / 20, `left mid-backlog (${server.readsAtClose} of 100 pages read)`);
    assert.equal(h.reads.count, server.readsAtClose, 'no page read after the client left');
    assert.equal(server.writesAfterClose, 0);
    assert.deepEqual(server.errors, []);
    assert.equal(h.stream.size, 0, 'never went live');
  });
});

test('the merge stays in id order when sessions log more between pages (a read-ahead that runs out is read again)', () => {
  const logs = new Map<string, EventEnvelope[]>([
    ['a', []],
    ['b', []],
  ]);
  const log = (session: string, id: string) =>
    logs.get(session)!.push({ id, timestamp: 'now', event: 'message', session, me: null, payload: {} });
  log('a', 'evt_01');
  log('b', 'evt_02');
  log('a', 'evt_03');
  log('a', 'evt_04');
  log('b', 'evt_05');
  const backlog = mergedBacklog({
    afterId: 'evt_00',
    sessionIds: () => ['a', 'b'],
    logOf: (session) => ({
      eventsAfterId: (afterId, limit) => logs.get(session)!.filter((envelope) => envelope.id > afterId).slice(0, limit),
    }),
    pageSize: 3,
  });
  const page = () => backlog.nextPage() as EventEnvelope[];
  const sent = page().map((envelope) => envelope.id);
  log('b', 'evt_06');
  log('a', 'evt_07');
  for (let next = page(); next.length > 0; next = page()) sent.push(...next.map((envelope) => envelope.id));
  assert.deepEqual(sent, ['evt_01', 'evt_02', 'evt_03', 'evt_04', 'evt_05', 'evt_06', 'evt_07']);
});

test('a live client that stops reading is cut off once its unread frames pass the limit; a reading one is not', async () => {
  /** A response whose socket never drains (stalled) or always does (reading). */
  const fakeResponse = (stalled: boolean) => {
    const fake = {
      writableLength: 0,
      destroyed: false,
      writeHead: () => fake,
      on: () => fake,
      write: (chunk: string) => {
        if (stalled) fake.writableLength += Buffer.byteLength(chunk);
        return !stalled;
      },
      destroy: () => {
        fake.destroyed = true;
      },
      end: () => undefined,
    };
    return fake;
  };
  const stream = new EventStream(createSilentLogger(), 4096);
  const stalled = fakeResponse(true);
  const reading = fakeResponse(false);
  await stream.subscribe(stalled as unknown as ServerResponse, {});
  await stream.subscribe(reading as unknown as ServerResponse, {});
  const payload = { body: 'x'.repeat(500) };
  for (let i = 0; i < 20; i++) {
    stream.publish({ id: newEventId(), timestamp: new Date().toISOString(), event: 'message', session: 's', me: null, payload });
  }
  assert.equal(stalled.destroyed, true, 'the stalled client is disconnected');
  assert.ok(stalled.writableLength < 4096 + 1024, `it held at most the limit and one frame, held ${stalled.writableLength}`);
  assert.equal(reading.destroyed, false);
  assert.equal(stream.size, 1);
  stream.close();
});
