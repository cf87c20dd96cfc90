import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { NotFoundError } from '../shared/errors.js';
import type { Principal, Role } from './principal.js';

/** A scoped key as stored: never the key itself, only its SHA-256 (keys are 256 random bits: no salt or KDF needed). */
export interface StoredApiKey {
  id: string;
  name: string;
  sessions: string[];
  roles: Role[];
  createdAt: string;
  sha256: string;
}

/** Where scoped keys are kept (a file beside the sessions; a table in a cluster). */
export interface ApiKeyStore {
  load(): Promise<StoredApiKey[]>;
  save(keys: readonly StoredApiKey[]): Promise<void>;
}

export type ApiKeyView = Omit<StoredApiKey, 'sha256'>;

const KEY_PREFIX = 'wamux_';
/** wamux_<id>_<secret>: the id finds the record without comparing against every stored hash. */
const KEY_FORMAT = /^wamux_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The server's scoped API keys: created (shown once), listed, revoked, and checked on every request. */
export class ApiKeys {
  private keys = new Map<string, StoredApiKey>();
  /** Creations and revocations one after the other, so that no save overwrites a newer one. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly now: () => number = Date.now,
  ) {}

  async load(): Promise<void> {
    this.keys = new Map((await this.store.load()).map((key) => [key.id, key]));
  }

  /** Reads the keys again (another instance of a cluster may have changed them); resolves with the ids revoked since. */
  reload(): Promise<string[]> {
    const result = this.writes.then(async () => {
      const before = [...this.keys.keys()];
      await this.load();
      return before.filter((id) => !this.keys.has(id));
    });
    this.writes = result.catch(() => undefined);
    return result;
  }

  list(): ApiKeyView[] {
    return [...this.keys.values()].map(view);
  }

  /** A new key for these sessions and roles; the answer is the only place the key itself ever appears. */
  create(input: { name: string; sessions: string[]; roles: Role[] }): Promise<ApiKeyView & { key: string }> {
    return this.serially(async () => {
      const id = randomBytes(8).toString('hex');
      const key = `${KEY_PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
      const record: StoredApiKey = {
        id,
        name: input.name,
        sessions: [...new Set(input.sessions)].sort(),
        roles: [...new Set(input.roles)].sort(),
        createdAt: new Date(this.now()).toISOString(),
        sha256: digest(key).toString('hex'),
      };
      await this.store.save([...this.keys.values(), record]);
      this.keys.set(id, record);
      return { ...view(record), key };
    });
  }

  revoke(id: string): Promise<void> {
    return this.serially(async () => {
      if (!this.keys.has(id)) throw new NotFoundError('KEY_NOT_FOUND', `No API key '${id}'`);
      await this.store.save([...this.keys.values()].filter((key) => key.id !== id));
      this.keys.delete(id);
    });
  }

  /** The scoped principal a presented key stands for; undefined when it is no scoped key of this server. */
  principalOf(presented: string): Principal | undefined {
    const match = KEY_FORMAT.exec(presented);
    const record = match ? this.keys.get(match[1]!) : undefined;
    if (!record || !timingSafeEqual(digest(presented), Buffer.from(record.sha256, 'hex'))) return undefined;
    return { kind: 'scoped', keyId: record.id, sessions: new Set(record.sessions), roles: new Set(record.roles) };
  }

  /** One change at a time, each on the keys as stored now: a shared store may hold another instance's changes. */
  private serially<T>(task: () => Promise<T>): Promise<T> {
    const result = this.writes.then(async () => {
      await this.load();
      return task();
    });
    this.writes = result.catch(() => undefined);
    return result;
  }
}

function view({ sha256: _hash, ...rest }: StoredApiKey): ApiKeyView {
  return rest;
}
