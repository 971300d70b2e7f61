/**
 * The sanitizers, installed on a machine as observers of kernel events.
 * They never drive the machine: they read events and task state and call
 * machine.report(). One file per checker:
 *   might_sleep.ts  __might_resched / scheduling while atomic (DEBUG_ATOMIC_SLEEP)
 *   lockdep.ts      recursive / circular locking, suspicious RCU (PROVE_LOCKING)
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
import type { Machine, SimEvent } from '../sim/index.js';
import { installDeadlock } from './deadlock.js';
import { RunLog } from './format.js';
import { installHungTask } from './hung_task.js';
import { installKasan } from './kasan.js';
import { installKcsan } from './kcsan.js';
import { installKmemleak } from './kmemleak.js';
import { LockdepGraph, installLockdep } from './lockdep.js';
import { installMightSleep } from './might_sleep.js';
import { oopsHandler } from './oops.js';
import { installWarn } from './warn.js';
import { installLivelock } from './livelock.js';
import { installRcuStall } from './rcu_stall.js';

export { LockdepGraph, exportLockdepEdges, importLockdepEdges } from './lockdep.js';
export type { LockdepEdgeExport, ClassKey, RunRef } from './lockdep.js';
export { RunLog } from './format.js';

/** Checker state that outlives one run (lockdep's dependency graph is kept across an exploration). */
export interface CheckState {
  /** Runs installed so far (the next run's index). */
  runs: number;
  readonly lockdep: LockdepGraph;
}

export function createCheckState(): CheckState {
  return { runs: 0, lockdep: new LockdepGraph() };
}

/** Installs every checker on a freshly booted machine, for one run. */
export function installCheckers(m: Machine, config: KernelConfig, state: CheckState): void {
  const log = new RunLog(m, config);
  const runIndex = state.runs++;
  installWarn(log);
  installMightSleep(log);
  installLockdep(log, state.lockdep, runIndex);
  installKasan(log);
  installKcsan(log);
  m.onException = oopsHandler(log);
  const kmemleak = installKmemleak(log);
  const hung = installHungTask(log);
  const deadlock = installDeadlock(log);
  installRcuStall(log);
  installLivelock(log);
  // End-of-run checks need to know how the run ended: they run on the 'end'
  // event (after the endHooks, so a scenario's teardown has run), and only
  // when the run finished with nothing runnable (not a step limit or stop).
  log.on('end', (ev: SimEvent & { end?: string }) => {
    if (ev.end !== 'done') return;
    const idle = m.task(0);
    if (idle) m.current = idle;
    deadlock.atEnd();
    hung.atEnd();
    kmemleak.atEnd();
  });
  m.observers.push(log.observer());
}
