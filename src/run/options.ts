/**
 * The exploration's options, their defaults and the one place a search
 * strategy is built. The CLI's option defaults and help text read DEFAULTS;
 * nothing else writes a default bound.
 */
import { Dpor, type DporRoot } from '../explore/dpor.js';
import { PctSearch } from '../explore/pct.js';
import { RandomSearch } from '../explore/random.js';
import type { SearchStrategy } from '../explore/search.js';

export type StrategyName = 'dpor' | 'pct' | 'random';

export const STRATEGIES: readonly StrategyName[] = ['dpor', 'pct', 'random'];

export const DEFAULTS = {
  strategy: 'dpor' as StrategyName,
  /** DPOR's preemption bound per run (-1: none). */
  preemptions: 2,
  /** Fault budget per run (non-zero answers at fault points such as a failing allocation). */
  faults: 1,
  /** Seed of the sampling strategies (pct, random). */
  seed: 1,
  /** PCT's bug depth. */
  depth: 2,
  /** Executions a sampling strategy runs when no budget is given (dpor: none, it ends by itself). */
  samplingBudget: 1000,
  /** Whether findings are shrunk. */
  shrink: true,
} as const;

/** What a search strategy is built from (every field filled in: see searchOptions). */
export interface SearchOptions {
  readonly strategy: StrategyName;
  readonly preemptions: number;
  readonly faults: number;
  readonly seed: number;
  readonly depth: number;
}

/** The search options of a request, defaults filled in. */
export function searchOptions(o: {
  readonly strategy?: StrategyName | undefined;
  readonly preemptions?: number | undefined;
  readonly faults?: number | undefined;
  readonly seed?: number | undefined;
  readonly depth?: number | undefined;
}): SearchOptions {
  return {
    strategy: o.strategy ?? DEFAULTS.strategy,
    preemptions: o.preemptions ?? DEFAULTS.preemptions,
    faults: o.faults ?? DEFAULTS.faults,
    seed: o.seed ?? DEFAULTS.seed,
    depth: o.depth ?? DEFAULTS.depth,
  };
}

/** The part of the space one task of a partitioned exploration covers. */
export interface SearchPart {
  /** dpor: the subtree to explore. */
  readonly root?: DporRoot | undefined;
  /** dpor: keep what a split of the tree needs (Dpor.takeRoots). */
  readonly splitting?: boolean;
  /** pct/random: the run indices [first, first + count). */
  readonly first?: number | undefined;
  readonly count?: number | undefined;
}

/** The one place a search strategy is constructed. */
export function makeSearch(o: SearchOptions, part: SearchPart = {}): SearchStrategy {
  const range = {
    ...(part.first !== undefined ? { first: part.first } : {}),
    ...(part.count !== undefined ? { count: part.count } : {}),
  };
  switch (o.strategy) {
    case 'dpor':
      return new Dpor({
        preemptions: o.preemptions,
        faults: o.faults,
        ...(part.splitting ? { splitting: true } : {}),
        ...(part.root ? { root: part.root } : {}),
      });
    case 'random':
      return new RandomSearch({ seed: o.seed, faults: o.faults, ...range });
    case 'pct':
      return new PctSearch({ seed: o.seed, faults: o.faults, depth: o.depth, ...range });
  }
}
