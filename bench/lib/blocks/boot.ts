import { performance } from 'node:perf_hooks';
import { pollUntil } from '../../../test/e2e/harness.js';
import type { Block } from '../block.js';
import { ratioTarget } from '../figures.js';
import { median, since } from '../stats.js';

/** Boots per run: one boot takes a second or two, and alone it is at the mercy of whatever else the machine does. */
const BOOTS = 3;

/** From spawning the server process to its first 200 on /health (no sessions to restore); each run's figure is the median of 3 boots. */
export const bootBlock: Block = {
  name: 'boot -> /health',
  schedule: 'every-run',
  figures: [{ id: 'boot', name: `boot -> /health (median of ${BOOTS} per run)`, unit: 'ms', target: ratioTarget('<=', 0.5) }],
  async measure(context, record) {
    const boots: number[] = [];
    for (let boot = 0; boot < BOOTS; boot++) {
      const start = performance.now();
      const { server, dispose } = await context.ownServer();
      await pollUntil(async () => (await server.api('GET', '/health')).status === 200, { what: '/health', intervalMs: 5 });
      boots.push(since(start));
      await dispose();
    }
    record('boot', median(boots));
  },
};
