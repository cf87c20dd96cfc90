/**
 * A live stream's catch-up in a cluster: this process's logs and other instances' sessions (read elsewhere, up to
 * what the feed published here) merged in id order, joined to the live stream without losing or repeating an event.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { EventEnvelope } from '../../src/events/event-envelope.js';
import { EventStream } from '../../src/events/event-stream.js';
import { mergedBacklog, type OtherInstancesSource } from '../../src/events/event-backlog.js';
import { createSilentLogger } from '../../src/shared/logger.js';

const envelope = (session: string, id: string): EventEnvelope => ({ id, timestamp: 'now', event: 'message', session, me: null, payload: {} });

/** Another instance's sessions as the database has them (seq = place in the list + 1) and as the feed published them. */
class FakeOtherInstances implements OtherInstancesSource {
  readonly rows = new Map<string, EventEnvelope[]>();
  readonly publishedSeq = new Map<string, number>();
  started = true;
  reads = 0;
  /** Runs inside a read, after its snapshot of what was published: the feed moving on meanwhile. */
  duringRead: (() => void) | undefined;
  private start: () => void = () => undefined;
  private readonly startedPromise = new Promise<void>((resolve) => (this.start = resolve));

  log(session: string, id: string, publish = true): EventEnvelope {
    const entry = envelope(session, id);
    const list = this.rows.get(session) ?? [];
    list.push(entry);
    this.rows.set(session, list);
    if (publish) this.publishedSeq.set(session, list.length);
    return entry;
  }
  markStarted(): void {
    this.started = true;
    this.start();
  }
  ready = () => this.started;
  whenReady = () => this.startedPromise;
  published = () => new Map(this.publishedSeq);
  startSeqs = async (starts: { sessionId: string; afterId: string; upToSeq: number }[]) =>
    new Map(
      starts.map((start) => {
        const index = (this.rows.get(start.sessionId) ?? []).findIndex((entry) => entry.id > start.afterId);
        return [start.sessionId, index < 0 ? start.upToSeq : index] as [string, number];
      }),
    );
  read = async (reads: { sessionId: string; afterSeq: number; upToSeq: number }[], limit: number) => {
    this.reads++;
    await new Promise((resolve) => setImmediate(resolve));
    this.duringRead?.();
    this.duringRead = undefined;
    return new Map(
      reads.map((read) => [
        read.sessionId,
        (this.rows.get(read.sessionId) ?? [])
          .slice(read.afterSeq, read.upToSeq)
          .slice(0, limit)
          .map((entry, index) => ({ seq: read.afterSeq + index + 1, envelope: entry })),
      ]),
    );
  };
}

/** A response that records the ids written to it. */
function recordingResponse() {
  const written: string[] = [];
  const response = {
    writableLength: 0,
    destroyed: false,
    writeHead: () => response,
    on: () => response,
    write: (chunk: string) => {
      const id = /^id: (\S+)$/m.exec(chunk)?.[1];
      if (id) written.push(id);
      return true;
    },
    destroy: () => undefined,
    end: () => undefined,
  };
  return { response: response as unknown as ServerResponse, written };
}

test("other instances' sessions are merged in id order with this process's, and what the feed publishes during a read comes once", async () => {
  const here = [envelope('here', 'evt_02'), envelope('here', 'evt_05')];
  const others = new FakeOtherInstances();
  others.log('there', 'evt_01');
  others.log('there', 'evt_03');
  others.log('there', 'evt_04', false); // in the database, not published here yet: it will come live
  const stream = new EventStream(createSilentLogger());
  /** The feed: the next event of 'there' is published to live subscribers (not to one still catching up). */
  const feedPublishes = () => {
    const list = others.rows.get('there')!;
    others.publishedSeq.set('there', list.length);
    stream.publish(list.at(-1)!);
  };
  // while the first read runs, the feed publishes evt_04
  others.duringRead = feedPublishes;
  const { response, written } = recordingResponse();
  const backlog = mergedBacklog({
    afterId: 'evt_00',
    sessionIds: () => ['here'],
    logOf: () => ({ eventsAfterId: (afterId, limit) => here.filter((entry) => entry.id > afterId).slice(0, limit) }),
    others,
  });
  assert.equal(await stream.subscribe(response, {}, backlog), 'live');
  others.log('there', 'evt_06', false);
  feedPublishes();
  assert.deepEqual(written, ['evt_01', 'evt_02', 'evt_03', 'evt_04', 'evt_05', 'evt_06'], 'in id order, each once');
  stream.close();
});

test("a catch-up waits for the cluster's feed to start, rather than leaving other instances' sessions out", async () => {
  const others = new FakeOtherInstances();
  others.started = false;
  others.log('there', 'evt_01');
  const stream = new EventStream(createSilentLogger());
  const { response, written } = recordingResponse();
  const backlog = mergedBacklog({ afterId: 'evt_00', sessionIds: () => [], logOf: () => undefined, others });
  const outcome = stream.subscribe(response, {}, backlog);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, [], 'nothing before the feed started');
  assert.equal(stream.size, 0, 'not live yet');
  others.markStarted();
  assert.equal(await outcome, 'live');
  assert.deepEqual(written, ['evt_01']);
  stream.close();
});

test('a session that moves to this instance during the catch-up goes on from its last event sent, and one that moves away too', () => {
  const others = new FakeOtherInstances();
  const logs = new Map<string, EventEnvelope[]>([['stay', [envelope('stay', 'evt_05')]]]);
  for (const id of ['evt_01', 'evt_02', 'evt_03']) others.log('mover', id);
  let local = ['stay'];
  const backlog = mergedBacklog({
    afterId: 'evt_00',
    sessionIds: () => local,
    logOf: (sessionId) => {
      const log = logs.get(sessionId);
      return log && { eventsAfterId: (afterId, limit) => log.filter((entry) => entry.id > afterId).slice(0, limit) };
    },
    others,
    pageSize: 2,
  });
  return (async () => {
    const sent: string[] = [];
    const next = async () => sent.push(...(await backlog.nextPage()).map((entry) => `${entry.session}:${entry.id}`));
    await next(); // mover evt_01, evt_02 (page of 2)
    // the mover comes here: its log (restored from the database) has everything, and more
    local = ['stay', 'mover'];
    others.publishedSeq.delete('mover');
    logs.set('mover', [...others.rows.get('mover')!, envelope('mover', 'evt_04')]);
    for (let page = 0; page < 5; page++) await next();
    assert.deepEqual(sent, ['mover:evt_01', 'mover:evt_02', 'mover:evt_03', 'mover:evt_04', 'stay:evt_05']);
    // and 'stay' moves away: another instance drives it now, and the database has what it logged here, and more
    local = ['mover'];
    others.log('stay', 'evt_05');
    others.log('stay', 'evt_07');
    for (let page = 0; page < 5; page++) await next();
    assert.deepEqual(sent.slice(5), ['stay:evt_07'], 'only what it had not sent');
  })();
});
