/**
 * A block measures a few figures on one build. The runner runs every block on every build, alternating the order of
 * the builds from run to run so that drift (other load, a warming machine) hits both equally.
 *
 * To add figures for a feature only some builds have (hibernation, say): write a block with a probe that returns
 * why a build cannot run it (e.g. `missingRoute(server, 'post', '/api/v1/sessions/{id}/hibernate')`); that build's
 * figures then read "n/a" and are not judged.
 */
import type { ServerProcess } from '../../test/e2e/harness.js';
import type { WebhookReceiver } from '../../test/e2e/receiver.js';
import type { Build, BuildLabel } from './builds.js';
import type { FigureSpec } from './figures.js';
import type { BenchOptions } from './options.js';
import { startServer, type BenchServer } from './server.js';

/** every-run: once in each of the BENCH_RUNS runs; once: in the first run only (for blocks too slow to repeat). */
export type Schedule = 'every-run' | 'once';

export interface BlockContext {
  build: Build;
  /** 0-based run number. */
  run: number;
  options: BenchOptions;
  /** A webhook receiver on loopback, shared by every block. */
  receiver: WebhookReceiver;
  /** The server the blocks of this build share in this run: started on first use, killed when the run of the build ends. */
  sharedServer(): Promise<ServerProcess>;
  /** A server of the block's own, killed when the block ends (or sooner with dispose). */
  ownServer(): Promise<BenchServer>;
  /** A progress line on stderr (the report goes to stdout). */
  progress(message: string): void;
}

export interface Block {
  name: string;
  schedule: Schedule;
  figures: readonly FigureSpec[];
  /** undefined when the build can run this block; otherwise why not: its figures read n/a for that build. Asked once per build. */
  probe?(context: BlockContext): Promise<string | undefined>;
  /**
   * Measures this run's figures, handing each to record(figureId, value) as soon as it has it: a block that fails
   * halfway keeps what it recorded before, and only the figures it did not record are marked as failed.
   */
  measure(context: BlockContext, record: (figureId: string, value: number) => void): Promise<void>;
}

export interface FigureResult {
  samples: number[];
  /** Why the build has no such figure (a probe said so). */
  unavailable?: string;
  errors: string[];
}

/** Every sample, per build and figure. */
export class Results {
  private readonly byKey = new Map<string, FigureResult>();

  get(label: BuildLabel, figureId: string): FigureResult {
    const key = `${label}\0${figureId}`;
    let result = this.byKey.get(key);
    if (!result) this.byKey.set(key, (result = { samples: [], errors: [] }));
    return result;
  }

  errors(): string[] {
    return [...this.byKey.values()].flatMap((result) => result.errors);
  }
}

/** The builds in the order of this run: baseline first in even runs, current first in odd ones. */
export function buildOrder(builds: readonly Build[], run: number): Build[] {
  const sorted = [...builds].sort((a, b) => (a.label === b.label ? 0 : a.label === 'baseline' ? -1 : 1));
  return run % 2 === 0 ? sorted : sorted.reverse();
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Runner {
  readonly results = new Results();
  private readonly probed = new Map<string, string | undefined>();
  private readonly started = Date.now();

  constructor(
    private readonly blocks: readonly Block[],
    private readonly options: BenchOptions,
    private readonly receiver: WebhookReceiver,
  ) {}

  progress(text: string): void {
    console.error(`[${Math.round((Date.now() - this.started) / 1000)} s] ${text}`);
  }

  async runAll(builds: readonly Build[]): Promise<void> {
    for (let run = 0; run < this.options.runs; run++) {
      for (const build of buildOrder(builds, run)) await this.runBuild(build, run);
    }
  }

  private async runBuild(build: Build, run: number): Promise<void> {
    let shared: BenchServer | undefined;
    const own: BenchServer[] = [];
    const context: BlockContext = {
      build,
      run,
      options: this.options,
      receiver: this.receiver,
      sharedServer: async () => (shared ??= await startServer(build)).server,
      ownServer: async () => {
        const started = await startServer(build);
        own.push(started);
        return started;
      },
      progress: (text) => this.progress(`run ${run + 1}/${this.options.runs} ${build.label}: ${text}`),
    };
    try {
      for (const block of this.blocks) {
        if (block.schedule === 'once' && run !== 0) continue;
        const recorded = new Set<string>();
        try {
          const unavailable = await this.probe(block, context);
          if (unavailable !== undefined) {
            for (const figure of block.figures) this.results.get(build.label, figure.id).unavailable = unavailable;
            context.progress(`${block.name}: n/a (${unavailable})`);
            continue;
          }
          context.progress(block.name);
          await block.measure(context, (figureId, value) => {
            if (!block.figures.some((figure) => figure.id === figureId)) throw new Error(`${block.name} has no figure '${figureId}'`);
            recorded.add(figureId);
            this.results.get(build.label, figureId).samples.push(value);
          });
        } catch (error) {
          const text = `${build.label}, run ${run + 1}, ${block.name}: ${message(error)}`;
          context.progress(`FAILED ${text}`);
          for (const figure of block.figures) if (!recorded.has(figure.id)) this.results.get(build.label, figure.id).errors.push(text);
          // a server left in an unknown state is not one to measure the next block on
          await shared?.dispose();
          shared = undefined;
        } finally {
          for (const server of own.splice(0)) await server.dispose();
        }
      }
    } finally {
      await shared?.dispose();
    }
  }

  private async probe(block: Block, context: BlockContext): Promise<string | undefined> {
    if (!block.probe) return undefined;
    const key = `${context.build.label}\0${block.name}`;
    if (!this.probed.has(key)) this.probed.set(key, await block.probe(context));
    return this.probed.get(key);
  }
}
