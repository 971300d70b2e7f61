/**
 * The sanitizers, installed on a machine as observers of kernel events.
 * (Filled in by the foundation work: might_sleep, lockdep, KASAN, kmemleak,
 * hung task, global deadlock, WARN/BUG and Oops.)
 */
import type { KernelConfig } from '../kernel/config.js';
import type { Machine } from '../sim/index.js';

/** Checker state that outlives one run (lockdep's dependency graph is kept across an exploration). */
export interface CheckState {
  readonly runs: number;
}

export function createCheckState(): CheckState {
  return { runs: 0 };
}

export function installCheckers(_m: Machine, _config: KernelConfig, _state: CheckState): void {}
