/**
 * The whatsapp-web.js adapter against the sandbox, with real Chromium: a destroy() that lands while initialize() is
 * still launching the browser must leave no browser behind (the library's own destroy() finds none yet, and the
 * one it launches a moment later would outlive the session).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DEBIAN_CHROMIUM } from '../../src/browser/chromium.js';
import { ProcfsProcessTable } from '../../src/browser/process-table.js';
import { processesForProfile } from '../../src/browser/profile-processes.js';
import { describeError } from '../../src/shared/errors.js';
import { createSilentLogger } from '../../src/shared/logger.js';
import { SandboxHub } from '../../src/sandbox/sandbox-hub.js';
import { createWwebjsClientFactory } from '../../src/wa/wwebjs-factory.js';
import type { WaClientFactory } from '../../src/wa/wa-client.js';

process.on('unhandledRejection', (reason) => {
  console.error('[wwebjs-client.test] unhandled rejection:', describeError(reason));
});

const processes = new ProcfsProcessTable();
let hub: SandboxHub;
let dataPath: string;
let factory: WaClientFactory;

before(async () => {
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'wamux-client-'));
  const logger = createSilentLogger();
  hub = await SandboxHub.create({ logger });
  factory = createWwebjsClientFactory({
    executablePath: DEBIAN_CHROMIUM,
    webVersionCache: 'none',
    leanChromium: true,
    chromiumLowEndMode: true,
    logger,
    connectionArgs: async (options) => (await hub.endpointFor(options.sessionId, { qrIntervalMs: options.qrIntervalMs })).chromiumArgs,
  });
});

after(async () => {
  for (const info of await processes.list()) {
    if (info.args.some((arg) => arg.includes(dataPath))) processes.signal(info.pid, 'SIGKILL');
  }
  await hub?.close();
  await rm(dataPath, { recursive: true, force: true });
});

function options(sessionId: string) {
  return {
    sessionId,
    profileParent: dataPath,
    headless: true,
    authTimeoutMs: 30_000,
    qrMaxRetries: 0,
    chromiumArgs: [],
    sandbox: true,
    qrIntervalMs: 20_000,
  };
}

/** Checks, until the deadline, that no process names the profile; the first one seen fails the test. */
async function noBrowserAppearsFor(profileDir: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = await processesForProfile(processes, profileDir);
    assert.deepEqual(found.map((info) => `${info.pid} ${info.args[0]}`), [], 'a browser outlived destroy()');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('destroy() right after initialize() began: the launching browser is closed, none is left', { timeout: 60_000 }, async () => {
  for (const sessionId of ['race-1', 'race-2', 'race-3']) {
    const client = await factory(options(sessionId));
    const initialized = client.initialize().then(
      () => 'initialized',
      () => 'initialize failed',
    );
    await client.destroy();
    // long enough for a launch that escaped destroy() to show up (a launch takes well under a second here)
    await noBrowserAppearsFor(path.join(dataPath, `session-${sessionId}`), 3_000);
    assert.equal(await initialized, 'initialize failed', 'the interrupted start fails rather than hangs');
  }
});

test('destroy() once the page is up closes the browser and every process of the profile', { timeout: 60_000 }, async () => {
  const client = await factory(options('settled'));
  const qr = new Promise<void>((resolve) => client.on('qr', () => resolve()));
  void client.initialize().catch(() => undefined);
  await qr;
  assert.ok(client.browserPid());
  await client.destroy();
  await noBrowserAppearsFor(path.join(dataPath, 'session-settled'), 1_000);
});
