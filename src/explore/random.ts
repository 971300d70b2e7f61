/**
 * Seeded random walk: at each schedule point a uniformly random enabled task,
 * at each data point a uniformly random answer while the fault budget lasts
 * (then 0). Run i uses its own stream derived from (seed, i), so a run can be
 * repeated from its index alone; tokens still record the choices themselves.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { ChoicePoint, Strategy } from '../sim/index.js';
import type { SearchStrategy } from './search.js';

type Rng = ReturnType<typeof xoroshiro128plus>;

export function runRng(seed: number, run: number): Rng {
  return xoroshiro128plus((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(run + 1, 0x85ebca6b)) | 0);
}

export class RandomWalk implements Strategy {
  private readonly rng: Rng;
  private readonly faultBudget: number;
  private faults = 0;
  constructor(rng: Rng, faultBudget: number) {
    this.rng = rng;
    this.faultBudget = faultBudget;
  }
  choose(p: ChoicePoint): number {
    if (p.kind === 'schedule') return p.enabled[uniformInt(this.rng, 0, p.enabled.length - 1)] as number;
    if (p.fault && this.faults >= this.faultBudget) return 0;
    const v = uniformInt(this.rng, 0, p.options - 1);
    if (p.fault && v !== 0) this.faults++;
    return v;
  }
}

export interface RandomOptions {
  readonly seed: number;
  readonly faults: number;
  /** First run index (parallel workers take seed ranges). */
  readonly first?: number;
  /** Number of runs (unbounded when absent; the explorer's budget stops it). */
  readonly count?: number;
}

export class RandomSearch implements SearchStrategy {
  readonly name = 'random';
  readonly exhaustive = false;
  private i: number;
  private readonly end: number;
  private readonly seed: number;
  private readonly faults: number;
  constructor(opts: RandomOptions) {
    this.seed = opts.seed;
    this.faults = opts.faults;
    this.i = opts.first ?? 0;
    this.end = opts.count !== undefined ? this.i + opts.count : Number.POSITIVE_INFINITY;
  }
  next(): Strategy | null {
    if (this.i >= this.end) return null;
    return new RandomWalk(runRng(this.seed, this.i++), this.faults);
  }
  done(): void {}
}

/** A seeded random walk over one run, with no fault budget (tests and benchmarks). */
export class SeededWalk extends RandomWalk {
  constructor(seed: number, faultBudget = Number.POSITIVE_INFINITY) {
    super(runRng(seed, 0), faultBudget);
  }
}
