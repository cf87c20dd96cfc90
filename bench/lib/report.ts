/** The bench's report: a Markdown table on stdout, and the same figures as JSON. */
import type { Block, FigureResult, Results } from './block.js';
import type { Build } from './builds.js';
import { describeTarget, formatValue, judge, ratioOf, type FigureSpec, type Verdict } from './figures.js';
import type { Machine } from './machine.js';
import type { BenchOptions } from './options.js';
import { median } from './stats.js';

interface Side {
  median: number | undefined;
  samples: number[];
  unavailable?: string;
  errors: string[];
}

export interface Row {
  id: string;
  name: string;
  unit: FigureSpec['unit'];
  target: string;
  runs: string;
  current: Side;
  baseline?: Side;
  ratio?: number;
  verdict?: Verdict;
}

function side(result: FigureResult): Side {
  return {
    median: result.samples.length ? median(result.samples) : undefined,
    samples: result.samples,
    ...(result.unavailable === undefined ? {} : { unavailable: result.unavailable }),
    errors: result.errors,
  };
}

export function rowsOf(blocks: readonly Block[], results: Results, options: BenchOptions, baseline: Build | undefined): Row[] {
  return blocks.flatMap((block) =>
    block.figures.map((spec): Row => {
      const current = side(results.get('current', spec.id));
      const base = baseline ? side(results.get('baseline', spec.id)) : undefined;
      const ratio = ratioOf(current.median, base?.median);
      const verdict = judge(spec, current.median, ratio);
      return {
        id: spec.id,
        name: spec.name,
        unit: spec.unit,
        target: describeTarget(spec),
        runs: block.schedule === 'once' ? 'once per build' : `${options.runs}`,
        current,
        ...(base ? { baseline: base } : {}),
        ...(ratio === undefined ? {} : { ratio }),
        ...(verdict === undefined ? {} : { verdict }),
      };
    }),
  );
}

function cell(row: Row, value: Side): string {
  if (value.unavailable !== undefined) return 'n/a';
  if (value.median === undefined) return value.errors.length ? 'error' : '-';
  return formatValue(row.unit, value.median);
}

const samplesOf = (row: Row, value: Side): string => (value.unavailable !== undefined ? 'n/a' : value.samples.map((sample) => formatValue(row.unit, sample)).join(' ') || '-');
const unitOf = (row: Row): string => (row.unit === 'processes' ? '' : row.unit);

export interface ReportHeader {
  machine: Machine;
  builds: readonly Build[];
  options: BenchOptions;
  seconds: number;
}

export function printReport(header: ReportHeader, rows: readonly Row[]): void {
  const { machine, builds, options } = header;
  const current = builds.find((build) => build.label === 'current');
  const baseline = builds.find((build) => build.label === 'baseline');
  const wwebjs = [...new Set(builds.map((build) => build.wwebjsVersion))].join(' / ');
  const minutes = `${Math.floor(header.seconds / 60)} min ${Math.round(header.seconds % 60)} s`;
  console.log(`sessions bench: ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, ${machine.chromium}, whatsapp-web.js ${wwebjs}`);
  if (current) console.log(`current:  ${current.description} [${current.ref}, ${current.root}]`);
  if (baseline) console.log(`baseline: ${baseline.description} [--baseline ${baseline.ref}]`);
  const order = baseline ? ', builds alternating (baseline first in runs 1, 3, ..., current first in runs 2, 4, ...)' : '';
  console.log(`${options.runs} runs per build${order}; medians; took ${minutes}`);
  console.log('');
  if (baseline) {
    console.log('| figure | baseline | current | unit | current/baseline | target (issue 9) | verdict | runs | samples baseline / current |');
    console.log('| --- | ---: | ---: | --- | ---: | --- | --- | --- | --- |');
    for (const row of rows) {
      const base = row.baseline!;
      const ratio = row.ratio === undefined ? '-' : `${row.ratio.toFixed(2)}×`;
      console.log(
        `| ${row.name} | ${cell(row, base)} | ${cell(row, row.current)} | ${unitOf(row)} | ${ratio} | ${row.target} | ${row.verdict ?? '-'} | ${row.runs} | ${samplesOf(row, base)} / ${samplesOf(row, row.current)} |`,
      );
    }
  } else {
    console.log('| figure | median | unit | target (issue 9; ratios need --baseline) | verdict | runs | samples |');
    console.log('| --- | ---: | --- | --- | --- | --- | --- |');
    for (const row of rows) {
      console.log(`| ${row.name} | ${cell(row, row.current)} | ${unitOf(row)} | ${row.target} | ${row.verdict ?? '-'} | ${row.runs} | ${samplesOf(row, row.current)} |`);
    }
  }
  const notes = new Set<string>();
  for (const build of builds) for (const warning of build.warnings) notes.add(`${build.label}: ${warning}`);
  for (const row of rows) {
    for (const value of [row.current, row.baseline]) {
      if (value?.unavailable !== undefined) notes.add(`n/a: ${row.name}: ${value.unavailable}`);
      for (const error of value?.errors ?? []) notes.add(`error: ${error}`);
    }
  }
  if (notes.size) console.log(['', ...[...notes].map((note) => `- ${note}`)].join('\n'));
}

export function reportJson(header: ReportHeader, rows: readonly Row[]): string {
  const builds = header.builds.map(({ label, ref, commit, description, root, wwebjsVersion, warnings }) => ({ label, ref, commit, description, root, wwebjsVersion, warnings }));
  return JSON.stringify({ at: new Date().toISOString(), seconds: Math.round(header.seconds), machine: header.machine, options: header.options, builds, figures: rows }, null, 2);
}
