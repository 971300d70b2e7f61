/** The checker tests' view of the one test harness (test/harness.ts). */
import type { CheckState } from '../../src/check/index.js';
import type { Machine, RunResult, Strategy } from '../../src/sim/index.js';
import { runChecked } from '../harness.js';

export { Replay, Seeded, titles } from '../harness.js';

/** Runs one program with all checkers; `over` changes config options. */
export function runProgram(
  setup: (m: Machine) => void,
  opts: {
    over?: Record<string, boolean | number | string>;
    strategy?: Strategy;
    state?: CheckState;
    maxSteps?: number;
  } = {},
): RunResult {
  return runChecked((k) => setup(k.machine), opts).r;
}
