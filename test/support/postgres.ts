import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's Postgres binaries (installed by scripts/setup.sh), newest version first. */
async function binDir(): Promise<string> {
  const versions = (await readdir('/usr/lib/postgresql').catch(() => [] as string[])).sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('Postgres is not installed: run bash scripts/setup.sh');
  return path.join('/usr/lib/postgresql', versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no free port');
  return address.port;
}

/**
 * A Postgres server of a test's own: a new data folder in a temporary directory, a free loopback port, trust
 * authentication, no socket outside that folder. Postgres refuses to run as root, so as root its binaries run as
 * the `postgres` user. stop() stops it and removes everything; kill() is a crash (SIGKILL of the postmaster).
 */
export class TestPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<TestPostgres> {
    const bin = await binDir();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wamux-pg-'));
    const server = new TestPostgres(dir, await freePort(), bin);
    try {
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        await chown(dir, Number(stdout.trim()), Number(gid.trim()));
      }
      await server.as('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
      await server.up();
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts the server on its folder (again, after down() or kill()). */
  async up(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.as('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  /** Stops the server, keeping its data (a database that goes away for a while). */
  async down(): Promise<void> {
    await this.as('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  /** The postmaster's PID, from its pid file; undefined when it is not running. */
  async pid(): Promise<number | undefined> {
    const text = await readFile(path.join(this.dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
    const pid = Number(text?.split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Stops the server and removes its folder; a server that does not stop is killed by its PID. */
  async stop(): Promise<void> {
    const pid = await this.pid();
    await this.down();
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone, as it should be
      }
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  private async as(tool: string, args: string[]): Promise<void> {
    const command = path.join(this.bin, tool);
    if (process.getuid?.() === 0) await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 60_000 });
    else await run(command, args, { timeout: 60_000 });
  }
}
