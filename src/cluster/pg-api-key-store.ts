import type { ApiKeyStore, StoredApiKey } from '../auth/api-keys.js';
import type { ClusterDatabase } from './cluster-database.js';

/** Scoped keys shared by the instances of a cluster: one row per key, never the key itself (its SHA-256). */
export class PgApiKeyStore implements ApiKeyStore {
  constructor(private readonly database: ClusterDatabase) {}

  async load(): Promise<StoredApiKey[]> {
    const result = await this.database.query<{ record: StoredApiKey }>('SELECT record FROM wamux_api_keys ORDER BY id');
    return result.rows.map((row) => row.record);
  }

  /** The whole set, as the single-process file store saves it: keys not in it are revoked. */
  async save(keys: readonly StoredApiKey[]): Promise<void> {
    await this.database.transaction(async (client) => {
      await client.query('DELETE FROM wamux_api_keys WHERE NOT (id = ANY($1::text[]))', [keys.map((key) => key.id)]);
      for (const key of keys) {
        await client.query('INSERT INTO wamux_api_keys (id, record) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET record = $2', [key.id, JSON.stringify(key)]);
      }
    });
  }
}
