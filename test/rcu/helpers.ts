/** The RCU/SRCU litmus tests' view of the one test harness (test/harness.ts), and their ordered log. */
import type { CheckState } from '../../src/check/index.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { ACCESS_WRITE, type Strategy, machine } from '../../src/sim/index.js';
import { type CheckedRun, runChecked } from '../harness.js';

export { Seeded, ofType, titles } from '../harness.js';
export type Run = CheckedRun;

/**
 * Boots (2 CPUs), installs every checker, runs `setup` (which spawns the program's
 * tasks), runs the machine. Fails if task code threw.
 */
export function run(
  setup: (k: Kernel) => void,
  opts: {
    strategy?: Strategy;
    over?: Record<string, boolean | number | string>;
    state?: CheckState;
    checkers?: boolean;
  } = {},
): Run {
  return runChecked(setup, { ...opts, over: { NR_CPUS: 2, ...(opts.over ?? {}) }, maxSteps: 20_000, failOnOops: true });
}

/** An ordered log of labelled points; position = order of execution (steps are atomic). */
/** Object id of the litmus log (far above any id a run allocates), so marks are visible, ordered writes. */
const LOG_ID = 0x3fff_fff0;

export class Log {
  readonly seq: string[] = [];
  /** Appends a mark; it is a write to one shared object, so the explorer orders marks against each other. */
  mark(label: string): void {
    machine().access(LOG_ID, ACCESS_WRITE);
    this.seq.push(label);
  }
  pos(label: string): number {
    return this.seq.indexOf(label);
  }
  has(label: string): boolean {
    return this.seq.includes(label);
  }
}
