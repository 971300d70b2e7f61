/** Helpers for the RCU/SRCU litmus tests: a seeded random strategy, a checked run, an ordered log. */
import { type CheckState, createCheckState, installCheckers } from '../../src/check/index.js';
import { makeConfig } from '../../src/kernel/config.js';
import { type Kernel, boot } from '../../src/kernel/kernel.js';
import {
  ACCESS_WRITE,
  FirstChoice,
  type RunResult,
  type SimEvent,
  type Strategy,
  machine,
} from '../../src/sim/index.js';
import { SeededWalk } from '../../src/explore/random.js';

/** A seeded random walk over schedule and data choices (xorshift32). */
export { SeededWalk as Seeded };

export interface Run {
  readonly k: Kernel;
  readonly r: RunResult;
  readonly events: SimEvent[];
}

/**
 * Boots, installs every checker, runs `setup` (which spawns the program's
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
  const config = makeConfig({ NR_CPUS: 2, ...(opts.over ?? {}) });
  const k = boot(config, { strategy: opts.strategy ?? new FirstChoice(), maxSteps: 20_000 });
  const events: SimEvent[] = [];
  k.machine.observers.push((ev) => events.push(ev));
  if (opts.checkers !== false) installCheckers(k.machine, config, opts.state ?? createCheckState());
  setup(k);
  const r = k.machine.run();
  const oops = r.reports.filter((x) => x.kind === 'oops');
  if (oops.length) throw new Error(`task code threw: ${oops.map((o) => o.text).join('\n')}`);
  return { k, r, events };
}

export function titles(r: RunResult): string[] {
  return r.reports.map((x) => x.title);
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

export function ofType<T>(events: SimEvent[], type: string): T[] {
  return events.filter((e) => e.type === type) as T[];
}
