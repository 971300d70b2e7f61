/**
 * The watchdog, the side of the thread that waits for a pool task: a model that loops without
 * reaching a scheduling point never gives its thread back, so --time and Ctrl-C (both checked
 * at run boundaries) cannot stop it. The task's thread beats on a heartbeat in shared memory
 * (run/heartbeat.ts); when a run is under way and the heartbeat has not moved for `ms`, the
 * watchdog calls `onHang` with what the heartbeat says about the run (its choices so far, the
 * task last chosen), and the caller terminates the thread and reports the run as a finding.
 */
import type { Finding } from '../explore/explorer.js';
import { HB_CHOICES_MAX, HB_IN_RUN, HB_PID, HB_RUNS, HB_TICKS, heartbeatChoices } from './heartbeat.js';

export const WATCHDOG_KIND = 'watchdog';

/** How long a run may go without a scheduling point by default (--watchdog-ms). */
export const WATCHDOG_MS_DEFAULT = 10_000;

export interface Hang {
  /** How long the heartbeat had not moved when the watchdog fired. */
  readonly ms: number;
  /** The run's choices up to where it hung (null: more than the heartbeat keeps). */
  readonly choices: readonly number[] | null;
  /** The task the last schedule choice picked, when its step was still under way (else -1). */
  readonly pid: number;
  /** Runs the thread had begun on this heartbeat (the hung one included). */
  readonly runs: number;
}

/** Watches a heartbeat; returns the function that stops watching. */
export function watch(buf: SharedArrayBuffer, ms: number, onHang: (h: Hang) => void): () => void {
  const hb = new Int32Array(buf);
  let ticks = Atomics.load(hb, HB_TICKS);
  let since = performance.now();
  let fired = false;
  const timer = setInterval(
    () => {
      const now = performance.now();
      const t = Atomics.load(hb, HB_TICKS);
      if (t !== ticks || Atomics.load(hb, HB_IN_RUN) === 0) {
        ticks = t;
        since = now;
        return;
      }
      if (fired || now - since < ms) return;
      fired = true;
      onHang({
        ms: Math.round(now - since),
        choices: heartbeatChoices(hb),
        pid: Atomics.load(hb, HB_PID),
        runs: Atomics.load(hb, HB_RUNS),
      });
    },
    Math.max(10, Math.min(250, ms / 4)),
  );
  return () => clearInterval(timer);
}

export function watchdogTitle(scenario: string): string {
  return `kernsim: a task ran without a scheduling point in ${scenario}`;
}

/** The finding of a run the watchdog stopped (its token replays the run up to where it hung). */
export function hangFinding(scenario: string, h: Hang, limitMs: number): Finding {
  const title = watchdogTitle(scenario);
  const who = h.pid > 0 ? `pid ${h.pid}` : h.pid === 0 ? 'the timer softirq (swapper/0)' : 'a task';
  const text = [
    title,
    `watchdog: ${who} ran ${h.ms} ms without a scheduling point (limit ${limitMs} ms: --watchdog-ms)`,
    'The model loops or computes between two scheduling points (a yield), so no other task, timer',
    'or sanitizer can run and the run can never end; kernsim stopped the thread it ran on.',
    h.choices
      ? `  the run's ${h.choices.length} choices up to there: ${h.choices.join(',') || '(none)'}`
      : `  the run made more than ${HB_CHOICES_MAX} choices: no token`,
  ].join('\n');
  return {
    title,
    kind: WATCHDOG_KIND,
    report: { kind: WATCHDOG_KIND, title, text, step: 0, pid: Math.max(0, h.pid) },
    reportIndex: -1,
    choices: [...(h.choices ?? [])],
    prelude: [],
    digest: '',
    preemptions: 0,
    faults: 0,
    steps: 0,
    execution: Math.max(1, h.runs),
  };
}
