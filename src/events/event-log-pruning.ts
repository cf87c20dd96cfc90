import type Database from 'better-sqlite3';
import { eventIdAt } from './event-envelope.js';

/** How much of its past a session's log keeps. */
export interface RetentionPolicy {
  /** Events older than this go (0 = no age limit). */
  maxAgeMs: number;
  /** Past this many bytes of live pages, the oldest events go (0 = no size limit). */
  maxBytes: number;
}

/** Rows deleted in one transaction: each step holds the server's thread (better-sqlite3 is synchronous) briefly. */
const BATCH = 500;
/** Free pages returned to the file system per step. */
const VACUUM_PAGES = 2048;
/** Replaced codes whose ids a resuming client may still name. */
const REMEMBERED_CODES = 1000;
/** Codes a session shows and replaces: only the newest of each is kept. */
const SUPERSEDED = ['qr', 'pairing.code'] as const;

/** An event may go unless one of its deliveries is still pending (failed ones are past their last attempt). */
const PRUNABLE = `NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq AND d.status = 'pending')`;

/**
 * Deletes what a log no longer needs, a batch at a time: events past the age or size limit, and codes (QR, pairing)
 * a newer one replaced; never an event with a delivery still pending. Remembers the newest id it deleted, so that a
 * client resuming after a pruned event is not told the id is unknown.
 */
export class EventLogPruner {
  private readonly selectOlderThan: Database.Statement;
  private readonly selectOldest: Database.Statement;
  private readonly selectSeqSpan: Database.Statement;
  private readonly selectSuperseded: Database.Statement;
  private readonly deleteDeliveries: Database.Statement;
  private readonly deleteEvent: Database.Statement;
  private readonly selectPrunedThrough: Database.Statement;
  private readonly savePrunedThrough: Database.Statement;
  private readonly selectPrunedCode: Database.Statement;
  private readonly deleteRows: (rows: readonly { seq: number; id: string }[], kind: 'oldest' | 'codes') => void;

  constructor(private readonly db: Database.Database) {
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    // replaced codes are scattered among kept events: their ids are remembered one by one (the newest few)
    db.exec('CREATE TABLE IF NOT EXISTS pruned_codes (id TEXT PRIMARY KEY)');
    this.selectOlderThan = db.prepare(`SELECT seq, id FROM events e WHERE id < ? AND ${PRUNABLE} ORDER BY id LIMIT ${BATCH}`);
    this.selectOldest = db.prepare(`SELECT seq, id FROM events e WHERE ${PRUNABLE} ORDER BY seq LIMIT ?`);
    // an estimate of the number of events without counting them (seq grows by one per event; pruned ones leave gaps)
    this.selectSeqSpan = db.prepare('SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM events').pluck();
    this.selectSuperseded = db.prepare(
      `SELECT seq, id FROM events e WHERE event = @type AND seq < (SELECT max(seq) FROM events WHERE event = @type) AND ${PRUNABLE} LIMIT ${BATCH}`,
    );
    this.deleteDeliveries = db.prepare('DELETE FROM deliveries WHERE event_seq = ?');
    this.deleteEvent = db.prepare('DELETE FROM events WHERE seq = ?');
    this.selectPrunedThrough = db.prepare(`SELECT value FROM meta WHERE key = 'pruned_through'`).pluck();
    this.savePrunedThrough = db.prepare(
      `INSERT INTO meta (key, value) VALUES ('pruned_through', @id) ON CONFLICT (key) DO UPDATE SET value = max(value, @id)`,
    );
    const rememberCode = db.prepare('INSERT OR IGNORE INTO pruned_codes (id) VALUES (?)');
    const forgetOldCodes = db.prepare(
      `DELETE FROM pruned_codes WHERE id < (SELECT id FROM pruned_codes ORDER BY id DESC LIMIT 1 OFFSET ${REMEMBERED_CODES - 1})`,
    );
    this.selectPrunedCode = db.prepare('SELECT 1 FROM pruned_codes WHERE id = ?').pluck();
    this.deleteRows = db.transaction((rows: readonly { seq: number; id: string }[], kind: 'oldest' | 'codes') => {
      let newest = '';
      for (const row of rows) {
        this.deleteDeliveries.run(row.seq);
        this.deleteEvent.run(row.seq);
        if (kind === 'codes') rememberCode.run(row.id);
        else if (row.id > newest) newest = row.id;
      }
      if (newest) this.savePrunedThrough.run({ id: newest });
      if (kind === 'codes') forgetOldCodes.run();
    });
  }

  /** Whether the id is one this log pruned: at or below the age/size watermark, or a replaced code it remembers. */
  pruned(id: string): boolean {
    const through = this.selectPrunedThrough.get() as string | undefined;
    return (through !== undefined && id <= through) || this.selectPrunedCode.get(id) !== undefined;
  }

  /** Codes replaced by a newer one of their kind: one batch; how many events went. */
  pruneSuperseded(): number {
    let pruned = 0;
    for (const type of SUPERSEDED) pruned += this.remove(this.selectSuperseded.all({ type }) as { seq: number; id: string }[], 'codes');
    return pruned;
  }

  /** One batch of whatever the policy asks for first (replaced codes, then age, then size); 0 once nothing is left. */
  pruneStep(policy: RetentionPolicy, now: number): number {
    const superseded = this.pruneSuperseded();
    if (superseded > 0) return superseded;
    if (policy.maxAgeMs > 0) {
      const old = this.remove(this.selectOlderThan.all(eventIdAt(now - policy.maxAgeMs)) as { seq: number; id: string }[]);
      if (old > 0) return old;
    }
    const live = this.liveBytes();
    if (policy.maxBytes > 0 && live > policy.maxBytes) {
      // about as many of the oldest as hold the excess, so that the log ends near its limit rather than far below
      const events = Math.max(1, Number(this.selectSeqSpan.get()));
      const wanted = Math.ceil(((live - policy.maxBytes) / live) * events);
      return this.remove(this.selectOldest.all(Math.min(BATCH, Math.max(1, wanted))) as { seq: number; id: string }[]);
    }
    return 0;
  }

  /** Bytes in pages that hold data (the file may be larger: free pages wait to be reused or returned). */
  liveBytes(): number {
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    const free = Number(this.db.pragma('freelist_count', { simple: true }));
    return (pages - free) * Number(this.db.pragma('page_size', { simple: true }));
  }

  /**
   * Returns up to a step's worth of free pages to the file system; how many went (0 = none left, or a log made
   * before incremental vacuum, whose free pages are reused by new events instead).
   */
  reclaimStep(): number {
    if (Number(this.db.pragma('auto_vacuum', { simple: true })) !== 2) return 0;
    const before = Number(this.db.pragma('freelist_count', { simple: true }));
    if (before === 0) return 0;
    this.db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
    return before - Number(this.db.pragma('freelist_count', { simple: true }));
  }

  /** Moves the write-ahead log into the database and truncates it. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  private remove(rows: readonly { seq: number; id: string }[], kind: 'oldest' | 'codes' = 'oldest'): number {
    if (rows.length > 0) this.deleteRows(rows, kind);
    return rows.length;
  }
}
