import { performance } from 'node:perf_hooks';
import { signalPid, type ServerProcess } from '../../../test/e2e/harness.js';
import type { Block } from '../block.js';
import { ratioTarget } from '../figures.js';
import { mainBrowserOf, settle, timeUntilStatus, timeUntilWorkingAgain } from '../server.js';
import { median, since } from '../stats.js';

/** Creates `count` sessions at once and times each until its first QR code; deletes them afterwards. */
async function firstQr(server: ServerProcess, count: number, tag: string): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, i) => `qr${count}-${tag}-${i}`);
  const latencies = await Promise.all(
    ids.map(async (sessionId) => {
      const start = performance.now();
      const created = await server.api('POST', '/api/v1/sessions', { sessionId, waitForQR: true });
      if (created.body.status !== 'SCAN_QR_CODE') throw new Error(`${sessionId}: ${created.status} ${JSON.stringify(created.body)}`);
      return since(start);
    }),
  );
  for (const sessionId of ids) await server.api('DELETE', `/api/v1/sessions/${sessionId}`);
  return latencies;
}

/**
 * A session's life as a user meets it: first QR (alone, and five created together), scan -> WORKING, a restart
 * from the login saved in the profile, and recovery after its browser is SIGKILLed (the server notices the lost
 * browser and starts it again; the first crash restarts at once, later ones within RESTART_COOLDOWN_MS wait for it,
 * so every run uses a session of its own that has not crashed before).
 */
export const linkingBlock: Block = {
  name: 'first QR, linking, restore, crash recovery',
  schedule: 'every-run',
  figures: [
    { id: 'qr-1', name: 'create -> first QR, 1 session', unit: 'ms' },
    { id: 'qr-5-median', name: 'create -> first QR, 5 at once (median)', unit: 'ms' },
    { id: 'qr-5-slowest', name: 'create -> first QR, 5 at once (slowest)', unit: 'ms', target: ratioTarget('<=', 0.5) },
    { id: 'scan', name: 'scan -> WORKING', unit: 'ms', target: ratioTarget('<=', 0.4) },
    { id: 'restore', name: 'restored login -> WORKING', unit: 'ms', target: ratioTarget('<=', 0.7) },
    { id: 'crash', name: 'browser SIGKILL -> WORKING (first crash: no cooldown)', unit: 'ms' },
  ],
  async measure(context, record) {
    const server = await context.sharedServer();
    const tag = `${context.run}`;
    const [one] = await firstQr(server, 1, tag);
    record('qr-1', one!);
    const five = await firstQr(server, 5, tag);
    record('qr-5-median', median(five));
    record('qr-5-slowest', Math.max(...five));

    const sessionId = `link-${tag}`;
    await server.api('POST', '/api/v1/sessions', { sessionId, waitForQR: true });
    const scanStart = performance.now();
    const scan = await server.api('POST', `/api/v1/sessions/${sessionId}/sandbox/scan`, { phone: `1555000${tag.padStart(4, '0')}` });
    if (scan.status !== 200) throw new Error(`scan ${sessionId}: ${scan.status} ${JSON.stringify(scan.body)}`);
    record('scan', await timeUntilStatus(server, sessionId, 'WORKING', scanStart));

    // page storage reaches the profile lazily: the restore is measured once the login is on disk (as after a while)
    await settle(6_000);
    await server.api('POST', `/api/v1/sessions/${sessionId}/stop`);
    const restoreStart = performance.now();
    await server.api('POST', `/api/v1/sessions/${sessionId}/start`);
    record('restore', await timeUntilStatus(server, sessionId, 'WORKING', restoreStart));

    // the restored session's login is on disk, so its crash restart logs in again without a QR code
    const browser = await mainBrowserOf(server, sessionId);
    const killedAt = Date.now();
    const crashStart = performance.now();
    if (!signalPid(browser.pid, 'SIGKILL')) throw new Error(`browser ${browser.pid} of ${sessionId} was already gone`);
    record('crash', await timeUntilWorkingAgain(server, sessionId, killedAt, crashStart));
    await server.api('DELETE', `/api/v1/sessions/${sessionId}`);
  },
};
