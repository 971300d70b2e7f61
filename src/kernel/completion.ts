/**
 * Completions (kernel/sched/completion.c, include/linux/completion.h).
 *
 * A completion is a Waitable: a task sleeping in wait_for_completion() is
 * blocked on it, and owners() names the tasks whose progress the completion
 * waits for when that is known (e.g. the SRCU readers a grace period waits
 * for), so the deadlock checker can close a wait-for cycle through it.
 */
import {
  type KGen,
  type Task,
  type Waitable,
  ACCESS_READ,
  ACCESS_WRITE,
  current,
  machine,
  markInternal,
} from '../sim/index.js';
import { TASK_UNINTERRUPTIBLE, might_sleep, schedule, set_current_state, wake_up_process } from './sched/core.js';

markInternal('wait_for_completion', 'complete', 'complete_all', 'try_wait_for_completion');

/** complete_all() saturates done at UINT_MAX (kernel/sched/completion.c). */
const UINT_MAX = 0xffffffff;

export class completion implements Waitable {
  readonly id: number;
  readonly name: string;
  done = 0;
  /** Tasks sleeping in wait_for_completion(), in FIFO order (the swait queue). */
  readonly waiters: Task[] = [];
  /**
   * Who will (or must first make progress to) complete this, when known.
   * Not part of the kernel's struct: a diagnostic for the wait-for graph.
   */
  completers: (() => readonly Task[]) | null = null;

  constructor(name = 'completion') {
    this.id = machine().newId();
    this.name = name;
  }

  owners(): readonly Task[] {
    return this.completers ? this.completers() : [];
  }

  describe(): string {
    return `completion ${this.name}`;
  }
}

/** init_completion(): a fresh completion (DECLARE_COMPLETION / init_completion). */
export function init_completion(name = 'completion'): completion {
  return new completion(name);
}

export const DECLARE_COMPLETION = init_completion;

/**
 * reinit_completion(): `x->done = 0` (waiters are left alone, as in the kernel). A visible store
 * to the completion's state, so it is a scheduling point (its own step) racing with complete() and
 * the waiters' consumption of done: a complete() that lands just before it is lost.
 */
export function* reinit_completion(x: completion): KGen {
  yield undefined;
  machine().access(x.id, ACCESS_WRITE);
  x.done = 0;
}

/**
 * The body of complete()/complete_all() without the scheduling point, for
 * machinery that completes from inside a step of its own (a timer, an
 * RCU callback). Model code uses complete()/complete_all().
 */
export function complete_nosched(x: completion, all = false): void {
  machine().access(x.id, ACCESS_WRITE);
  if (all) {
    x.done = UINT_MAX;
    for (const t of x.waiters.splice(0)) wake_up_process(t);
    return;
  }
  if (x.done !== UINT_MAX) x.done++;
  const t = x.waiters.shift();
  if (t) wake_up_process(t);
}

/** complete(): wakes one waiter (a visible step). */
export function* complete(x: completion): KGen {
  yield undefined;
  complete_nosched(x, false);
}

/** complete_all(): wakes every waiter and leaves the completion done for good. */
export function* complete_all(x: completion): KGen {
  yield undefined;
  complete_nosched(x, true);
}

/**
 * do_wait_for_common() with an infinite timeout, for machinery that already
 * yielded before the wait (saves a step). Returns once done was consumed.
 */
export function* wait_for_completion_noyield(x: completion): KGen {
  const t = current();
  const m = machine();
  t.frames.push('wait_for_completion');
  for (;;) {
    m.access(x.id, ACCESS_WRITE);
    if (x.done > 0) {
      if (x.done !== UINT_MAX) x.done--;
      const i = x.waiters.indexOf(t);
      if (i >= 0) x.waiters.splice(i, 1);
      break;
    }
    if (!x.waiters.includes(t)) x.waiters.push(t);
    set_current_state(TASK_UNINTERRUPTIBLE);
    yield* schedule(x);
  }
  t.frames.pop();
}

/** wait_for_completion(): might_sleep(), then sleeps TASK_UNINTERRUPTIBLE until complete(). */
export function* wait_for_completion(x: completion): KGen {
  const t = current();
  t.frames.push('wait_for_completion');
  might_sleep('kernel/sched/completion.c', 118);
  t.frames.pop();
  yield undefined;
  yield* wait_for_completion_noyield(x);
}

/** try_wait_for_completion(): consumes a done count without sleeping; false if none. */
export function* try_wait_for_completion(x: completion): KGen<boolean> {
  yield undefined;
  machine().access(x.id, ACCESS_WRITE);
  if (x.done === 0) return false;
  if (x.done !== UINT_MAX) x.done--;
  return true;
}

/** completion_done(): whether a wait would not sleep. */
export function* completion_done(x: completion): KGen<boolean> {
  yield undefined;
  machine().access(x.id, ACCESS_READ);
  return x.done > 0;
}
