import { createHash, randomUUID } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import type { ClusterDatabase } from './cluster-database.js';
import { LEASE_IS_HELD, LeaseLostError } from './fencing.js';

/** What of a Chromium profile holds the WhatsApp Web login (as whatsapp-web.js's RemoteAuth keeps it). */
const LOGIN_PATHS = ['Default/IndexedDB', 'Default/Local Storage'];
const CHUNK_BYTES = 1024 * 1024;
/** Beside the profile: where the login is copied before it is archived. */
const STAGE_FOLDER = 'login-backup-stage';
/** Beside the profile: which backup the local profile came from or went to. */
const MARKER_FILE = 'login-backup.json';

interface Marker {
  generation: string;
  sha256: string;
}

export interface BackupOutcome {
  saved: boolean;
  bytes: number;
  ms: number;
}

/**
 * Each session's WhatsApp login, zipped (tar + gzip) into Postgres in 1 MiB chunks, so that whichever instance
 * takes the session over starts it logged in. A save writes a new generation and switches to it in one
 * transaction that also checks the saver still holds the session's lease (its fencing token).
 */
export class LoginBackups {
  constructor(private readonly database: ClusterDatabase) {}

  /** Backs up the profile's login if it changed since the last backup; nothing when the profile has none. */
  async save(sessionId: string, token: string, sessionFolder: string, profileDir: string): Promise<BackupOutcome> {
    const started = performance.now();
    const archive = await archiveLogin(profileDir, path.join(sessionFolder, STAGE_FOLDER));
    if (archive === undefined) return { saved: false, bytes: 0, ms: performance.now() - started };
    const sha256 = createHash('sha256').update(archive).digest('hex');
    const marker = await readMarker(sessionFolder);
    if (marker?.sha256 === sha256) return { saved: false, bytes: archive.length, ms: performance.now() - started };
    const generation = randomUUID();
    // the chunks go in first, locking nothing (a large login takes a while, and lease renewals must not wait);
    // the switch to them checks the lease in the same statement, and a refused one takes its chunks away again
    for (let part = 0, offset = 0; offset < archive.length; part++, offset += CHUNK_BYTES) {
      await this.database.query('INSERT INTO wamux_login_chunks (session_id, generation, part, data) VALUES ($1, $2, $3, $4)', [
        sessionId,
        generation,
        part,
        archive.subarray(offset, offset + CHUNK_BYTES),
      ]);
    }
    const switched = await this.database.transaction(async (client) => {
      const upserted = await client.query(
        `INSERT INTO wamux_login_backups (session_id, generation, token, bytes, sha256, saved_at)
         SELECT $1::text, $3::text, $2::bigint, $4::int, $5::text, now() WHERE EXISTS (SELECT 1 FROM wamux_leases WHERE ${LEASE_IS_HELD})
         ON CONFLICT (session_id) DO UPDATE SET generation = EXCLUDED.generation, token = EXCLUDED.token, bytes = EXCLUDED.bytes,
           sha256 = EXCLUDED.sha256, saved_at = now()`,
        [sessionId, token, generation, archive.length, sha256],
      );
      if (upserted.rowCount === 0) return false;
      await client.query('DELETE FROM wamux_login_chunks WHERE session_id = $1 AND generation <> $2', [sessionId, generation]);
      return true;
    });
    if (!switched) {
      await this.database.query('DELETE FROM wamux_login_chunks WHERE session_id = $1 AND generation = $2', [sessionId, generation]);
      throw new LeaseLostError(sessionId);
    }
    await writeMarker(sessionFolder, { generation, sha256 });
    return { saved: true, bytes: archive.length, ms: performance.now() - started };
  }

  /**
   * Makes the local profile the backed-up login, unless it already is (this instance saved or restored that
   * backup last). Resolves with whether it restored; without a backup the profile is left as it is.
   */
  async restore(sessionId: string, sessionFolder: string, profileDir: string): Promise<BackupOutcome> {
    const started = performance.now();
    const head = await this.database.query<{ generation: string; sha256: string }>(
      'SELECT generation, sha256 FROM wamux_login_backups WHERE session_id = $1',
      [sessionId],
    );
    const backup = head.rows[0];
    if (backup === undefined) return { saved: false, bytes: 0, ms: performance.now() - started };
    const marker = await readMarker(sessionFolder);
    if (marker?.generation === backup.generation) return { saved: false, bytes: 0, ms: performance.now() - started };
    // a chunk per query: a large login must not run into the query timeout
    const parts: Buffer[] = [];
    for (;;) {
      const chunk = await this.database.query<{ data: Buffer }>(
        'SELECT data FROM wamux_login_chunks WHERE session_id = $1 AND generation = $2 AND part = $3',
        [sessionId, backup.generation, parts.length],
      );
      if (chunk.rows[0] === undefined) break;
      parts.push(chunk.rows[0].data);
    }
    const archive = Buffer.concat(parts);
    if (createHash('sha256').update(archive).digest('hex') !== backup.sha256) {
      throw new Error(`the login backup of session '${sessionId}' is incomplete (checksum mismatch)`);
    }
    await rm(profileDir, { recursive: true, force: true, maxRetries: 3 });
    await mkdir(profileDir, { recursive: true, mode: 0o700 });
    await pipeline(Readable.from([archive]), tar.extract({ cwd: profileDir, strict: true }));
    await writeMarker(sessionFolder, { generation: backup.generation, sha256: backup.sha256 });
    return { saved: true, bytes: archive.length, ms: performance.now() - started };
  }

  /** The login was logged out or the session deleted: no instance may start it logged in from here on. */
  async remove(sessionId: string, sessionFolder?: string): Promise<void> {
    await this.database.transaction(async (client) => {
      await client.query('DELETE FROM wamux_login_backups WHERE session_id = $1', [sessionId]);
      await client.query('DELETE FROM wamux_login_chunks WHERE session_id = $1', [sessionId]);
    });
    if (sessionFolder !== undefined) await rm(path.join(sessionFolder, MARKER_FILE), { force: true });
  }

  /** Size and age of each session's backup. */
  async list(): Promise<Map<string, { bytes: number; savedAt: Date }>> {
    const result = await this.database.query<{ session_id: string; bytes: number; saved_at: Date }>(
      'SELECT session_id, bytes, saved_at FROM wamux_login_backups',
    );
    return new Map(result.rows.map((row) => [row.session_id, { bytes: row.bytes, savedAt: row.saved_at }]));
  }
}

/**
 * The login parts of the profile as a gzipped tar; undefined when it has none. Copied aside first: the browser may
 * be writing its LevelDB files meanwhile, and a file it removes halfway through a read would fail the archive.
 */
async function archiveLogin(profileDir: string, stage: string): Promise<Buffer | undefined> {
  // in the session's own folder (the login must not leave it), and one left by a killed server goes now
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true, mode: 0o700 });
  try {
    const copied: string[] = [];
    for (const loginPath of LOGIN_PATHS) {
      try {
        await cp(path.join(profileDir, loginPath), path.join(stage, loginPath), { recursive: true, force: true, errorOnExist: false });
        copied.push(loginPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    if (copied.length === 0) return undefined;
    const parts: Buffer[] = [];
    // portable and without times: an unchanged login archives to the same bytes, so it is not uploaded again
    await pipeline(tar.create({ cwd: stage, gzip: true, portable: true, noMtime: true }, copied), async function* (source) {
      for await (const chunk of source) parts.push(chunk as Buffer);
    });
    return Buffer.concat(parts);
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

async function readMarker(sessionFolder: string): Promise<Marker | undefined> {
  try {
    return JSON.parse(await readFile(path.join(sessionFolder, MARKER_FILE), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

async function writeMarker(sessionFolder: string, marker: Marker): Promise<void> {
  await mkdir(sessionFolder, { recursive: true, mode: 0o700 });
  await writeFile(path.join(sessionFolder, MARKER_FILE), JSON.stringify(marker), { mode: 0o600 });
}
