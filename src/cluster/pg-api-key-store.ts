import type { ApiKeyStore, StoredApiKey } from '../auth/api-keys.js';
import type { ClusterDatabase } from './cluster-database.js';

/** Scoped keys shared by the instances of a cluster: one row per key, never the key itself (its SHA-256). */
export class PgApiKeyStore implements ApiKeyStore {
  /** The ids as last loaded: a save changes only what differs from them, never another instance's changes. */
  private loaded = new Set<string>();

  constructor(private readonly database: ClusterDatabase) {}

  async load(): Promise<StoredApiKey[]> {
    const result = await this.database.query<{ record: StoredApiKey }>('SELECT record FROM wamux_api_keys ORDER BY id');
    const keys = result.rows.map((row) => row.record);
    this.loaded = new Set(keys.map((key) => key.id));
    return keys;
  }

  /**
   * The set as this instance changed it since its last load: keys it added are inserted, keys it dropped deleted.
   * A key another instance revoked meanwhile is not brought back, nor one it created dropped.
   */
  async save(keys: readonly StoredApiKey[]): Promise<void> {
    const kept = new Set(keys.map((key) => key.id));
    const revoked = [...this.loaded].filter((id) => !kept.has(id));
    const added = keys.filter((key) => !this.loaded.has(key.id));
    await this.database.transaction(async (client) => {
      if (revoked.length > 0) await client.query('DELETE FROM wamux_api_keys WHERE id = ANY($1::text[])', [revoked]);
      for (const key of added) await client.query('INSERT INTO wamux_api_keys (id, record) VALUES ($1, $2)', [key.id, JSON.stringify(key)]);
    });
    this.loaded = kept;
  }
}
