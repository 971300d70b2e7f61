/**
 * The exploration's options and their defaults (the one place a search strategy is built from
 * them is run/strategy.ts). The CLI's option defaults and help text read DEFAULTS; nothing else
 * writes a default bound. Imports no strategy: the commands read this at start-up.
 */

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
