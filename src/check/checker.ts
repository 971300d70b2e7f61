/**
 * The one shape every sanitizer has: a Checker is installed once per exploration (per CheckState
 * and config) on the exploration's RunLog (each run's event stream and kernel-style formatting,
 * check/format.ts) and observes it; it never drives the machine. Its handlers are made at that
 * install, not per run (a run's fixed cost: the closures, maps and sets of eleven checkers were a
 * quarter of a small run's time); begin() resets its per-run state when a run starts (the run's
 * machine is then log.m). It may have an end-of-run check (kmemleak's scan, the last hung-task
 * pass, the wait-for graph), which runs only when the run ended with nothing runnable. State that
 * outlives one run (lockdep's graph) lives in the exploration's CheckState.
 */
import type { RunLog } from './format.js';
import type { LockdepGraph } from './lockdep_graph.js';

/** Checker state that outlives one run (lockdep's dependency graph is kept across an exploration). */
export interface CheckState {
  /** Runs installed so far (the next run's index). */
  runs: number;
  readonly lockdep: LockdepGraph;
}

/** What a checker is given when it is installed for an exploration. */
export interface CheckerRun {
  /** The exploration's RunLog: log.m is the running machine (set before every begin()). */
  readonly log: RunLog;
  readonly state: CheckState;
}

/** A checker installed for an exploration: its per-run reset and end-of-run check, if it has them. */
export interface InstalledChecker {
  /** A run starts on log.m (the run's index in the exploration: lockdep's witnesses). */
  begin?(runIndex: number): void;
  atEnd?(): void;
}

export interface Checker {
  /** The kernel's name for it (the sanitizer or its CONFIG_ option). */
  readonly name: string;
  /**
   * Installs it for an exploration's runs, registering its handlers on the log (a checker whose
   * config option is off installs nothing). Nothing it keeps for a run may survive its begin().
   */
  install(run: CheckerRun): InstalledChecker | void;
}
