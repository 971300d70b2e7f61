/** The interface every exploration strategy offers the exploration loop. */
import type { RunResult, Strategy } from '../sim/index.js';

export interface SearchStrategy {
  readonly name: string;
  /** The strategy for the next run, or null when the (bounded) space is exhausted. */
  next(): Strategy | null;
  /** How the run ended: its result, or null when it was abandoned (StopRun: redundant or over a bound). */
  done(result: RunResult | null): void;
  /** Whether next() returning null means the bounded space was fully explored. */
  readonly exhaustive: boolean;
  /** Fraction of the space explored, when it can be estimated. */
  progress?(): number | undefined;
  /** Extra figures for reports (e.g. PCT's probability bound). */
  stats?(): Record<string, number | string>;
}
