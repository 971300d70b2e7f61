/**
 * Wait queues (include/linux/wait.h, kernel/sched/wait.c).
 *
 * A wait_queue_head_t is a list of wait_queue_entry_t linked through real
 * list_heads (lib/list.ts), so a head embedded in a freed struct is a KASAN
 * report when touched. The head's spinlock is not a lock here: each
 * wait-queue operation is one indivisible step (it yields first, then acts),
 * and what the lock orders is in its footprint: the head has an object id
 * (given by DECLARE_WAIT_QUEUE_HEAD()/init_waitqueue_head()) that every
 * operation taking wq_head->lock writes when it starts and when it is done
 * (so KCSAN orders the list accesses inside after the previous holder's), and
 * that the lockless waitqueue_active() reads. That holds whether or not the
 * head is in tracked memory; the entries live on the waiter's stack (tracked).
 *
 * The wait_event() family follows the macros: add to the queue and set the
 * task state, re-check the condition, schedule(), loop — so a waker that
 * changes the condition and calls wake_up() in any interleaving is never
 * lost, and a waker that forgets wake_up() leaves the waiter asleep.
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
} from '../../sim/index.js';
import { member_name } from '../lib/container_of.js';
import { DEFINE_ON_STACK } from '../mm/slab.js';
import { assign_obj_id, obj_id } from '../objid.js';
import {
  INIT_LIST_HEAD,
  LIST_HEAD,
  type list_head,
  list_add,
  list_add_tail,
  list_del,
  list_del_init,
  list_empty,
  list_for_each_entry_safe,
} from '../lib/list.js';
import {
  MAX_SCHEDULE_TIMEOUT,
  TASK_IDLE,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  __set_current_state,
  might_sleep,
  schedule,
  schedule_timeout,
  set_current_state,
} from './core.js';
import { type WaitCondition, eval_condition } from './rcuwait.js';

markInternal('__wake_up', '___wait_event', 'finish_wait', 'prepare_to_wait_event');

export type { WaitCondition };

/** include/linux/sched.h */
export const TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;
export const TASK_WAKEKILL = 0x100;
export const TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE;
export const TASK_FREEZABLE = 0x2000;

/** include/linux/wait.h */
export const WQ_FLAG_EXCLUSIVE = 0x01;
export const WQ_FLAG_WOKEN = 0x02;

export type wait_queue_func_t = (wq_entry: wait_queue_entry_t, mode: number, wake_flags: number) => number;

export interface wait_queue_head_t {
  head: list_head;
}

export interface wait_queue_entry_t {
  flags: number;
  private: Task;
  func: wait_queue_func_t;
  entry: list_head;
}

/** __WAIT_QUEUE_HEAD_INITIALIZER / DECLARE_WAIT_QUEUE_HEAD: a struct initialiser value. */
export function DECLARE_WAIT_QUEUE_HEAD(): wait_queue_head_t {
  return assign_obj_id({ head: LIST_HEAD() });
}

export function init_waitqueue_head(wq: wait_queue_head_t): void {
  assign_obj_id(wq);
  wq_lock(wq);
  INIT_LIST_HEAD(wq.head);
  wq_lock(wq);
}

/**
 * spin_lock(&wq_head->lock) / spin_unlock(): a write of the head's object id, at the start and at
 * the end of the section (the start orders this section after the previous one, the end publishes it).
 */
function wq_lock(wq: wait_queue_head_t): void {
  machine().access(obj_id(wq), ACCESS_WRITE);
}
const wq_unlock = wq_lock;

/** The Waitable a task sleeping on `wq` reports (hung-task and deadlock diagnostics). */
export function wq_waitable(wq: wait_queue_head_t): Waitable {
  const name = member_name(wq) ?? 'wait_queue_head';
  return { owners: () => [], describe: () => `wait queue ${name}` };
}

/** try_to_wake_up(): wakes `p` only if its state matches `state`; returns whether it did. */
export function try_to_wake_up(p: Task, state: number): boolean {
  const m = machine();
  m.access(p.stateId, ACCESS_READ);
  if ((p.state & state) === 0) return false;
  m.wake(p);
  return true;
}

export const default_wake_function: wait_queue_func_t = (e, mode) => (try_to_wake_up(e.private, mode) ? 1 : 0);

/** autoremove_wake_function(): wakes, and on success unlinks the entry (list_del_init_careful). */
export const autoremove_wake_function: wait_queue_func_t = (e, mode, flags) => {
  const ret = default_wake_function(e, mode, flags);
  if (ret) list_del_init(e.entry);
  return ret;
};

/** Wait entries live on the waiter's stack (they die when the creating kfunc frame returns). */
function new_entry(flags: number, func: wait_queue_func_t): wait_queue_entry_t {
  const task = current();
  return DEFINE_ON_STACK((): wait_queue_entry_t => ({ flags, private: task, func, entry: LIST_HEAD() }), 'wait');
}

/** DEFINE_WAIT(name) / init_wait(): an entry for the current task with autoremove_wake_function. */
export function DEFINE_WAIT(): wait_queue_entry_t {
  return new_entry(0, autoremove_wake_function);
}
export const init_wait = DEFINE_WAIT;

/** init_wait_entry(): what ___wait_event uses. */
export function init_wait_entry(flags: number): wait_queue_entry_t {
  return new_entry(flags, autoremove_wake_function);
}

/** DECLARE_WAITQUEUE(name, tsk): an entry with default_wake_function (not auto-removed). */
export function DECLARE_WAITQUEUE(tsk: Task = current()): wait_queue_entry_t {
  const e = new_entry(0, default_wake_function);
  e.private = tsk;
  return e;
}

export function* add_wait_queue(wq: wait_queue_head_t, e: wait_queue_entry_t): KGen {
  yield undefined;
  wq_lock(wq);
  e.flags &= ~WQ_FLAG_EXCLUSIVE;
  list_add(e.entry, wq.head);
  wq_unlock(wq);
}

export function* add_wait_queue_exclusive(wq: wait_queue_head_t, e: wait_queue_entry_t): KGen {
  yield undefined;
  wq_lock(wq);
  e.flags |= WQ_FLAG_EXCLUSIVE;
  list_add_tail(e.entry, wq.head);
  wq_unlock(wq);
}

export function* remove_wait_queue(wq: wait_queue_head_t, e: wait_queue_entry_t): KGen {
  yield undefined;
  wq_lock(wq);
  list_del(e.entry);
  wq_unlock(wq);
}

/** The body of prepare_to_wait() without its step boundary, for callers that hold their own lock (mempool). */
export function __prepare_to_wait(wq: wait_queue_head_t, e: wait_queue_entry_t, state: number): void {
  wq_lock(wq);
  e.flags &= ~WQ_FLAG_EXCLUSIVE;
  if (list_empty(e.entry)) list_add(e.entry, wq.head);
  set_current_state(state);
  wq_unlock(wq);
}

/** prepare_to_wait(): queue the entry if it is not queued, then set the task state. */
export function* prepare_to_wait(wq: wait_queue_head_t, e: wait_queue_entry_t, state: number): KGen {
  yield undefined;
  __prepare_to_wait(wq, e, state);
}

/** prepare_to_wait_exclusive(): returns whether the entry was newly queued (at the tail). */
export function* prepare_to_wait_exclusive(wq: wait_queue_head_t, e: wait_queue_entry_t, state: number): KGen<boolean> {
  yield undefined;
  wq_lock(wq);
  e.flags |= WQ_FLAG_EXCLUSIVE;
  const was_empty = list_empty(e.entry);
  if (was_empty) list_add_tail(e.entry, wq.head);
  set_current_state(state);
  wq_unlock(wq);
  return was_empty;
}

/** prepare_to_wait_event(): signals are not modelled, so it always queues and returns 0. */
export function* prepare_to_wait_event(wq: wait_queue_head_t, e: wait_queue_entry_t, state: number): KGen<number> {
  yield undefined;
  wq_lock(wq);
  if (list_empty(e.entry)) {
    if (e.flags & WQ_FLAG_EXCLUSIVE) list_add_tail(e.entry, wq.head);
    else list_add(e.entry, wq.head);
  }
  set_current_state(state);
  wq_unlock(wq);
  return 0;
}

/**
 * finish_wait(): back to TASK_RUNNING and unqueue the entry if a waker did not (the lockless
 * list_empty_careful() reads the entry, which the waker's autoremove writes; the lock is taken only
 * to unlink).
 */
export function* finish_wait(wq: wait_queue_head_t, e: wait_queue_entry_t): KGen {
  __set_current_state(TASK_RUNNING);
  yield undefined;
  if (!list_empty(e.entry)) {
    wq_lock(wq);
    list_del_init(e.entry);
    wq_unlock(wq);
  }
}

/** __wake_up(): wakes every non-exclusive waiter and up to nr_exclusive exclusive ones (0 = all). */
export function* __wake_up(wq: wait_queue_head_t, mode: number, nr_exclusive: number): KGen<number> {
  yield undefined;
  const t = current();
  t.frames.push('__wake_up');
  wq_lock(wq);
  let nr = nr_exclusive;
  let woken = 0;
  for (const e of list_for_each_entry_safe<wait_queue_entry_t>(wq.head, 'entry')) {
    const flags = e.flags;
    const ret = e.func(e, mode, 0);
    if (ret < 0) break;
    if (ret) woken++;
    if (ret && flags & WQ_FLAG_EXCLUSIVE && !--nr) break;
  }
  wq_unlock(wq);
  t.frames.pop();
  return woken;
}

export function* wake_up(wq: wait_queue_head_t): KGen<number> {
  return yield* __wake_up(wq, TASK_NORMAL, 1);
}

export function* wake_up_all(wq: wait_queue_head_t): KGen<number> {
  return yield* __wake_up(wq, TASK_NORMAL, 0);
}

export function* wake_up_interruptible(wq: wait_queue_head_t): KGen<number> {
  return yield* __wake_up(wq, TASK_INTERRUPTIBLE, 1);
}

export function* wake_up_interruptible_all(wq: wait_queue_head_t): KGen<number> {
  return yield* __wake_up(wq, TASK_INTERRUPTIBLE, 0);
}

/** waitqueue_active(): a lockless !list_empty(&wq->head) (plain read, no step of its own). */
export function waitqueue_active(wq: wait_queue_head_t): boolean {
  machine().access(obj_id(wq), ACCESS_READ);
  return !list_empty(wq.head);
}

/** wq_has_sleeper(): smp_mb() + waitqueue_active() (memory is sequentially consistent here). */
export const wq_has_sleeper = waitqueue_active;

/**
 * ___wait_event(wq, condition, state, exclusive, ret, cmd):
 *   init_wait_entry; for (;;) { prepare_to_wait_event; if (condition) break; cmd; } finish_wait
 * `cmd` receives and returns the running __ret (schedule() ignores it; schedule_timeout() uses it).
 */
export function* ___wait_event(
  wq: wait_queue_head_t,
  condition: WaitCondition,
  state: number,
  exclusive: boolean,
  ret: number,
  cmd: (ret: number) => KGen<number>,
): KGen<number> {
  const t = current();
  t.frames.push('___wait_event');
  const e = init_wait_entry(exclusive ? WQ_FLAG_EXCLUSIVE : 0);
  let r = ret;
  for (;;) {
    yield* prepare_to_wait_event(wq, e, state);
    if (yield* eval_condition(condition)) break;
    r = yield* cmd(r);
  }
  yield* finish_wait(wq, e);
  t.frames.pop();
  return r;
}

/**
 * The `cmd` of wait_event(): schedule(). Arrows over module-level generators here and below: a
 * generator function made per wait would keep the run's world alive through the young GC
 * (docs/architecture.md, "What keeps a finished run alive").
 */
function sleep_on(wq: wait_queue_head_t): (ret: number) => KGen<number> {
  const on = wq_waitable(wq);
  return (r) => schedule_ret(on, r);
}

function* schedule_ret(on: Waitable, r: number): KGen<number> {
  yield* schedule(on);
  return r;
}

function* wait_event_state(wq: wait_queue_head_t, condition: WaitCondition, state: number, line: number): KGen<number> {
  might_sleep('include/linux/wait.h', line);
  yield undefined;
  if (yield* eval_condition(condition)) return 0;
  return yield* ___wait_event(wq, condition, state, false, 0, sleep_on(wq));
}

/** wait_event(wq, condition): uninterruptible sleep until condition is true. */
export function* wait_event(wq: wait_queue_head_t, condition: WaitCondition): KGen {
  yield* wait_event_state(wq, condition, TASK_UNINTERRUPTIBLE, 369);
}

/** wait_event_interruptible(): signals are not modelled, so it returns 0 once the condition holds. */
export function* wait_event_interruptible(wq: wait_queue_head_t, condition: WaitCondition): KGen<number> {
  return yield* wait_event_state(wq, condition, TASK_INTERRUPTIBLE, 500);
}

/** wait_event_freezable(): freezing is not modelled; an interruptible, freezable sleep. */
export function* wait_event_freezable(wq: wait_queue_head_t, condition: WaitCondition): KGen<number> {
  return yield* wait_event_state(wq, condition, TASK_INTERRUPTIBLE | TASK_FREEZABLE, 420);
}

/** wait_event_killable(): fatal signals are not modelled; returns 0. */
export function* wait_event_killable(wq: wait_queue_head_t, condition: WaitCondition): KGen<number> {
  return yield* wait_event_state(wq, condition, TASK_KILLABLE, 937);
}

/** wait_event_idle(): TASK_IDLE, not counted as a hung task. */
export function* wait_event_idle(wq: wait_queue_head_t, condition: WaitCondition): KGen {
  yield* wait_event_state(wq, condition, TASK_IDLE, 669);
}

/**
 * wait_event_timeout(wq, condition, timeout): returns 0 if the condition was
 * still false when the timeout elapsed, else the jiffies left (at least 1).
 */
export function* wait_event_timeout(wq: wait_queue_head_t, condition: WaitCondition, timeout: number): KGen<number> {
  might_sleep('include/linux/wait.h', 398);
  const w: timeout_wait = { condition, r: timeout };
  const cond = () => wait_cond_timeout(w);
  yield undefined;
  if (yield* cond()) return w.r;
  yield* ___wait_event(wq, cond, TASK_UNINTERRUPTIBLE, false, timeout, () => wait_timeout_cmd(w));
  return w.r;
}

/** A wait_event_timeout()'s condition and its running __ret. */
interface timeout_wait {
  readonly condition: WaitCondition;
  r: number;
}

/** ___wait_cond_timeout(condition) */
function* wait_cond_timeout(w: timeout_wait): KGen<boolean> {
  const c = yield* eval_condition(w.condition);
  if (c && !w.r) w.r = 1;
  return c || !w.r;
}

/** __ret = schedule_timeout(__ret) */
function* wait_timeout_cmd(w: timeout_wait): KGen<number> {
  w.r = yield* schedule_timeout(w.r);
  return w.r;
}

export { MAX_SCHEDULE_TIMEOUT };
