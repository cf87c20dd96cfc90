import type { AppConfig } from '../config/config.js';
import type { Logger } from '../shared/logger.js';
import { describeError } from '../shared/errors.js';
import { ClusterMode } from './cluster-mode.js';

/** Cluster mode's start: a database that cannot be reached stops start-up, as an invalid setting does (exit 2). */
export async function openClusterOrExit(config: AppConfig, logger: Logger): Promise<ClusterMode> {
  const settings = {
    databaseUrl: config.databaseUrl!,
    instanceName: config.instanceName,
    sessionsDir: config.sessionsDir,
    maxSessions: config.maxSessions,
    leaseMs: config.leaseMs,
    loginBackupIntervalMs: config.loginBackupIntervalMs,
    adoptConcurrency: config.restoreConcurrency,
    forwardTimeoutMs: 180_000,
  };
  try {
    return await ClusterMode.open(settings, logger);
  } catch (error) {
    process.stderr.write(`wamux: cannot reach the cluster's database (DATABASE_URL): ${describeError(error)}\n`);
    process.exit(2);
  }
}

/** The password in a database URL (as user info or a `password` parameter), to keep out of the logs. */
export function databaseSecrets(url: string | undefined): string[] {
  if (url === undefined) return [];
  try {
    const parsed = new URL(url);
    return [decodeURIComponent(parsed.password), parsed.searchParams.get('password') ?? ''].filter((secret) => secret !== '');
  } catch {
    return [];
  }
}
