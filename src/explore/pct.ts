/**
 * PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010) with bug
 * depth d. Tasks get random distinct priorities when first seen (a random
 * slot among the known ones, as in shuttle); d-1 change points are drawn
 * uniformly in [1, k]; at the j-th change point the running task's priority
 * drops below every initial priority. The highest-priority enabled task runs.
 * Only schedule points with more than one enabled task count as steps (the
 * machine asks only at those). k is learnt from earlier runs (the longest run
 * seen so far), as shuttle does; n is the most tasks seen in one run.
 * Each run finds a bug of depth d with probability >= 1/(n*k^(d-1)).
 * Data points: uniformly random while the fault budget lasts.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { ChoicePoint, RunResult, Strategy } from '../sim/index.js';
import { runRng } from './random.js';
import type { SearchStrategy } from './search.js';

type Rng = ReturnType<typeof runRng>;

export class PctRun implements Strategy {
  private readonly rng: Rng;
  /** Task pids, highest priority first. */
  private readonly order: number[] = [];
  /** Lowered tasks: pid -> change-point index (lower index = lower priority). */
  private readonly lowered = new Map<number, number>();
  private readonly changeAt: Map<number, number>;
  private readonly faultBudget: number;
  private faults = 0;
  /** Counted schedule points so far. */
  points = 0;
  tasks = 0;

  constructor(rng: Rng, depth: number, k: number, faultBudget: number) {
    this.rng = rng;
    this.faultBudget = faultBudget;
    this.changeAt = new Map();
    for (let j = 1; j < depth; j++) this.changeAt.set(uniformInt(rng, 1, Math.max(1, k)), depth - j);
  }

  private see(pid: number): void {
    if (this.order.includes(pid) || this.lowered.has(pid)) return;
    this.order.splice(uniformInt(this.rng, 0, this.order.length), 0, pid);
    this.tasks++;
  }

  choose(p: ChoicePoint): number {
    if (p.kind === 'data') {
      if (p.fault && this.faults >= this.faultBudget) return 0;
      const v = uniformInt(this.rng, 0, p.options - 1);
      if (p.fault && v !== 0) this.faults++;
      return v;
    }
    for (const q of p.enabled) this.see(q);
    this.points++;
    let best = this.highest(p.enabled);
    const j = this.changeAt.get(this.points);
    if (j !== undefined) {
      const i = this.order.indexOf(best);
      if (i >= 0) this.order.splice(i, 1);
      this.lowered.set(best, j);
      best = this.highest(p.enabled);
    }
    return best;
  }

  private highest(enabled: readonly number[]): number {
    for (const q of this.order) if (enabled.includes(q)) return q;
    let best = enabled[0] as number;
    let bl = -1;
    for (const q of enabled) {
      const l = this.lowered.get(q) ?? -1;
      if (l > bl) {
        bl = l;
        best = q;
      }
    }
    return best;
  }
}

export interface PctOptions {
  readonly seed: number;
  readonly depth: number;
  readonly faults: number;
  readonly first?: number;
  readonly count?: number;
  /** Initial estimate of k (steps with more than one enabled task). */
  readonly k?: number;
}

export class PctSearch implements SearchStrategy {
  readonly name = 'pct';
  readonly exhaustive = false;
  readonly depth: number;
  private i: number;
  private readonly end: number;
  private readonly seed: number;
  private readonly faults: number;
  /** Largest number of counted schedule points seen (PCT's k). */
  k: number;
  /** Largest number of tasks seen in one run (PCT's n). */
  n = 1;
  private cur: PctRun | null = null;

  constructor(opts: PctOptions) {
    this.seed = opts.seed;
    this.depth = Math.max(1, opts.depth);
    this.faults = opts.faults;
    this.i = opts.first ?? 0;
    this.end = opts.count !== undefined ? this.i + opts.count : Number.POSITIVE_INFINITY;
    this.k = opts.k ?? 1;
  }

  next(): Strategy | null {
    if (this.i >= this.end) return null;
    this.cur = new PctRun(runRng(this.seed ^ 0x5c7, this.i++), this.depth, this.k, this.faults);
    return this.cur;
  }

  done(_r: RunResult | null): void {
    if (!this.cur) return;
    this.k = Math.max(this.k, this.cur.points);
    this.n = Math.max(this.n, this.cur.tasks);
    this.cur = null;
  }

  /** PCT's lower bound on the probability that one run finds a bug of depth d: 1/(n*k^(d-1)). */
  probabilityBound(): number {
    return pctBound(this.n, this.k, this.depth);
  }

  stats(): Record<string, number | string> {
    return { depth: this.depth, n: this.n, k: this.k, probability_bound: this.probabilityBound() };
  }
}

export function pctBound(n: number, k: number, d: number): number {
  return 1 / (Math.max(1, n) * Math.max(1, k) ** (d - 1));
}
