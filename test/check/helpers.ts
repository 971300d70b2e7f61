/** Small harness for checker tests: boot, build a program, install checkers, run. */
import { type CheckState, createCheckState, installCheckers } from '../../src/check/index.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { type ChoicePoint, FirstChoice, type Machine, type RunResult, type Strategy } from '../../src/sim/index.js';
import { SeededWalk } from '../../src/explore/random.js';

export { SeededWalk as Seeded };

export class Replay implements Strategy {
  private i = 0;
  private readonly choices: readonly number[];
  constructor(choices: readonly number[]) {
    this.choices = choices;
  }
  choose(p: ChoicePoint): number {
    const v = this.choices[this.i++];
    if (v !== undefined) return v;
    return p.kind === 'data' ? 0 : p.currentEnabled ? p.current : (p.enabled[0] as number);
  }
}

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
  const config = makeConfig(opts.over ?? {});
  const k = boot(config, { strategy: opts.strategy ?? new FirstChoice(), maxSteps: opts.maxSteps ?? 10_000 });
  installCheckers(k.machine, config, opts.state ?? createCheckState());
  setup(k.machine);
  return k.machine.run();
}

export function titles(r: RunResult): string[] {
  return r.reports.map((x) => x.title);
}
