/**
 * Sessions as a user sees them, measured on a real server process with real Chromium against the sandbox, over
 * HTTP: boot, first QR, linking, restoring, crash recovery, sending, API latency and memory with many sessions.
 * Medians of BENCH_RUNS runs (default 3); see lib/options.ts for the other BENCH_* settings.
 *
 *   npm run bench                          this checkout (scripts/bench.sh builds it first)
 *   npm run bench -- --baseline <git ref>  also builds the ref in a temporary worktree and measures both,
 *                                          alternating, with the ratio current/baseline against issue 9's targets
 *
 * Run it under an init that reaps (tini -s, as scripts/bench.sh does): it SIGKILLs browsers on purpose.
 * Writes the figures as JSON to bench/last-run.json as well.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebhookReceiver } from '../test/e2e/receiver.js';
import { Runner, type Block } from './lib/block.js';
import { currentBuild, prepareBaseline, type Build } from './lib/builds.js';
import { onExit, undoAll, undoOnSignals } from './lib/cleanup.js';
import { describeMachine } from './lib/machine.js';
import { readOptions } from './lib/options.js';
import { printReport, reportJson, rowsOf } from './lib/report.js';
import { bootBlock } from './lib/blocks/boot.js';
import { fleetBlock } from './lib/blocks/fleet.js';
import { linkingBlock } from './lib/blocks/linking.js';
import { sendingBlock } from './lib/blocks/sending.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

async function main(): Promise<number> {
  const options = readOptions(process.argv.slice(2));
  undoOnSignals();
  const started = performance.now();
  try {
    const machine = await describeMachine();
    const builds: Build[] = [await currentBuild(ROOT)];
    if (options.baseline !== undefined) builds.unshift((await prepareBaseline(options.baseline, ROOT)).build);
    const receiver = await WebhookReceiver.start();
    onExit('stopping the webhook receiver', () => receiver.down());

    const blocks: Block[] = [bootBlock, linkingBlock, sendingBlock, fleetBlock(options)];
    const runner = new Runner(blocks, options, receiver);
    await runner.runAll(builds);

    const header = { machine, builds, options, seconds: (performance.now() - started) / 1000 };
    const rows = rowsOf(blocks, runner.results, options, builds.find((build) => build.label === 'baseline'));
    printReport(header, rows);
    await writeFile(path.join(HERE, 'last-run.json'), reportJson(header, rows));
    return runner.results.errors().length ? 1 : 0;
  } finally {
    await undoAll();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
