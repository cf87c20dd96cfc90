import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

export interface Machine {
  cores: number;
  memoryGiB: number;
  node: string;
  chromium: string;
}

const CHROMIUM = process.env.CHROME_BIN ?? '/usr/lib/chromium/chromium';

export async function describeMachine(): Promise<Machine> {
  const chromium = await promisify(execFile)(CHROMIUM, ['--version'])
    .then(({ stdout }) => stdout.trim())
    .catch((error: unknown) => `unknown (${CHROMIUM} --version: ${error instanceof Error ? error.message : String(error)})`);
  return { cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, chromium };
}
