/**
 * How large a bounded space is, estimated without exploring it: Knuth's estimator ("Estimating
 * the efficiency of backtrack programs", 1975) over the tree that plain exhaustive enumeration
 * walks (explore/exhaustive.ts, same branches, same preemption bound and fault budget). Each
 * sample is one run whose every choice is uniform among the branches enumeration would take
 * there; the product of the branch counts along it is an unbiased estimate of the tree's number of
 * leaves, that is of the executions enumeration would need. DPOR needs at most that many (one per
 * Mazurkiewicz trace within the bound, usually far fewer), so the figure says how large a space is
 * that no exploration finished, not how long DPOR would take.
 *
 * The estimate is a mean of heavy-tailed samples: its standard error is reported with it, and a
 * few thousand samples give the order of magnitude. Run i draws from its own stream of (seed, i).
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { ChoicePoint, RunResult, Strategy } from '../sim/index.js';
import { branchesAt } from './exhaustive.js';
import { runRng } from './random.js';
import type { SearchStrategy } from './search.js';

export interface EstimateOptions {
  readonly seed: number;
  /** Fault budget per run (non-zero answers at fault points). */
  readonly faults: number;
  /** Preemption bound per run; -1, Infinity or absent for none. */
  readonly preemptions?: number;
}

/** The estimate so far: the mean of the samples' weights and its standard error. */
export interface SpaceEstimate {
  readonly samples: number;
  /** Estimated leaves of the bounded enumeration tree (executions of exhaustive enumeration). */
  readonly leaves: number;
  /** Standard error of `leaves`. */
  readonly stderr: number;
  /** Choice points of the longest sampled run. */
  readonly maxDepth: number;
}

/** One sampled run: uniform among enumeration's branches at each point, their counts multiplied. */
class EstimateRun implements Strategy {
  private readonly rng: ReturnType<typeof runRng>;
  private readonly bound: number;
  private readonly faultBudget: number;
  private faults = 0;
  private preemptions = 0;
  weight = 1;
  depth = 0;

  constructor(rng: ReturnType<typeof runRng>, bound: number, faultBudget: number) {
    this.rng = rng;
    this.bound = bound;
    this.faultBudget = faultBudget;
  }

  choose(p: ChoicePoint): number {
    const { branches, costs } = branchesAt(p, this.faults, this.preemptions, this.bound, this.faultBudget);
    this.depth++;
    this.weight *= branches.length;
    const i = branches.length === 1 ? 0 : uniformInt(this.rng, 0, branches.length - 1);
    const v = branches[i] as number;
    if (p.kind === 'schedule') this.preemptions += costs[i] as number;
    else if (p.fault && v !== 0) this.faults++;
    return v;
  }
}

export class SpaceEstimator implements SearchStrategy {
  readonly name = 'estimate';
  readonly exhaustive = false;
  private readonly seed: number;
  private readonly bound: number;
  private readonly faultBudget: number;
  private index = 0;
  private run: EstimateRun | null = null;
  // Welford's running mean and sum of squared deviations of the weights.
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private maxDepth = 0;

  constructor(opts: EstimateOptions) {
    this.seed = opts.seed;
    this.faultBudget = opts.faults;
    const p = opts.preemptions ?? -1;
    this.bound = p < 0 ? Number.POSITIVE_INFINITY : p;
  }

  next(): Strategy | null {
    this.run = new EstimateRun(runRng(this.seed, this.index++), this.bound, this.faultBudget);
    return this.run;
  }

  done(_result: RunResult | null): void {
    const r = this.run;
    this.run = null;
    if (!r) return;
    this.n++;
    const d = r.weight - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (r.weight - this.mean);
    if (r.depth > this.maxDepth) this.maxDepth = r.depth;
  }

  estimate(): SpaceEstimate {
    const variance = this.n > 1 ? this.m2 / (this.n - 1) : 0;
    return {
      samples: this.n,
      leaves: this.mean,
      stderr: Math.sqrt(variance / Math.max(1, this.n)),
      maxDepth: this.maxDepth,
    };
  }

  stats(): Record<string, number | string> {
    const e = this.estimate();
    return { estimated_leaves: e.leaves, stderr: e.stderr, samples: e.samples, max_depth: e.maxDepth };
  }
}
