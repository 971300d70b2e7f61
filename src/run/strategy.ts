/**
 * The one place a search strategy is built (run/options.ts' SearchOptions): for a whole
 * exploration or one task's part of it. Apart from options.ts, which the commands read at
 * start-up without loading the strategies.
 */
import { Dpor, type DporRoot } from '../explore/dpor.js';
import { PctSearch } from '../explore/pct.js';
import { RandomSearch } from '../explore/random.js';
import type { SearchStrategy } from '../explore/search.js';
import type { SearchOptions } from './options.js';

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
