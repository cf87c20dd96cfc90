import { performance } from 'node:perf_hooks';
import { pollUntil } from '../../../test/e2e/harness.js';
import type { Block } from '../block.js';
import { ratioTarget } from '../figures.js';
import { since } from '../stats.js';

/** From spawning the server process to its first 200 on /health (no sessions to restore). */
export const bootBlock: Block = {
  name: 'boot -> /health',
  schedule: 'every-run',
  figures: [{ id: 'boot', name: 'boot -> /health', unit: 'ms', target: ratioTarget('<=', 0.5) }],
  async measure(context, record) {
    const start = performance.now();
    const { server, dispose } = await context.ownServer();
    await pollUntil(async () => (await server.api('GET', '/health')).status === 200, { what: '/health', intervalMs: 5 });
    record('boot', since(start));
    await dispose();
  },
};
