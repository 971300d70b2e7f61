/**
 * The sanitizers, installed on a machine as observers of kernel events.
 * They never drive the machine: they read events and task state and call
 * machine.report(). Each is a Checker (checker.ts: one install shape, an
 * optional end-of-run check); CHECKERS below lists them. One file per checker:
 *   might_sleep.ts  __might_resched / scheduling while atomic (DEBUG_ATOMIC_SLEEP)
 *   lockdep.ts      recursive / circular locking, suspicious RCU (PROVE_LOCKING): the validator;
 *                   its graph is lockdep_graph.ts, its report printers lockdep_report.ts
 *   kasan.ts        use-after-free family, double/invalid free (KASAN)
 *   kcsan.ts        data races: plain accesses unordered by happens-before (KCSAN)
 *   kmemleak.ts     leaks at the end of a finished run (DEBUG_KMEMLEAK)
 *   hung_task.ts    tasks stuck in D state for good (DETECT_HUNG_TASK)
 *   deadlock.ts     circular wait in the wait-for graph at the end of a run
 *   warn.ts         WARN_ON / BUG_ON
 *   rcu_stall.ts    RCU CPU stall warnings, for runs that cannot end (the step limit)
 *   livelock.ts     runs that reach the step limit with no task making progress (ours)
 *   oops.ts         exceptions thrown by model code (machine.onException)
 * format.ts holds the shared kernel-style formatting and per-run taint state.
 */
import type { KernelConfig } from '../kernel/config.js';
import type { Machine, Observer, SimEvent } from '../sim/index.js';
import type { CheckState, Checker } from './checker.js';
import { deadlock } from './deadlock.js';
import { RunLog } from './format.js';
import { hung_task } from './hung_task.js';
import { kasan } from './kasan.js';
import { kcsan } from './kcsan.js';
import { kmemleak } from './kmemleak.js';
import { livelock } from './livelock.js';
import { LockdepGraph, lockdep } from './lockdep.js';
import { might_sleep } from './might_sleep.js';
import { oops } from './oops.js';
import { rcu_stall } from './rcu_stall.js';
import { warn } from './warn.js';

export { LockdepGraph, exportLockdepEdges, importLockdepEdges } from './lockdep.js';
export type { LockdepEdgeExport, ClassKey, RunRef } from './lockdep.js';
export type { CheckState, Checker, CheckerRun, InstalledChecker } from './checker.js';
export { RunLog } from './format.js';

/**
 * Every checker, in installation order: the order in which they see each event (and so which
 * report comes first when two fire on one event). End-of-run checks run in the reverse order
 * (the wait-for graph, then the hung-task pass, then kmemleak's scan).
 */
export const CHECKERS: readonly Checker[] = [
  warn,
  might_sleep,
  lockdep,
  kasan,
  kcsan,
  oops,
  kmemleak,
  hung_task,
  deadlock,
  rcu_stall,
  livelock,
];

export function createCheckState(): CheckState {
  return { runs: 0, lockdep: new LockdepGraph() };
}

/** The checkers installed for an exploration: its RunLog, their per-run resets, its one observer. */
interface Installed {
  readonly config: KernelConfig;
  readonly log: RunLog;
  readonly begins: ((runIndex: number) => void)[];
  readonly observer: Observer;
}

/** Each CheckState's installed checkers (a WeakMap: CheckState stays a plain record of cross-run data). */
const installed = new WeakMap<CheckState, Installed>();

function install(m: Machine, config: KernelConfig, state: CheckState): Installed {
  const log = new RunLog(m, config);
  const begins: ((runIndex: number) => void)[] = [];
  const atEnd: (() => void)[] = [];
  for (const c of CHECKERS) {
    const ic = c.install({ log, state });
    if (!ic) continue;
    if (ic.begin) begins.push(ic.begin.bind(ic));
    if (ic.atEnd) atEnd.unshift(ic.atEnd.bind(ic));
  }
  // End-of-run checks need to know how the run ended: they run on the 'end'
  // event (after the endHooks, so a scenario's teardown has run), and only
  // when the run finished with nothing runnable (not a step limit or stop).
  log.on('end', (ev: SimEvent & { end?: string }) => {
    if (ev.end !== 'done') return;
    const idle = log.m.task(0);
    if (idle) log.m.current = idle;
    for (const f of atEnd) f();
  });
  return { config, log, begins, observer: log.observer() };
}

/**
 * Installs every checker on a freshly booted machine, for one run. The checkers are made at the
 * exploration's first run (per CheckState and config) and reset at every run after it.
 */
export function installCheckers(m: Machine, config: KernelConfig, state: CheckState): void {
  let ins = installed.get(state);
  if (ins === undefined || ins.config !== config) installed.set(state, (ins = install(m, config, state)));
  ins.log.begin(m);
  const runIndex = state.runs++;
  const begins = ins.begins;
  for (let i = 0; i < begins.length; i++) (begins[i] as (runIndex: number) => void)(runIndex);
  m.observers.push(ins.observer);
}
