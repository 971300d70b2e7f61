/**
 * Plain exhaustive enumeration: a depth-first search over every choice point
 * of the run, with no reduction at all. At a schedule point every enabled task
 * is a branch, at a data point every value (a fault point's non-zero values
 * only while the fault budget lasts). Optionally a preemption bound prunes
 * schedule branches (off by default: the whole space).
 *
 * It is the reference the partial-order reduction is checked against (the
 * differential self-check, test/explore/differential.test.ts): on a program
 * small enough to enumerate, DPOR without a preemption bound must reach every
 * outcome this reaches. It needs nothing from the runs but their choice
 * points, so it trusts no footprint: a dependency the model forgets to record
 * cannot hide a schedule from it.
 *
 * Each run replays the current path (checking that every replayed point offers
 * the same choices: a model that does not is non-deterministic, a
 * ChoiceMismatch) and then extends it with the first branch of every new
 * point: the running task when it can go on, else the lowest enabled pid; no
 * fault. Backtracking advances the deepest point with a branch left.
 */
import { type ChoicePoint, type RunResult, type StepRecord, type Strategy, isPreemption } from '../sim/index.js';
import { ChoiceMismatch } from './common.js';
import type { SearchStrategy } from './search.js';

export interface ExhaustiveOptions {
  /** Fault budget per run (non-zero answers at fault points). */
  readonly faults: number;
  /** Preemption bound per run; -1, Infinity or absent for none. */
  readonly preemptions?: number;
}

interface Point {
  readonly kind: 'schedule' | 'data';
  /** The enabled pids (schedule) or the number of options (data): what a replay must find again. */
  readonly enabled: readonly number[];
  readonly options: number;
  /** The branches to explore, in order. */
  readonly branches: readonly number[];
  /** Preemption cost of each branch (schedule points). */
  readonly costs: readonly number[];
  /** Index of the branch of the current path. */
  at: number;
  /** Faults and preemptions on the path before this point. */
  readonly faults: number;
  readonly preemptions: number;
}

export class Exhaustive implements SearchStrategy {
  readonly name = 'exhaustive';
  readonly exhaustive = true;
  readonly faultBudget: number;
  readonly bound: number;
  private readonly path: Point[] = [];
  private started = false;
  private finished = false;
  private run: ExhaustiveRun | null = null;
  /** Runs that consumed fewer points than the path they replayed (the model took another way). */
  shortRuns = 0;
  /** Deepest path seen. */
  maxDepth = 0;

  constructor(opts: ExhaustiveOptions) {
    this.faultBudget = opts.faults;
    const p = opts.preemptions ?? -1;
    this.bound = p < 0 ? Number.POSITIVE_INFINITY : p;
  }

  next(): Strategy | null {
    if (this.finished) return null;
    if (this.started && !this.advance()) {
      this.finished = true;
      return null;
    }
    this.started = true;
    this.run = new ExhaustiveRun(this);
    return this.run;
  }

  done(_result: RunResult | null): void {
    const r = this.run;
    this.run = null;
    if (!r) return;
    if (r.depth < this.path.length) {
      // The run ended before reaching the end of the path it replayed: drop the rest, so that
      // backtracking does not offer branches of points this model does not reach.
      this.shortRuns++;
      this.path.length = r.depth;
    }
    if (this.path.length > this.maxDepth) this.maxDepth = this.path.length;
  }

  progress(): number | undefined {
    let f = 0;
    let w = 1;
    for (const p of this.path) {
      f += (w * p.at) / p.branches.length;
      w /= p.branches.length;
    }
    return f;
  }

  stats(): Record<string, number | string> {
    return { max_depth: this.maxDepth, short_runs: this.shortRuns };
  }

  // ---- used by ExhaustiveRun ----

  pointAt(depth: number): Point | undefined {
    return this.path[depth];
  }

  /** A new point at the end of the path, with its branches in order (the default continuation first). */
  extend(p: ChoicePoint, faults: number, preemptions: number): Point {
    const { branches, costs } = branchesAt(p, faults, preemptions, this.bound, this.faultBudget);
    const pt: Point = {
      kind: p.kind,
      enabled: p.kind === 'schedule' ? [...p.enabled] : [],
      options: p.kind === 'data' ? p.options : 0,
      branches,
      costs,
      at: 0,
      faults,
      preemptions,
    };
    this.path.push(pt);
    return pt;
  }

  private advance(): boolean {
    const path = this.path;
    while (path.length > 0) {
      const top = path[path.length - 1] as Point;
      if (top.at + 1 < top.branches.length) {
        top.at++;
        return true;
      }
      path.pop();
    }
    return false;
  }
}

/** One run of the enumeration: replays the path, then extends it. */
class ExhaustiveRun implements Strategy {
  private readonly x: Exhaustive;
  depth = 0;
  private faults = 0;
  private preemptions = 0;
  /** A mismatch found at a data point, raised where raising is safe (the next point or step end). */
  private pending: ChoiceMismatch | null = null;

  constructor(x: Exhaustive) {
    this.x = x;
  }

  choose(p: ChoicePoint): number {
    if (this.pending) throw this.pending;
    const depth = this.depth++;
    let pt = this.x.pointAt(depth);
    if (pt === undefined) pt = this.x.extend(p, this.faults, this.preemptions);
    else if (
      pt.kind !== p.kind ||
      (p.kind === 'schedule' ? !sameList(pt.enabled, p.enabled) : pt.options !== p.options)
    ) {
      const m = new ChoiceMismatch(depth, 'the model took a different path when replaying a prefix');
      if (p.kind === 'data') {
        // Raising inside task code would turn into an Oops of the model: defer it.
        this.pending = m;
        return 0;
      }
      throw m;
    }
    const v = pt.branches[pt.at] as number;
    if (p.kind === 'schedule') this.preemptions += pt.costs[pt.at] as number;
    else if (p.fault && v !== 0) this.faults++;
    return v;
  }

  stepped(_s: StepRecord): void {
    if (this.pending) throw this.pending;
  }
}

/**
 * The branches enumeration takes at a choice point, in order (the default continuation first: the
 * running task when it can go on, else the lowest enabled pid; no fault), and each schedule
 * branch's preemption cost: schedule branches within the preemption bound, data values within the
 * fault budget.
 */
export function branchesAt(
  p: ChoicePoint,
  faults: number,
  preemptions: number,
  bound: number,
  faultBudget: number,
): { branches: number[]; costs: number[] } {
  if (p.kind === 'data') {
    const branches = [0];
    if (!p.fault || faults + 1 <= faultBudget) for (let v = 1; v < p.options; v++) branches.push(v);
    return { branches, costs: [] };
  }
  const first = p.currentEnabled ? p.current : (p.enabled[0] as number);
  const branches: number[] = [];
  const costs: number[] = [];
  for (const q of [first, ...p.enabled.filter((x) => x !== first)]) {
    const c = isPreemption(p, q) ? 1 : 0;
    if (preemptions + c <= bound) {
      branches.push(q);
      costs.push(c);
    }
  }
  // The first branch never costs a preemption, so there is always one.
  return { branches, costs };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
