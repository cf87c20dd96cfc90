import { execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The base image the Dockerfile names; no registry can be pulled from here, so it is made locally. */
export const NODE_BASE_IMAGE = 'docker.io/library/node:20-bookworm-slim';

/**
 * Podman with its storage, configuration and runtime state in a temporary folder (removed by close()), so that
 * a test touches nothing of the machine's own containers. runc and the ulimits follow the machine's limits.
 */
export class Podman {
  private constructor(
    readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(): Promise<Podman> {
    const root = await mkdtemp(path.join(os.tmpdir(), 'wamux-podman-'));
    const storageConf = path.join(root, 'storage.conf');
    const containersConf = path.join(root, 'containers.conf');
    await writeFile(
      storageConf,
      `[storage]\ndriver = "overlay"\ngraphroot = "${root}/graph"\nrunroot = "${root}/run"\n`,
    );
    await writeFile(
      containersConf,
      `[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n` +
        `[network]\nnetwork_config_dir = "${root}/networks"\n` +
        `[engine]\nruntime = "runc"\ntmp_dir = "${root}/tmp"\n`,
    );
    const env = { ...process.env, CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf, TMPDIR: path.join(root, 'tmp') };
    await mkdir(path.join(root, 'tmp'), { recursive: true });
    await mkdir(path.join(root, 'networks'), { recursive: true });
    return new Podman(root, env);
  }

  /** Runs podman and resolves with its stdout; rejects with its stderr when it fails. */
  async podman(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const { stdout } = await run('podman', args, { env: this.env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 600_000 });
    return stdout;
  }

  /** podman with its output streamed to a log file (builds print a lot); rejects with the log's tail on failure. */
  async podmanLogged(args: string[], logFile: string, timeoutMs = 900_000): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('podman', args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', async (code) => {
        clearTimeout(timer);
        const output = Buffer.concat(chunks).toString();
        await writeFile(logFile, output);
        if (code === 0) resolve();
        else reject(new Error(`podman ${args[0]} failed (${code}):\n${output.slice(-4000)}`));
      });
    });
  }

  /**
   * The Dockerfile's base image, made from this machine: a Debian bookworm root from debootstrap plus this
   * machine's Node 20, its headers and npm, laid out as the official image has them (/usr/local), and npm told
   * to trust this machine's certificate authorities (the registry is reached through them).
   */
  async makeNodeBaseImage(logFile: string): Promise<void> {
    const rootfs = path.join(this.root, 'rootfs');
    await run('debootstrap', ['--variant=minbase', 'bookworm', rootfs, await debianMirror()], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }).catch(
      async (error: Error & { stdout?: string; stderr?: string }) => {
        await writeFile(logFile, `${error.stdout ?? ''}${error.stderr ?? ''}`);
        throw error;
      },
    );
    const local = path.join(rootfs, 'usr/local');
    await cp('/usr/bin/node', path.join(local, 'bin/node'));
    await cp('/usr/include/node', path.join(local, 'include/node'), { recursive: true });
    await cp('/usr/lib/node_modules/npm', path.join(local, 'lib/node_modules/npm'), { recursive: true });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(local, 'bin/npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(local, 'bin/npx'));
    await mkdir(path.join(local, 'share/ca-certificates'), { recursive: true });
    for (const name of await readdir('/usr/local/share/ca-certificates').catch(() => [] as string[])) {
      await cp(path.join('/usr/local/share/ca-certificates', name), path.join(local, 'share/ca-certificates', name), { recursive: true });
    }
    await mkdir(path.join(rootfs, 'etc/ssl/certs'), { recursive: true });
    await cp('/etc/ssl/certs/ca-certificates.crt', path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    await mkdir(path.join(local, 'etc'), { recursive: true });
    await writeFile(path.join(local, 'etc/npmrc'), 'cafile=/etc/ssl/certs/ca-certificates.crt\n');
    await new Promise<void>((resolve, reject) => {
      const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const imported = spawn('podman', ['import', '--change', 'CMD ["node"]', '-', NODE_BASE_IMAGE], { env: this.env, stdio: ['pipe', 'ignore', 'pipe'] });
      tar.stdout.pipe(imported.stdin);
      let stderr = '';
      imported.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      imported.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`podman import failed: ${stderr}`))));
    });
    await rm(rootfs, { recursive: true, force: true });
  }

  /** Removes every container, image and volume of this storage (nothing of the machine's own), then the folder. */
  async close(): Promise<void> {
    await this.podman(['rm', '--all', '--force', '--time', '5']).catch(() => undefined);
    await this.podman(['volume', 'rm', '--all', '--force']).catch(() => undefined);
    await this.podman(['rmi', '--all', '--force']).catch(() => undefined);
    // the overlay driver mounts inside its graph root: unmounted before the folder can go
    const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((line) => line.split(' ')[1] ?? '');
    for (const mount of mounts.filter((point) => point.startsWith(this.root)).reverse()) {
      await run('umount', ['--lazy', mount]).catch(() => undefined);
    }
    await rm(this.root, { recursive: true, force: true });
  }
}

/** The Debian mirror this machine's apt uses. */
async function debianMirror(): Promise<string> {
  const sources = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(sources)) {
    const uri = /^URIs:\s*(\S+)/m.exec(await readFile(sources, 'utf8'))?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}
