/**
 * The builds a bench run measures: this checkout as built (dist/), and optionally a baseline git ref built in a
 * temporary worktree that is removed afterwards, also when the bench fails or is interrupted.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, realpath, rm, stat, symlink, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onExit } from './cleanup.js';

export type BuildLabel = 'baseline' | 'current';

export interface Build {
  label: BuildLabel;
  /** The ref as given (--baseline), or "HEAD + working tree" for this checkout. */
  ref: string;
  commit: string;
  /** One line for the report: short hash, subject, what else is in it. */
  description: string;
  /** The checkout the server runs from: dist/main.js and node_modules there. */
  root: string;
  wwebjsVersion: string;
  /** Something the reader should know about this build (a stale dist/, say); empty when all is well. */
  warnings: string[];
}

const run = promisify(execFile);

async function git(cwd: string, ...args: string[]): Promise<string> {
  return (await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
}

/** Runs a build step with its output on stderr (progress, not the report); rejects on a non-zero exit. */
function step(cwd: string, command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', process.stderr, process.stderr] });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} in ${cwd} failed (${signal ?? code})`)),
    );
  });
}

async function wwebjsVersion(root: string): Promise<string> {
  const text = await readFile(path.join(root, 'node_modules/whatsapp-web.js/package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** The newest modification time under a folder (ms), to tell whether dist/ was built from the sources there. */
async function newestUnder(folder: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** This checkout, run from its dist/ as it is (scripts/bench.sh builds it first). */
export async function currentBuild(root: string): Promise<Build> {
  const commit = await git(root, 'rev-parse', '--short', 'HEAD');
  const subject = await git(root, 'log', '-1', '--format=%s');
  const changed = await git(root, 'status', '--porcelain', '--', 'src', 'package.json', 'package-lock.json', 'tsconfig.json');
  const warnings: string[] = [];
  const built = await stat(path.join(root, 'dist/main.js')).catch(() => undefined);
  if (!built) throw new Error(`${root}/dist/main.js is missing: build first (npx tsc -p tsconfig.json, or npm run bench)`);
  if ((await newestUnder(path.join(root, 'src'))) > built.mtimeMs) warnings.push('src/ is newer than dist/: the figures are of an older build');
  return {
    label: 'current',
    ref: 'HEAD + working tree',
    commit,
    description: `${commit} ${subject}${changed ? ' (+ uncommitted changes)' : ''}`,
    root,
    wwebjsVersion: await wwebjsVersion(root),
    warnings,
  };
}

/**
 * Checks the ref out in a temporary worktree (git worktree add --detach), gives it node_modules (a symlink to this
 * checkout's when package-lock.json is identical, npm ci otherwise) and builds it (tsc). The worktree is removed at
 * exit through cleanup.ts; the returned function removes it sooner.
 */
export async function prepareBaseline(ref: string, currentRoot: string): Promise<{ build: Build; remove: () => Promise<void> }> {
  const commit = await git(currentRoot, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`).catch(() => {
    throw new Error(`--baseline ${ref}: not a commit in this repository`);
  });
  const parent = await mkdtemp(path.join(os.tmpdir(), 'wamux-baseline-'));
  const dir = path.join(parent, 'wamux');
  const remove = onExit(`removing the baseline worktree ${dir}`, async () => {
    // the node_modules link goes first, by itself: nothing below may ever walk into the linked checkout's packages
    await unlink(path.join(dir, 'node_modules')).catch(() => {});
    await git(currentRoot, 'worktree', 'remove', '--force', dir).catch(() => {});
    await rm(parent, { recursive: true, force: true });
    // only when git still lists ours (an add that failed halfway): prune touches no worktree whose folder exists
    if ((await git(currentRoot, 'worktree', 'list', '--porcelain')).split('\n').includes(`worktree ${dir}`)) await git(currentRoot, 'worktree', 'prune');
  });
  try {
    console.error(`bench: building baseline ${ref} (${commit.slice(0, 7)}) in ${dir}`);
    await git(currentRoot, 'worktree', 'add', '--detach', dir, commit);
    const baselineLock = await git(currentRoot, 'show', `${commit}:package-lock.json`);
    const currentLock = (await readFile(path.join(currentRoot, 'package-lock.json'), 'utf8')).trim();
    if (baselineLock === currentLock) {
      await symlink(await realpath(path.join(currentRoot, 'node_modules')), path.join(dir, 'node_modules'), 'dir');
    } else {
      console.error('bench: the baseline has another package-lock.json: npm ci there');
      await step(dir, 'npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { PUPPETEER_SKIP_DOWNLOAD: '1' });
    }
    await step(dir, 'npx', ['tsc', '-p', 'tsconfig.json']);
    const subject = await git(dir, 'log', '-1', '--format=%s');
    const short = commit.slice(0, 7);
    const build: Build = {
      label: 'baseline',
      ref,
      commit: short,
      description: `${short} ${subject}${baselineLock === currentLock ? '' : ' (own node_modules: npm ci)'}`,
      root: dir,
      wwebjsVersion: await wwebjsVersion(dir),
      warnings: [],
    };
    return { build, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
