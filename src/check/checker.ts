/**
 * The one shape every sanitizer has: a Checker is installed on each run's RunLog (the run's
 * event stream and kernel-style formatting, check/format.ts) and observes it; it never drives
 * the machine. It may return its end-of-run check (kmemleak's scan, the last hung-task pass, the
 * wait-for graph), which runs only when the run ended with nothing runnable. State that
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

/** What a checker is given for one run. */
export interface CheckerRun {
  readonly log: RunLog;
  readonly state: CheckState;
  /** The run's index in the exploration (lockdep's witnesses). */
  readonly runIndex: number;
}

/** A checker installed on one run: its end-of-run check, if it has one. */
export interface InstalledChecker {
  atEnd?(): void;
}

export interface Checker {
  /** The kernel's name for it (the sanitizer or its CONFIG_ option). */
  readonly name: string;
  /** Installs it on one run (a checker whose config option is off installs nothing). */
  install(run: CheckerRun): InstalledChecker | void;
}
