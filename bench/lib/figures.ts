/** What a figure is, what issue 9 asks of it, and whether a measurement meets that. */
export type Unit = 'ms' | 'MiB' | 'msg/s' | 'processes';

/**
 * ratio: current / baseline against a bound (judged only with --baseline);
 * absolute: the current build's own value against a bound.
 */
export type Target =
  | { kind: 'ratio'; op: '>=' | '<='; bound: number }
  | { kind: 'absolute'; op: '<=' | '<'; bound: number };

export interface FigureSpec {
  id: string;
  name: string;
  unit: Unit;
  target?: Target;
}

export type Verdict = 'PASS' | 'MISS';

export const ratioTarget = (op: '>=' | '<=', bound: number): Target => ({ kind: 'ratio', op, bound });
export const absoluteTarget = (op: '<=' | '<', bound: number): Target => ({ kind: 'absolute', op, bound });

function meets(value: number, op: '>=' | '<=' | '<', bound: number): boolean {
  if (op === '>=') return value >= bound;
  if (op === '<=') return value <= bound;
  return value < bound;
}

export function describeTarget(spec: FigureSpec): string {
  const target = spec.target;
  if (!target) return '-';
  const op = target.op === '>=' ? '≥' : target.op === '<=' ? '≤' : '<';
  return target.kind === 'ratio' ? `${op} ${target.bound}×` : `${op} ${target.bound}${spec.unit === 'processes' ? '' : ` ${spec.unit}`}`;
}

/** current/baseline, when both were measured. */
export function ratioOf(current: number | undefined, baseline: number | undefined): number | undefined {
  if (current === undefined || baseline === undefined || !Number.isFinite(current) || !Number.isFinite(baseline) || baseline === 0) return undefined;
  return current / baseline;
}

/** PASS or MISS when the target can be judged with what was measured; undefined when it cannot. */
export function judge(spec: FigureSpec, current: number | undefined, ratio: number | undefined): Verdict | undefined {
  const target = spec.target;
  if (!target) return undefined;
  const value = target.kind === 'ratio' ? ratio : current;
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return meets(value, target.op, target.bound) ? 'PASS' : 'MISS';
}

export function formatValue(unit: Unit, value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return unit === 'ms' || unit === 'MiB' ? value.toFixed(0) : value.toFixed(1);
}
