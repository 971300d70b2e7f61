/**
 * The one test harness: strategies for tests, a booted program with the checkers installed, and
 * DPOR's outcomes of a program. Each test folder's helpers.ts re-exports what its tests use (and
 * adds only what is particular to that folder: the CLI's process helpers, the model's sweeps).
 */
import { type CheckState, createCheckState, installCheckers } from '../src/check/index.js';
import { Dpor } from '../src/explore/dpor.js';
import { type ExploreResult, explore } from '../src/explore/explorer.js';
import { SeededWalk } from '../src/explore/random.js';
import { makeConfig } from '../src/kernel/config.js';
import { type Kernel, boot } from '../src/kernel/kernel.js';
import { type ChoicePoint, FirstChoice, type RunResult, type SimEvent, type Strategy } from '../src/sim/index.js';

/** A seeded random walk over schedule and data choices (the random strategy's own walk). */
export { SeededWalk as Seeded };

type Options = Partial<Record<string, boolean | number | string>>;

/** Replays `choices`, then continues without preemptions or faults. */
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

/** FirstChoice that records every choice point it is asked about, and can answer data choices. */
export class Recorder implements Strategy {
  readonly points: ChoicePoint[] = [];
  private readonly base = new FirstChoice();
  private readonly data: (p: ChoicePoint) => number;
  constructor(data: (p: ChoicePoint) => number = () => 0) {
    this.data = data;
  }
  choose(p: ChoicePoint): number {
    this.points.push(p);
    return p.kind === 'data' ? this.data(p) : this.base.choose(p);
  }
  dataLabels(): string[] {
    return this.points.flatMap((p) => (p.kind === 'data' ? [p.label] : []));
  }
}

/**
 * Switches to the next enabled pid after the current one at every step (spin-waits make progress);
 * the timer task (pid 0) runs only when nothing else can, so timers never fire early.
 */
export class RoundRobin implements Strategy {
  choose(p: ChoicePoint): number {
    if (p.kind === 'data') return 0;
    const tasks = p.enabled.filter((pid) => pid !== 0);
    if (tasks.length === 0) return 0;
    return tasks.find((pid) => pid > p.current) ?? (tasks[0] as number);
  }
}

export interface CheckedRun {
  readonly k: Kernel;
  readonly r: RunResult;
  readonly events: SimEvent[];
}

/**
 * Boots (config `over`), records every event, installs every checker (unless `checkers: false`),
 * runs `setup` (which spawns the program's tasks) and the machine. `failOnOops`: task code that
 * threw fails the test instead of being a finding.
 */
export function runChecked(
  setup: (k: Kernel) => void,
  opts: {
    over?: Options;
    strategy?: Strategy;
    state?: CheckState;
    maxSteps?: number;
    checkers?: boolean;
    failOnOops?: boolean;
  } = {},
): CheckedRun {
  const config = makeConfig(opts.over ?? {});
  const k = boot(config, { strategy: opts.strategy ?? new FirstChoice(), maxSteps: opts.maxSteps ?? 10_000 });
  const events: SimEvent[] = [];
  k.machine.observers.push((ev) => events.push(ev));
  if (opts.checkers !== false) installCheckers(k.machine, config, opts.state ?? createCheckState());
  setup(k);
  const r = k.machine.run();
  if (opts.failOnOops) failOnOops(r);
  return { k, r, events };
}

/** Fails the test if task code threw (an Oops). */
export function failOnOops(r: RunResult): RunResult {
  const oops = r.reports.filter((x) => x.kind === 'oops');
  if (oops.length) throw new Error(`task code threw: ${oops.map((o) => o.text).join('\n')}`);
  return r;
}

/** Boots a machine without checkers, recording its events (the caller spawns and runs). */
export function bootWith(
  strategy: Strategy = new FirstChoice(),
  over: Options = {},
): { k: Kernel; events: SimEvent[] } {
  const k = boot(makeConfig(over), { strategy, maxSteps: 10_000 });
  const events: SimEvent[] = [];
  k.machine.observers.push((ev) => events.push(ev));
  return { k, events };
}

/** Runs a booted machine and fails the test if task code threw. */
export function runClean(k: Kernel): RunResult {
  return failOnOops(k.machine.run());
}

export function titles(r: RunResult): string[] {
  return r.reports.map((x) => x.title);
}

export function ofType<T>(events: readonly SimEvent[], type: string): T[] {
  return events.filter((e) => e.type === type) as T[];
}

/**
 * Explores `setup`'s program exhaustively with DPOR (no preemption bound, no faults) and returns
 * what the runs recorded in `seen` (plain JS, outside every footprint, so recording an outcome adds
 * no dependency) with the exploration result. For present/absent tests of footprints: an outcome
 * DPOR does not reach means a dependency its footprints do not show.
 */
export function dporOutcomes(
  setup: (seen: Set<string>) => void,
  over: Options = {},
  budget = 5_000,
): { seen: string[]; result: ExploreResult } {
  const seen = new Set<string>();
  const state = createCheckState();
  const result = explore(
    new Dpor({ preemptions: -1, faults: 0 }),
    (s: Strategy): RunResult => {
      const config = makeConfig({ NR_CPUS: 2, ...over });
      const k = boot(config, { strategy: s, maxSteps: 5_000 });
      installCheckers(k.machine, config, state);
      setup(seen);
      return k.machine.run();
    },
    { scenario: 'footprint', budget },
  );
  return { seen: [...seen].sort(), result };
}
