import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results, Runner, buildOrder, type Block } from '../../bench/lib/block.js';
import type { Build } from '../../bench/lib/builds.js';
import { absoluteTarget, describeTarget, judge, ratioOf, ratioTarget, type FigureSpec } from '../../bench/lib/figures.js';
import { baselineArgument, readOptions } from '../../bench/lib/options.js';
import { rowsOf } from '../../bench/lib/report.js';
import { median, percentile } from '../../bench/lib/stats.js';
import type { WebhookReceiver } from '../../test/e2e/receiver.js';

const build = (label: Build['label']): Build => ({ label, ref: label, commit: 'abc1234', description: label, root: `/tmp/${label}`, wwebjsVersion: '1', warnings: [] });

test('bench: builds alternate, baseline first in even runs', () => {
  const builds = [build('current'), build('baseline')];
  assert.deepEqual(buildOrder(builds, 0).map((b) => b.label), ['baseline', 'current']);
  assert.deepEqual(buildOrder(builds, 1).map((b) => b.label), ['current', 'baseline']);
  assert.deepEqual(buildOrder(builds, 2).map((b) => b.label), ['baseline', 'current']);
  assert.deepEqual(buildOrder([build('current')], 1).map((b) => b.label), ['current']);
});

test('bench: targets are judged on the ratio, or on the current value when absolute', () => {
  const faster: FigureSpec = { id: 'a', name: 'a', unit: 'msg/s', target: ratioTarget('>=', 2) };
  const fewer: FigureSpec = { id: 'b', name: 'b', unit: 'processes', target: absoluteTarget('<=', 5) };
  const quick: FigureSpec = { id: 'c', name: 'c', unit: 'ms', target: absoluteTarget('<', 100) };
  assert.equal(judge(faster, 60, ratioOf(60, 30)), 'PASS');
  assert.equal(judge(faster, 59, ratioOf(59, 30)), 'MISS');
  assert.equal(judge(faster, 59, undefined), undefined);
  assert.equal(judge(fewer, 5, undefined), 'PASS');
  assert.equal(judge(fewer, 9, 1), 'MISS');
  assert.equal(judge(quick, 100, undefined), 'MISS');
  assert.equal(judge({ id: 'd', name: 'd', unit: 'ms' }, 1, 1), undefined);
  assert.equal(ratioOf(1, 0), undefined);
  assert.equal(describeTarget(faster), '≥ 2×');
  assert.equal(describeTarget(fewer), '≤ 5');
  assert.equal(describeTarget(quick), '< 100 ms');
});

test('bench: medians and nearest-rank percentiles', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(hundred, 50), 50);
  assert.equal(percentile(hundred, 99), 99);
  assert.equal(percentile([7], 99), 7);
});

test('bench: --baseline is read from the arguments; anything else is refused', () => {
  assert.equal(baselineArgument([]), undefined);
  assert.equal(baselineArgument(['--baseline', 'v1']), 'v1');
  assert.equal(baselineArgument(['--baseline=HEAD~2']), 'HEAD~2');
  assert.throws(() => baselineArgument(['--baseline']), /needs a git ref/);
  assert.throws(() => baselineArgument(['--fast']), /unknown argument/);
  assert.deepEqual(readOptions([]).memorySessions, [1, 5, 20]);
});

test('bench: a probe that says no gives n/a for that build; a failure keeps what was recorded before it', async () => {
  const block: Block = {
    name: 'feature',
    schedule: 'every-run',
    figures: [
      { id: 'first', name: 'first', unit: 'ms', target: ratioTarget('<=', 0.5) },
      { id: 'second', name: 'second', unit: 'ms' },
    ],
    probe: async (context) => (context.build.label === 'baseline' ? 'no such feature' : undefined),
    measure: async (context, record) => {
      record('first', 10 + context.run);
      if (context.run === 1) throw new Error('broke');
      record('second', 1);
    },
  };
  const options = { ...readOptions([]), runs: 2 };
  const runner = new Runner([block], options, {} as WebhookReceiver);
  const progress: string[] = [];
  runner.progress = (text) => progress.push(text);
  await runner.runAll([build('current'), build('baseline')]);
  const [first, second] = rowsOf([block], runner.results, options, build('baseline'));
  assert.deepEqual(first!.current.samples, [10, 11]);
  assert.equal(first!.baseline!.unavailable, 'no such feature');
  assert.equal(first!.verdict, undefined);
  assert.deepEqual(second!.current.samples, [1]);
  assert.equal(second!.current.errors.length, 1);
  assert.equal(first!.current.errors.length, 0);
  assert.equal(new Results().errors().length, 0);
});
