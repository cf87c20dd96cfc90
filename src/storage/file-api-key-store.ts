import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from '../shared/zod.js';
import { ROLES } from '../auth/principal.js';
import type { ApiKeyStore, StoredApiKey } from '../auth/api-keys.js';

/** Beside the session folders (a dot file: never taken for a session); readable by the server's user only. */
export const API_KEYS_FILE = '.api-keys.json';

const StoredKeysSchema = z.array(
  z.object({
    id: z.string(),
    name: z.string(),
    sessions: z.array(z.string()),
    roles: z.array(z.enum(ROLES)),
    createdAt: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
);

export class FileApiKeyStore implements ApiKeyStore {
  private readonly file: string;

  constructor(sessionsDir: string) {
    this.file = path.join(sessionsDir, API_KEYS_FILE);
  }

  async load(): Promise<StoredApiKey[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return StoredKeysSchema.parse(JSON.parse(text));
  }

  async save(keys: readonly StoredApiKey[]): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.file);
  }
}
