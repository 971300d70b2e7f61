/**
 * lockdep: the lock dependency validator (kernel/locking/lockdep.c), as an
 * observer of lock_acquire / lock_release events. Only with PROVE_LOCKING.
 * The dependency graph is check/lockdep_graph.ts, the report printers check/lockdep_report.ts.
 *
 * - Classes are keyed by "type:name" (stable across runs and processes).
 * - On every non-trylock acquisition: check_deadlock() (same class already
 *   held, except a recursive read (read=2) after any read) reports "possible
 *   recursive locking detected"; then check_prevs_add() adds the edge
 *   prev -> next from the innermost held lock (and from trylocks above the
 *   first non-trylock one, as the kernel does). A new edge is first checked
 *   for a cycle: a BFS from next back to prev over "strong" paths (lockdep's
 *   recursive-read rule: a -(xR)-> edge may not be followed by a -(Sx)-> edge,
 *   where R = next taken as recursive read, S = prev held as a reader).
 * - sync=true (lock_map_sync, synchronize_srcu) is validated as a write
 *   acquisition but not pushed on the held stack.
 * - The first splat of a run turns lockdep off for the rest of the run
 *   (debug_locks_off()).
 * - A release of a lock the task does not hold is print_unlock_imbalance_bug()'s "WARNING: bad
 *   unlock balance detected!" (syzbot: "WARNING: bad unlock balance in FUNC").
 * - rcu_suspicious events print "WARNING: suspicious RCU usage" (once per
 *   site per run, like RCU_LOCKDEP_WARN's __warned), only with PROVE_RCU.
 *
 * Cross-run graph. The LockdepGraph (in CheckState) lives for a whole
 * exploration. Every edge remembers the run it was first seen in (a RunRef
 * holding a reference to that run's machine.choices array, complete once
 * the run ends). A cycle closed by edges from earlier runs carries those
 * runs' choice sequences in Report.prelude (oldest first): replaying the
 * preludes, then the run, in one checker state reproduces the splat.
 *
 * Parallel explorers: exportLockdepEdges(graph) returns plain JSON-able
 * edges (class keys, dependency-type mask, witness choices and trace);
 * importLockdepEdges(graph, edges) merges them into another graph (edges
 * already present keep their own witness). Imported witnesses get negative
 * run indices in import order, so they sort before local runs in a prelude.
 */
import type { LockAcquireEvent, LockReleaseEvent, RcuSuspiciousEvent } from '../kernel/events.js';
import { type Task, locationOf, removeAt } from '../sim/index.js';
import type { Checker, InstalledChecker } from './checker.js';
import type { RunLog } from './format.js';
import type { LockdepGraph, RunRef } from './lockdep_graph.js';
import {
  type Held,
  type Splat,
  lockdep_rcu_suspicious,
  print_circular_bug,
  print_deadlock_bug,
  print_unlock_imbalance_bug,
} from './lockdep_report.js';

export { LockdepGraph, exportLockdepEdges, importLockdepEdges } from './lockdep_graph.js';
export type { ClassKey, LockdepEdgeExport, RunRef } from './lockdep_graph.js';

/** A held-stack entry, mutable so that released ones are reused (see heldPool). */
class HeldEntry implements Held {
  lock: object = NO_LOCK;
  name = '';
  at = '';
  read = false;
  step = 0;
  ci = 0;
  readMode: 0 | 1 | 2 = 0;
  trylock = false;
}

const NO_LOCK = {};

/**
 * Released entries, reused by later acquisitions (an entry is only read while it is on a stack:
 * the reports are formatted at once). A released entry lets go of its lock.
 */
const heldPool: HeldEntry[] = [];

function installLockdep(log: RunLog, graph: LockdepGraph): InstalledChecker | undefined {
  const { config } = log;
  if (!config.PROVE_LOCKING) return undefined;
  // Per run (begin()): the run's witness, each task's held stack, the RCU sites warned about.
  let m = log.m;
  let run: RunRef = { index: 0, choices: m.choices };
  /**
   * Each task's held stack, by pid: made anew by every run's begin(), never emptied for the next
   * run. (A Map kept for the exploration and cleared per run held every run's tasks: once the Map
   * is in the old generation, V8 allocates the tables clear() makes there too, and a dead old
   * table keeps the tasks it held, and with them the run's whole world, through every scavenge.)
   */
  let heldOf: HeldEntry[][] = [];
  const rcuWarned = new Set<string>();

  function stackOf(t: Task): HeldEntry[] {
    let s = heldOf[t.pid];
    if (s === undefined) heldOf[t.pid] = s = [];
    return s;
  }

  /** debug_locks_off() and the report. */
  function splat(t: Task, s: Splat): void {
    log.debugLocks = false;
    const title = `${s.headline} in ${locationOf(t.frames, t.entry)}`;
    if (s.prelude && s.prelude.length > 0) m.report({ kind: 'lockdep', title, text: s.text, prelude: s.prelude });
    else m.report({ kind: 'lockdep', title, text: s.text });
  }

  function acquire(ev: LockAcquireEvent): void {
    if (!log.debugLocks) return;
    const t = ev.task;
    const next = graph.classIndex(ev.cls);
    const stack = stackOf(t);
    if (!ev.trylock) {
      for (let i = 0; i < stack.length; i++) {
        const h = stack[i] as Held;
        if (h.ci !== next) continue;
        if (ev.read === 2 && h.readMode !== 0) continue;
        splat(t, print_deadlock_bug(log, graph, ev, h, stack));
        return;
      }
      for (let i = stack.length - 1; i >= 0; i--) {
        const h = stack[i] as Held;
        if (h.ci !== next) {
          const type = (h.readMode !== 0 ? 2 : 0) | (ev.read === 2 ? 1 : 0);
          const old = graph.edge(h.ci, next);
          if (!old || (old.mask & (1 << type)) === 0) {
            const path = graph.findCycle(next, h.ci, type);
            if (path) {
              splat(t, print_circular_bug(log, graph, run, ev, h, next, path, stack));
              return;
            }
            graph.addEdge(h.ci, next, 1 << type, { run, comm: t.comm, pid: t.pid, trace: t.frames.slice() });
          }
        }
        if (!h.trylock) break;
      }
    }
    if (!ev.sync) {
      const h = heldPool.pop() ?? new HeldEntry();
      h.lock = ev.lock;
      h.name = ev.cls.name;
      h.at = ev.at;
      h.read = ev.read !== 0;
      h.step = m.stepIndex;
      h.ci = next;
      h.readMode = ev.read;
      h.trylock = ev.trylock;
      stack.push(h);
    }
  }

  function release(ev: LockReleaseEvent): void {
    if (!log.debugLocks) return;
    const stack = stackOf(ev.task);
    for (let i = stack.length - 1; i >= 0; i--) {
      const h = stack[i] as HeldEntry;
      if (h.lock === ev.lock) {
        removeAt(stack, i);
        h.lock = NO_LOCK;
        heldPool.push(h);
        return;
      }
    }
    splat(ev.task, print_unlock_imbalance_bug(log, ev, stack));
  }

  function rcuSuspicious(ev: RcuSuspiciousEvent): void {
    if (!config.PROVE_RCU || !log.debugLocks) return;
    const site = `${ev.file}:${ev.line}`;
    if (rcuWarned.has(site)) return;
    rcuWarned.add(site);
    // RCU_LOCKDEP_WARN does not turn lockdep off.
    const s = lockdep_rcu_suspicious(log, ev, site);
    m.report({ kind: 'lockdep', title: `${s.headline} in ${locationOf(ev.task.frames, ev.task.entry)}`, text: s.text });
  }

  log.on('lock_acquire', acquire);
  log.on('lock_release', release);
  log.on('rcu_suspicious', rcuSuspicious);
  return {
    begin(runIndex: number): void {
      m = log.m;
      run = { index: runIndex, choices: m.choices };
      // The stacks left by the run before (its tasks are gone) go back to the pool.
      for (const stack of heldOf)
        if (stack !== undefined)
          for (const h of stack) {
            h.lock = NO_LOCK;
            heldPool.push(h);
          }
      heldOf = [];
      if (rcuWarned.size > 0) rcuWarned.clear();
    },
  };
}

/** PROVE_LOCKING / PROVE_RCU: the validator on each run, against the exploration's graph. */
export const lockdep: Checker = {
  name: 'lockdep',
  install: ({ log, state }) => installLockdep(log, state.lockdep),
};
