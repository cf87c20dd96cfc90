/**
 * The cluster's shared state on a real Postgres (started for this file): leases and their fencing tokens, writes
 * refused to an owner that lost its lease, and the login backup's round trip between two instances' folders.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestPostgres } from '../support/postgres.js';
import { ClusterDatabase } from '../../src/cluster/cluster-database.js';
import { SessionLeases, type LeaseSettings } from '../../src/cluster/session-leases.js';
import { LoginBackups } from '../../src/cluster/login-backups.js';
import { ClusterSessionStore } from '../../src/cluster/cluster-session-store.js';
import { LeaseLostError } from '../../src/cluster/fencing.js';
import { FileSessionStore } from '../../src/storage/file-session-store.js';
import { resolveSessionConfig } from '../../src/sessions/session-config.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { ConflictError } from '../../src/shared/errors.js';
import { EventLogCopies } from '../../src/cluster/event-log-copies.js';
import { otherInstancesSource } from '../../src/cluster/other-instances-source.js';
import { mergedBacklog } from '../../src/events/event-backlog.js';
import { ClusterInstances, placeSessions } from '../../src/cluster/cluster-instances.js';
import { PgApiKeyStore } from '../../src/cluster/pg-api-key-store.js';
import { ApiKeys } from '../../src/auth/api-keys.js';
import { SqliteEventLog } from '../../src/events/event-log.js';
import { newEventId, type EventEnvelope } from '../../src/events/event-envelope.js';

let postgres: TestPostgres;
let database: ClusterDatabase;
const folders: string[] = [];

before(async () => {
  postgres = await TestPostgres.start();
  database = await ClusterDatabase.open(postgres.url, { queryTimeoutMs: 3_000 });
});
after(async () => {
  await database?.close();
  await postgres?.stop();
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

const SHORT: LeaseSettings = { leaseMs: 600, safetyMarginMs: 200 };

async function instance(name: string, settings: LeaseSettings = SHORT) {
  const leases = new SessionLeases(database, { instance: name, runId: `${name}-run` }, settings);
  const backups = new LoginBackups(database);
  const root = await mkdtemp(path.join(os.tmpdir(), `wamux-cluster-${name}-`));
  folders.push(root);
  const store = new ClusterSessionStore(database, leases, backups, new FileSessionStore(root), undefined, createSilentLogger());
  return { leases, backups, store, root };
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('leases', () => {
  test('one owner at a time; an expired lease goes to the next with a larger token, and the old owner learns it lost it', async () => {
    const a = await instance('lease-a');
    const b = await instance('lease-b');
    const first = await a.leases.acquire('s1');
    assert.ok(first !== undefined);
    assert.equal(await b.leases.acquire('s1'), undefined, 'held: refused');
    assert.deepEqual(await a.leases.renew(), [], 'the owner renews');
    assert.equal(await b.leases.acquire('s1'), undefined, 'renewed: still refused');

    // a stops renewing (paused): once Postgres's clock passes the expiry, b takes it
    let second: string | undefined;
    await until(async () => (second = await b.leases.acquire('s1')) !== undefined, 'the lease to expire');
    assert.ok(BigInt(second!) > BigInt(first), `the new token ${second} is larger than ${first}`);
    assert.equal(a.leases.tokenOf('s1'), undefined, "a's own clock gave it up before Postgres's expiry");
    assert.deepEqual(await a.leases.renew(), ['s1'], "a's renewal tells it the lease is another's now");
    assert.deepEqual(a.leases.heldIds(), []);
    assert.equal((await b.leases.holders()).get('s1')?.instance, 'lease-b');
  });

  test('renew() names a lease another instance took after it expired', async () => {
    const slow = await instance('renew-a', { leaseMs: 400, safetyMarginMs: 0 });
    const other = await instance('renew-b');
    await slow.leases.acquire('s2');
    await until(async () => (await other.leases.acquire('s2')) !== undefined, 'the lease to expire');
    assert.deepEqual(await slow.leases.renew(), ['s2']);
  });

  test('a held lease stops counting on this clock before Postgres would let anyone else take it', async () => {
    let now = 1_000;
    const leases = new SessionLeases(database, { instance: 'clock', runId: 'clock-run' }, { leaseMs: 10_000, safetyMarginMs: 3_000 }, () => now);
    await leases.acquire('s3');
    now += 6_999;
    assert.deepEqual(leases.expired(), []);
    now += 1;
    assert.deepEqual(leases.expired(), ['s3'], '7 s after the acquisition was sent: 3 s before the earliest expiry');
    assert.equal(leases.tokenOf('s3'), undefined);
  });

  test("a lease this instance gave up is not kept alive by its renewals, though it still renews others", async () => {
    const a = await instance('stray-a', { leaseMs: 600, safetyMarginMs: 100 });
    const b = await instance('stray-b');
    await a.leases.acquire('kept');
    await a.leases.acquire('dropped');
    a.leases.forget('dropped'); // as after a release whose DELETE failed
    await until(async () => {
      assert.deepEqual(await a.leases.renew(), []);
      return (await b.leases.acquire('dropped')) !== undefined;
    }, 'the dropped lease to expire while the other is renewed');
    assert.equal(await b.leases.acquire('kept'), undefined, 'the kept one was renewed all along');
  });

  test('a released lease can be taken at once', async () => {
    const a = await instance('release-a', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    const b = await instance('release-b');
    await a.leases.acquire('s4');
    assert.equal(await b.leases.acquire('s4'), undefined);
    await a.leases.release('s4');
    assert.ok((await b.leases.acquire('s4')) !== undefined);
  });
});

describe('the session store', () => {
  const config = resolveSessionConfig({}, { sandbox: true });

  test('only the lease holder writes; a paused old owner is refused once another took over', async () => {
    const a = await instance('store-a');
    const b = await instance('store-b', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    await a.store.claim('desk');
    await a.store.write({ sessionId: 'desk', createdAt: '2026-12-07T00:00:00.000Z', desiredState: 'running', config });
    await assert.rejects(b.store.claim('desk'), (error: unknown) => error instanceof ConflictError && error.code === 'SESSION_OWNED_ELSEWHERE');
    await until(async () => b.store.claim('desk').then(() => true, () => false), "a's lease to expire");
    await assert.rejects(
      a.store.write({ sessionId: 'desk', createdAt: '2026-12-07T00:00:00.000Z', desiredState: 'stopped', config }),
      LeaseLostError,
    );
    assert.equal((await b.store.read('desk'))?.desiredState, 'running', "the old owner's write changed nothing");
    await b.store.write({ sessionId: 'desk', createdAt: '2026-12-07T00:00:00.000Z', desiredState: 'stopped', config });
    assert.equal((await a.store.read('desk'))?.desiredState, 'stopped', 'every instance reads what the owner wrote');
  });

  test('creating an id that exists in the cluster is refused, and the existing session is kept', async () => {
    const a = await instance('create-a', { leaseMs: 200, safetyMarginMs: 50 });
    await a.store.claim('twice');
    await a.store.write({ sessionId: 'twice', createdAt: '2026-12-07T01:00:00.000Z', desiredState: 'running', config });
    const b = await instance('create-b');
    await until(async () => b.store.claim('twice').then(() => true, () => false), 'the lease to expire');
    await assert.rejects(
      b.store.write({ sessionId: 'twice', createdAt: '2026-12-07T02:00:00.000Z', desiredState: 'stopped', config }),
      (error: unknown) => error instanceof ConflictError && error.code === 'SESSION_EXISTS',
    );
    assert.equal((await b.store.read('twice'))?.createdAt, '2026-12-07T01:00:00.000Z');
  });

  test("the login goes with the session: backed up at release, restored at the next owner's claim", async () => {
    const a = await instance('login-a', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    const b = await instance('login-b', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    const release = await a.store.claim('moving');
    await a.store.write({ sessionId: 'moving', createdAt: '2026-12-07T03:00:00.000Z', desiredState: 'running', config });
    const profile = a.store.profileDir('moving');
    await mkdir(path.join(profile, 'Default', 'IndexedDB', 'https_web.whatsapp.com_0.indexeddb.leveldb'), { recursive: true });
    await mkdir(path.join(profile, 'Default', 'Local Storage', 'leveldb'), { recursive: true });
    await mkdir(path.join(profile, 'Default', 'Cache'), { recursive: true });
    const pairing = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
    await writeFile(path.join(profile, 'Default', 'IndexedDB', 'https_web.whatsapp.com_0.indexeddb.leveldb', '000003.log'), pairing);
    await writeFile(path.join(profile, 'Default', 'Local Storage', 'leveldb', 'CURRENT'), 'MANIFEST-000001\n');
    await writeFile(path.join(profile, 'Default', 'Cache', 'big'), Buffer.alloc(100_000));
    await release();

    const listed = await a.backups.list();
    assert.ok((listed.get('moving')?.bytes ?? 0) > 0, 'a backup exists');
    await b.store.claim('moving');
    const restored = b.store.profileDir('moving');
    assert.deepEqual(await readFile(path.join(restored, 'Default', 'IndexedDB', 'https_web.whatsapp.com_0.indexeddb.leveldb', '000003.log')), pairing);
    assert.equal(await readFile(path.join(restored, 'Default', 'Local Storage', 'leveldb', 'CURRENT'), 'utf8'), 'MANIFEST-000001\n');
    await assert.rejects(readFile(path.join(restored, 'Default', 'Cache', 'big')), 'caches are not part of the login');

    // unchanged: not uploaded again; a logout deletes the backup, so no instance starts it logged in
    const before = (await b.backups.list()).get('moving')!.savedAt.getTime();
    await b.store.backUp('moving');
    assert.equal((await b.backups.list()).get('moving')!.savedAt.getTime(), before);
    await b.store.removeProfile('moving');
    assert.equal((await b.backups.list()).has('moving'), false);
  });

  test('a backup from an owner that lost its lease is refused', async () => {
    const a = await instance('fence-a');
    const b = await instance('fence-b', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    await a.store.claim('fenced');
    const profile = a.store.profileDir('fenced');
    await mkdir(path.join(profile, 'Default', 'Local Storage'), { recursive: true });
    await writeFile(path.join(profile, 'Default', 'Local Storage', 'x'), 'old owner');
    const token = a.leases.tokenOf('fenced')!;
    await until(async () => b.store.claim('fenced').then(() => true, () => false), "a's lease to expire");
    await assert.rejects(a.backups.save('fenced', token, a.store.profileParent('fenced'), profile), LeaseLostError);
    assert.equal((await b.backups.list()).has('fenced'), false);
  });

  test("a session made again under an old id does not get the old one's files", async () => {
    const a = await instance('again-a', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    await a.store.claim('again');
    await a.store.write({ sessionId: 'again', createdAt: '2026-12-07T05:00:00.000Z', desiredState: 'running', config });
    await mkdir(path.join(a.store.profileDir('again'), 'Default', 'Local Storage'), { recursive: true });
    await writeFile(path.join(a.store.profileDir('again'), 'Default', 'Local Storage', 'x'), 'the old account');
    await a.leases.release('again');
    // deleted elsewhere (its row and lease gone), then made again here
    await database.query("DELETE FROM wamux_sessions WHERE session_id = 'again'");
    await a.store.claim('again');
    await assert.rejects(readFile(path.join(a.store.profileDir('again'), 'Default', 'Local Storage', 'x')), 'the old login is gone');
    await a.store.write({ sessionId: 'again', createdAt: '2026-12-07T06:00:00.000Z', desiredState: 'running', config });
    await a.leases.release('again');
    await mkdir(a.store.profileDir('again'), { recursive: true });
    await writeFile(path.join(a.store.profileDir('again'), 'kept'), 'this session');
    await a.store.claim('again');
    assert.equal(await readFile(path.join(a.store.profileDir('again'), 'kept'), 'utf8'), 'this session', "the same session's files stay");
  });

  test('scoped keys: a key revoked on one instance is not brought back by another creating one', async () => {
    const onA = new ApiKeys(new PgApiKeyStore(database));
    const onB = new ApiKeys(new PgApiKeyStore(database));
    await onA.load();
    const first = await onA.create({ name: 'first', sessions: ['desk'], roles: ['read'] });
    await onB.load();
    await onA.revoke(first.id);
    await onB.create({ name: 'second', sessions: ['desk'], roles: ['read'] });
    const both = new ApiKeys(new PgApiKeyStore(database));
    await both.load();
    assert.deepEqual(both.list().map((key) => key.name), ['second']);
    assert.equal(both.principalOf(first.key), undefined);
  });

  test('deleting a session removes its row, lease and backup', async () => {
    const a = await instance('delete-a', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    await a.store.claim('gone');
    await a.store.write({ sessionId: 'gone', createdAt: '2026-12-07T04:00:00.000Z', desiredState: 'running', config });
    const profile = a.store.profileDir('gone');
    await mkdir(path.join(profile, 'Default', 'Local Storage'), { recursive: true });
    await writeFile(path.join(profile, 'Default', 'Local Storage', 'x'), 'login');
    await a.store.backUp('gone');
    await a.store.remove('gone');
    assert.equal(await a.store.read('gone'), undefined);
    assert.equal((await a.leases.holders()).has('gone'), false);
    assert.equal((await a.backups.list()).has('gone'), false);
    const chunks = await database.query('SELECT 1 FROM wamux_login_chunks WHERE session_id = $1', ['gone']);
    assert.equal(chunks.rowCount, 0);
  });
});

describe("the cluster's copy of event logs", () => {
  const envelope = (body: string): EventEnvelope => ({
    id: newEventId(),
    timestamp: new Date().toISOString(),
    event: 'message',
    session: 'logged',
    me: null,
    payload: { chatId: '1555@c.us', body },
  });
  const bodies = (log: SqliteEventLog) => log.eventsAfter(undefined, 1000).map((event) => event.payload.body);

  test("a new owner's log is the old owner's, deliveries and all; a paused old owner cannot add to the copy", async () => {
    const a = await instance('log-a');
    const b = await instance('log-b', { leaseMs: 60_000, safetyMarginMs: 5_000 });
    const copies = new EventLogCopies(database);
    await a.leases.acquire('logged');
    const tokenA = a.leases.tokenOf('logged')!;
    const folderA = await mkdtemp(path.join(os.tmpdir(), 'wamux-log-a-'));
    folders.push(folderA);
    const logA = new SqliteEventLog(path.join(folderA, 'events.db'));
    let mark = await copies.restore('logged', path.join(folderA, 'restore-check.db'));
    assert.deepEqual(mark, { seq: 0, deliveriesFrom: 0 }, 'nothing copied yet');
    for (let i = 1; i <= 3; i++) logA.append(envelope(`m${i}`), [{ deliveryId: `d${i}`, webhookKey: 'w', url: 'http://receiver/' }]);
    logA.markDelivered('d1', 1, 200);
    const first = logA.replication().changesSince(mark, 1000);
    await copies.ship('logged', tokenA, first);
    mark = first.next;
    logA.markDelivered('d2', 1, 200);
    const second = logA.replication().changesSince(mark, 1000, Date.now() + 1);
    assert.ok(second.deliveries.some((d) => d.deliveryId === 'd2' && d.status === 'delivered'), 'a changed delivery is copied again');
    assert.equal(second.events.length, 0, 'events are copied once');
    await copies.ship('logged', tokenA, second);

    await until(async () => (await b.leases.acquire('logged')) !== undefined, "a's lease to expire");
    logA.append(envelope('written by a after it lost the session'));
    await assert.rejects(copies.ship('logged', tokenA, logA.replication().changesSince(second.next, 1000)), LeaseLostError);

    const folderB = await mkdtemp(path.join(os.tmpdir(), 'wamux-log-b-'));
    folders.push(folderB);
    const fileB = path.join(folderB, 'events.db');
    const restored = await copies.restore('logged', fileB);
    assert.equal(restored.seq, 3);
    const logB = new SqliteEventLog(fileB);
    assert.deepEqual(bodies(logB), ['m1', 'm2', 'm3']);
    assert.deepEqual(logB.deliveries(10).map((d) => [d.deliveryId, d.status]).sort(), [['d1', 'delivered'], ['d2', 'delivered'], ['d3', 'pending']]);
    assert.equal(logB.nextPending('w')?.deliveryId, 'd3', 'the new owner delivers what was still pending');
    logB.close();
    logA.close();

    // a log that went another way (a's unshipped event at seq 4, b's own at seq 4 in the copy) is replaced
    const logB2 = new SqliteEventLog(fileB);
    logB2.append(envelope('m4 by b'));
    await copies.ship('logged', b.leases.tokenOf('logged')!, logB2.replication().changesSince(restored, 1000));
    logB2.close();
    await copies.restore('logged', path.join(folderA, 'events.db'));
    const reread = new SqliteEventLog(path.join(folderA, 'events.db'));
    assert.deepEqual(bodies(reread), ['m1', 'm2', 'm3', 'm4 by b']);
    reread.close();
  });
});

describe("a live stream's catch-up of other instances' sessions", () => {
  test('reads from the first event after the resume id up to what the feed published, each once, of the types asked for, page by page', async () => {
    const envelope = (session: string, seq: number, event: string): EventEnvelope => ({
      id: `evt_${String(seq).padStart(9, '0')}0000aaaaaaaa`,
      timestamp: 'now',
      event: event as EventEnvelope['event'],
      session,
      me: null,
      payload: { seq },
    });
    const rows = [
      ...['message', 'message', 'status', 'message', 'message'].map((event, index) => envelope('remote-1', index + 1, event)),
      envelope('here-1', 1, 'message'),
      envelope('here-1', 2, 'message'),
    ];
    for (const row of rows) {
      const seq = (row.payload as { seq: number }).seq;
      await database.query('INSERT INTO wamux_events (session_id, seq, id, event, chat_id, envelope) VALUES ($1, $2, $3, $4, NULL, $5)', [
        row.session,
        seq,
        row.id,
        row.event,
        JSON.stringify(row),
      ]);
    }
    // the feed has published remote-1 through seq 4; here-1 is this instance's own (its log serves it, not the database)
    const published = new Map([
      ['remote-1', 4],
      ['here-1', 2],
    ]);
    const source = otherInstancesSource({
      database,
      feed: () => ({ publishedThrough: () => published, isHere: (sessionId: string) => sessionId === 'here-1' }),
      joined: Promise.resolve(),
    });
    const backlog = mergedBacklog({ afterId: rows[0]!.id, sessionIds: () => [], logOf: () => undefined, events: ['message'], others: source, pageSize: 1 });
    /** Pages until the backlog says, synchronously, that the subscriber may go live. */
    const drain = async () => {
      const seqs: string[] = [];
      for (let page = backlog.nextPage(); !Array.isArray(page) || page.length > 0; page = backlog.nextPage()) {
        for (const entry of await page) seqs.push(`${entry.session}:${(entry.payload as { seq: number }).seq}`);
      }
      return seqs;
    };
    assert.deepEqual(await drain(), ['remote-1:2', 'remote-1:4'], 'after the resume id, up to what was published; the status event and here-1 left out');
    published.set('remote-1', 5);
    assert.deepEqual(await drain(), ['remote-1:5'], 'the feed published one more: read, once');

    const hidden = mergedBacklog({
      afterId: 'evt_000000000',
      sessionIds: () => [],
      logOf: () => undefined,
      others: otherInstancesSource({ database, feed: () => ({ publishedThrough: () => published, isHere: () => false }), joined: Promise.resolve() }),
      visible: (sessionId) => sessionId !== 'remote-1',
    });
    const seen: string[] = [];
    for (let page = hidden.nextPage(); !Array.isArray(page) || page.length > 0; page = hidden.nextPage()) seen.push(...(await page).map((entry) => entry.session));
    assert.deepEqual(seen, ['here-1', 'here-1'], "a session the key may not see is not read; another instance's here-1 is");
    await database.query("DELETE FROM wamux_events WHERE session_id IN ('remote-1', 'here-1')");
  });
});

describe('instances', () => {
  test('heartbeats carry the memory each host has available, and placement sends a new session where there is more', async () => {
    // a second open runs the schema again, as an instance of a newer version does on an older database
    const again = await ClusterDatabase.open(postgres.url, { queryTimeoutMs: 3_000 });
    await again.close();
    const tight = new ClusterInstances(database, { name: 'tight', runId: 'tight-run', url: 'http://tight', maxSessions: 10 }, 60_000);
    const roomy = new ClusterInstances(database, { name: 'roomy', runId: 'roomy-run', url: 'http://roomy', maxSessions: 10 }, 60_000);
    await tight.heartbeat({ sessions: 0, memoryMib: 100, availableMib: 1_200.4, stopping: false });
    await roomy.heartbeat({ sessions: 0, memoryMib: 100, availableMib: 9_000, stopping: false });
    const listed = await tight.list();
    assert.deepEqual(
      listed.filter((entry) => entry.name === 'tight' || entry.name === 'roomy').map((entry) => [entry.name, entry.availableMib, entry.live]),
      [
        ['roomy', 9_000, true],
        ['tight', 1_200, true],
      ],
    );
    assert.equal(placeSessions(['new'], listed).get('new'), 'roomy');
    await tight.leave();
    await roomy.leave();
  });
});
