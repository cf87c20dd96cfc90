import pg from 'pg';

/**
 * Everything the instances of a cluster share. Leases carry a fencing token from one sequence: a new owner always
 * holds a larger token than any before it, and every write for a session names the token it holds.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS wamux_instances (
  name TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  url TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  max_sessions INTEGER NOT NULL,
  sessions INTEGER NOT NULL DEFAULT 0,
  memory_mib INTEGER NOT NULL DEFAULT 0,
  available_mib INTEGER NOT NULL DEFAULT 0,
  stopping BOOLEAN NOT NULL DEFAULT FALSE
);
ALTER TABLE wamux_instances ADD COLUMN IF NOT EXISTS available_mib INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS wamux_sessions (
  session_id TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  desired_state TEXT NOT NULL,
  config JSONB NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE SEQUENCE IF NOT EXISTS wamux_fencing_tokens;
CREATE TABLE IF NOT EXISTS wamux_leases (
  session_id TEXT PRIMARY KEY,
  instance TEXT NOT NULL,
  run_id TEXT NOT NULL,
  token BIGINT NOT NULL,
  acquired_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS wamux_leases_by_run ON wamux_leases (run_id);
CREATE TABLE IF NOT EXISTS wamux_login_backups (
  session_id TEXT PRIMARY KEY,
  generation TEXT NOT NULL,
  token BIGINT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  saved_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS wamux_login_chunks (
  session_id TEXT NOT NULL,
  generation TEXT NOT NULL,
  part INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY (session_id, generation, part)
);
CREATE TABLE IF NOT EXISTS wamux_events (
  session_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  event TEXT NOT NULL,
  chat_id TEXT,
  envelope TEXT NOT NULL,
  PRIMARY KEY (session_id, seq)
);
-- where a resumed live stream starts in another instance's session
CREATE INDEX IF NOT EXISTS wamux_events_by_id ON wamux_events (session_id, id);
CREATE TABLE IF NOT EXISTS wamux_deliveries (
  session_id TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  event_seq BIGINT NOT NULL,
  webhook_key TEXT NOT NULL,
  url TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  last_error TEXT,
  last_status_code INTEGER,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (session_id, delivery_id)
);
CREATE TABLE IF NOT EXISTS wamux_api_keys (
  id TEXT PRIMARY KEY,
  record JSONB NOT NULL
);
`;

/** One advisory lock id for schema changes: instances starting together do not race on CREATE. */
const SCHEMA_LOCK = 7_413_902_511;

export interface ClusterDatabaseOptions {
  /** A query (or a wait for a connection) that takes longer fails: a lease renewal must not hang. */
  queryTimeoutMs: number;
  maxConnections?: number;
}

export type Queryable = Pick<pg.Pool, 'query'>;

/** The connection pool to the cluster's Postgres, with the schema in place. */
export class ClusterDatabase {
  private constructor(readonly pool: pg.Pool) {}

  static async open(url: string, options: ClusterDatabaseOptions): Promise<ClusterDatabase> {
    const database = ClusterDatabase.pool(url, options);
    const { pool } = database;
    try {
      await database.transaction(async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
      });
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
    return database;
  }

  /** A pool of its own (the schema is the main pool's business): reads that must not take the leases' connections. */
  static pool(url: string, options: ClusterDatabaseOptions & { applicationName?: string }): ClusterDatabase {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.queryTimeoutMs,
      query_timeout: options.queryTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName ?? 'wamux',
    });
    // an idle connection the server dropped (restart, network) reports here; the next query gets a new one
    pool.on('error', () => undefined);
    return new ClusterDatabase(pool);
  }

  query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values);
  }

  /** Runs task in one transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(task: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await task(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      // a connection that cannot even roll back is not given to the next query
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
