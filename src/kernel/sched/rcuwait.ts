/**
 * rcuwait (include/linux/rcuwait.h, kernel/exit.c): a single waiter that an
 * RCU-protected task pointer lets a waker find.
 *
 * Waking is explicit: only rcuwait_wake_up() wakes the waiter, so a path
 * that changes the condition and forgets to call it leaves the waiter asleep
 * (a hung task).
 *
 * Footprint: w->task is accessed with rcu_assign_pointer()/rcu_dereference(), marked accesses
 * (KCSAN), and each access also records the rcuwait's object id (given by RCUWAIT_INIT() or
 * rcuwait_init()): prepare/finish write it, rcuwait_active() and rcuwait_wake_up() read it, so the
 * explorer orders them whether or not the struct is tracked memory.
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
  markedRead,
  markedWrite,
} from '../../sim/index.js';
import { member_name } from '../lib/container_of.js';
import { assign_obj_id, obj_id } from '../objid.js';
import { rcu_read_lock, rcu_read_unlock } from '../rcu/update.js';
import {
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  __set_current_state,
  schedule,
  set_current_state,
  wake_up_process,
} from './core.js';

markInternal('rcuwait_wake_up', 'rcuwait_wait_event');

/** struct rcuwait { struct task_struct __rcu *task; } */
export interface rcuwait {
  task: Task | null;
}

/** A wait condition: a plain predicate, or a generator (e.g. one using READ_ONCE). */
export type WaitCondition = () => boolean | KGen<boolean>;

export function* eval_condition(cond: WaitCondition): KGen<boolean> {
  const r = cond();
  if (typeof r === 'boolean') return r;
  return yield* r;
}

/** __RCUWAIT_INITIALIZER / a struct initialiser value. */
export function RCUWAIT_INIT(): rcuwait {
  return assign_obj_id({ task: null });
}

export function rcuwait_init(w: rcuwait): void {
  assign_obj_id(w);
  set_task(w, null);
}

/** rcu_assign_pointer(w->task, p) */
function set_task(w: rcuwait, p: Task | null): void {
  machine().access(obj_id(w), ACCESS_WRITE);
  markedWrite(w, 'task', p);
}

/** rcu_dereference(w->task) / rcu_access_pointer(w->task) */
function get_task(w: rcuwait): Task | null {
  machine().access(obj_id(w), ACCESS_READ);
  return markedRead(w, 'task');
}

/** What a task sleeping on the rcuwait waits for (diagnostics). */
function waitable(w: rcuwait): Waitable {
  const name = member_name(w) ?? 'rcuwait';
  return {
    owners: () => [],
    describe: () => `rcuwait ${name}`,
  };
}

/** rcuwait_active(): !!rcu_access_pointer(w->task). */
export function* rcuwait_active(w: rcuwait): KGen<boolean> {
  yield undefined;
  return get_task(w) !== null;
}

/** prepare_to_rcuwait(): rcu_assign_pointer(w->task, current). */
export function* prepare_to_rcuwait(w: rcuwait): KGen {
  yield undefined;
  set_task(w, current());
}

/** finish_rcuwait(): rcu_assign_pointer(w->task, NULL); __set_current_state(TASK_RUNNING). */
export function* finish_rcuwait(w: rcuwait): KGen {
  yield undefined;
  set_task(w, null);
  __set_current_state(TASK_RUNNING);
}

/**
 * schedule() for a task that prepared on `w`: the caller has set its state;
 * the task blocks (describing the rcuwait) unless it was woken meanwhile.
 */
export function* rcuwait_schedule(w: rcuwait): KGen {
  yield* schedule(waitable(w));
}

/** rcuwait_wake_up(): wakes the waiter if there is one; returns whether a task was woken. */
export function* rcuwait_wake_up(w: rcuwait): KGen<boolean> {
  yield undefined;
  const t = current();
  t.frames.push('rcuwait_wake_up');
  rcu_read_lock();
  // smp_mb() (B): pairs with the barrier in set_current_state() (sequential consistency here).
  const task = get_task(w);
  let ret = false;
  if (task) ret = wake_up_process(task);
  rcu_read_unlock();
  t.frames.pop();
  return ret;
}

/**
 * rcuwait_wait_event(w, condition, state): the macro's loop
 *   prepare_to_rcuwait; for (;;) { set_current_state(state); if (cond) break; schedule(); } finish_rcuwait
 * Signals are not modelled, so it returns 0.
 */
export function* rcuwait_wait_event(w: rcuwait, condition: WaitCondition, state = TASK_UNINTERRUPTIBLE): KGen<number> {
  const t = current();
  t.frames.push('rcuwait_wait_event');
  yield* prepare_to_rcuwait(w);
  for (;;) {
    set_current_state(state);
    yield undefined; // the condition read is a visible step
    if (yield* eval_condition(condition)) break;
    yield* schedule(waitable(w));
  }
  yield* finish_rcuwait(w);
  t.frames.pop();
  return 0;
}
