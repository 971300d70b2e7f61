/**
 * The only interface between the machine and an exploration strategy.
 *
 * A strategy is a pure decision oracle (as in shuttle): at every choice point
 * with more than one possible outcome it returns the outcome. Replay is just
 * another strategy that returns recorded outcomes.
 */

/**
 * Which task runs next. `enabled` are pids in increasing order; the answer is a pid. The point and
 * its lists are the machine's, reused at every schedule point: valid during choose() only (a
 * strategy copies what it keeps).
 */
export interface SchedulePoint {
  readonly kind: 'schedule';
  readonly enabled: readonly number[];
  /** Pid of the task that ran the previous step, or -1 before the first. */
  readonly current: number;
  /** Whether `current` is among `enabled` (switching away from it is a preemption). */
  readonly currentEnabled: boolean;
  /** Index of the step about to run. */
  readonly step: number;
  /**
   * Enabled tasks that have not run yet and were created by the setup or by the step just taken:
   * starting one costs no preemption (wake_up_new_task() may run a child at once). A task's code
   * up to its first scheduling point is a step of its own so that it can interleave with what its
   * parent does next.
   */
  readonly unstarted: readonly number[];
}

/** Whether running `pid` at schedule point `p` is a preemption (switching away from a task that could go on). */
export function isPreemption(
  p: { readonly current: number; readonly currentEnabled: boolean; readonly unstarted: readonly number[] },
  pid: number,
): boolean {
  return p.currentEnabled && pid !== p.current && !p.unstarted.includes(pid);
}

/** A data choice inside a task (an injected fault, an error return). The answer is in [0, options). */
export interface DataPoint {
  readonly kind: 'data';
  readonly options: number;
  /** What is being decided, e.g. "kmalloc(GFP_ATOMIC) fails". */
  readonly label: string;
  /** Outcomes other than 0 count against a fault budget. */
  readonly fault: boolean;
  readonly task: number;
  readonly step: number;
}

export type ChoicePoint = SchedulePoint | DataPoint;

/** Access kinds recorded in step footprints (code = objectId * 8 + kind). */
export const ACCESS_READ = 0;
export const ACCESS_WRITE = 1;
/** Exclusive acquisition of a lock-like object (conflicts with every acquisition). */
export const ACCESS_ACQUIRE = 2;
/** Shared acquisition (conflicts only with exclusive acquisitions). */
export const ACCESS_ACQUIRE_SHARED = 3;
/** Release: orders later acquisitions after it, races with nothing. */
export const ACCESS_RELEASE = 4;

export interface StepRecord {
  readonly index: number;
  readonly pid: number;
  /**
   * Access codes of the step (objectId * 8 + kind), in program order; may repeat. The machine's
   * array during a run (valid during stepped() only: copy what you keep); the records ended()
   * gets own theirs.
   */
  readonly accesses: readonly number[];
  /**
   * Object id of the run state of the CPU the step ran on. Every step could have been kept off
   * its CPU by another task's non-preemptible hold (an exclusive acquisition of that id), so it
   * depends on such holds: a sleeping task whose step takes a hold is woken by any step on that
   * CPU. (Only the steps a hold actually delayed record the shared acquisition as an access, for
   * the race analysis; the others would multiply races without adding orders.)
   */
  readonly cpu?: number;
}

/** A CPU still held non-preemptibly at the end of a run: by `pid`; `cpu` is its run-state object id. */
export interface HeldCpu {
  readonly pid: number;
  readonly cpu: number;
}

export interface Strategy {
  choose(point: ChoicePoint): number;
  /** Observes each executed step (dynamic partial-order reduction needs the footprints). */
  stepped?(step: StepRecord): void;
  /**
   * Called once when the run ends (before end-of-run hooks), with one record per
   * task still waiting to acquire something: its pending acquisition as an
   * access code. DPOR treats these as racing with the holder's acquisition.
   * `held`: the CPUs still held non-preemptibly when the run ended (a task that spins or
   * self-deadlocks with preemption off): the hold was never released, so every earlier step of
   * another task on that CPU could have been kept off it for ever, had the hold begun first.
   */
  ended?(waiting: readonly StepRecord[], held?: readonly HeldCpu[]): void;
}

/** Always the first option: keeps running the current task; no faults. */
export class FirstChoice implements Strategy {
  choose(p: ChoicePoint): number {
    if (p.kind === 'data') return 0;
    return p.currentEnabled ? p.current : (p.enabled[0] as number);
  }
}
