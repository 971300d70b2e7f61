/**
 * RCU read side (include/linux/rcupdate.h, CONFIG_PREEMPT_RCU): the nesting
 * count and the rcu_read_lock lockdep map, plus what the RCU and SRCU
 * grace-period code share: struct rcu_head, RCU_LOCKDEP_WARN and the
 * per-task quiescent-state counter. Grace periods (synchronize_rcu,
 * call_rcu) live in kernel/rcu/tree.ts, SRCU in kernel/rcu/srcutree.ts.
 */
import { ACCESS_WRITE, type KGen, type Task, current, machine, RunSlot } from '../../sim/index.js';
import { lock_is_held, lock_map_acquire_read, lock_map_release, lockdep_map } from '../locking/lockdep.js';
import { kconfig } from '../kernel.js';
import { READ_ONCE, WRITE_ONCE, __WRITE_ONCE } from '../once.js';

/** rcu_lock_map: lockdep's view of rcu_read_lock() (its class only: one for the thread's life). */
export const rcu_lock_map = new lockdep_map('rcu_read_lock');

/** rcu_callback_t: a callback may be a plain function or a generator (so a buggy one can sleep). */
export type rcu_callback_t = (head: rcu_head) => KGen | void;

/**
 * struct rcu_head (struct callback_head). Embed one in a model struct as a
 * plain field (`rcu: RCU_HEAD_INIT()`); call_rcu()/call_srcu() write its
 * func, so queuing a freed head is a use-after-free like in the kernel.
 */
export interface rcu_head {
  next: rcu_head | null;
  func: rcu_callback_t | null;
}

export function RCU_HEAD_INIT(): rcu_head {
  return { next: null, func: null };
}

/** Called when a task leaves its outermost RCU read-side section (rcu_read_unlock_special()). */
let unlockHook: ((t: Task) => void) | null = null;

/** Lets kernel/rcu/tree.ts learn about quiescent states without an import cycle. */
export function set_rcu_read_unlock_hook(fn: (t: Task) => void): void {
  unlockHook = fn;
}

/**
 * The object id of a task's RCU read-side state (its nesting count and quiescent-state counter):
 * rcu_read_lock()/rcu_read_unlock() write it, the grace-period code reads it when it decides
 * which readers to wait for, so the explorer sees that dependency.
 */
export function rcu_reader_id(t: Task): number {
  let id = t.data.rcu_reader_id as number | undefined;
  if (id === undefined) t.data.rcu_reader_id = id = machine().newId();
  return id;
}

export function rcu_read_lock(): void {
  const t = current();
  machine().access(rcu_reader_id(t), ACCESS_WRITE);
  if (t.rcu_read_lock_nesting++ === 0) {
    const m = machine();
    if (m.trace) m.emit({ type: 'context', what: 'rcu', on: true, task: t } as never);
  }
  lock_map_acquire_read(rcu_lock_map);
}

export function rcu_read_unlock(): void {
  const t = current();
  machine().access(rcu_reader_id(t), ACCESS_WRITE);
  lock_map_release(rcu_lock_map);
  if (--t.rcu_read_lock_nesting === 0) {
    const m = machine();
    if (m.trace) m.emit({ type: 'context', what: 'rcu', on: false, task: t } as never);
    t.data.rcu_qs = ((t.data.rcu_qs as number | undefined) ?? 0) + 1;
    unlockHook?.(t);
  }
}

/** rcu_preempt_depth() */
export function rcu_preempt_depth(): number {
  return current().rcu_read_lock_nesting;
}

export function rcu_read_lock_held(): boolean {
  return lock_is_held(rcu_lock_map);
}

/**
 * rcu_read_lock_any_held(): in an RCU reader of any flavour: rcu_read_lock(), or preemption,
 * softirqs or interrupts disabled (rcu_read_lock_bh()/_sched() and what they imply).
 */
export function rcu_read_lock_any_held(): boolean {
  return rcu_read_lock_held() || !current().preemptible();
}

const RCU_WARNED = new RunSlot('rcu-lockdep-warned', () => new Set<string>());

/**
 * RCU_LOCKDEP_WARN(c, s) (include/linux/rcupdate.h): with CONFIG_PROVE_RCU,
 * the first time per site in a run, "WARNING: suspicious RCU usage" via an
 * 'rcu_suspicious' event (check/ formats it). `site` is "file:line".
 */
export function RCU_LOCKDEP_WARN(cond: boolean, site: string, message: string): boolean {
  if (!cond || !kconfig().PROVE_RCU) return false;
  const m = machine();
  const warned = m.ext.of(RCU_WARNED);
  if (warned.has(site)) return true;
  warned.add(site);
  const [file = '', line = '0'] = site.split(':');
  m.emit({ type: 'rcu_suspicious', file, line: Number(line), message, task: current() } as never);
  return true;
}

/*
 * rcu_dereference() and friends (include/linux/rcupdate.h) on a field of a tracked object:
 * rcu_dereference(gp) is rcu_dereference(obj, 'field'). Each fetch is READ_ONCE(): a scheduling
 * point, then a marked read. `site` is the "file:line" the kernel's __FILE__/__LINE__ would give
 * (the caller's source line); without one the report says include/linux/rcupdate.h:0.
 */
const RCUPDATE_H = 'include/linux/rcupdate.h:0';

/** rcu_dereference_raw(p): the marked fetch, no lockdep check. */
export function* rcu_dereference_raw<T extends object, K extends keyof T>(obj: T, field: K): KGen<T[K]> {
  return yield* READ_ONCE(obj, field);
}

/**
 * __rcu_dereference_check(p, local, c, space): the marked fetch, then
 * RCU_LOCKDEP_WARN(!(c), "suspicious rcu_dereference_check() usage"), with `held` (c ||
 * rcu_read_lock{,_bh,_sched}_held()) evaluated after the fetch, as the kernel's macro does.
 */
function* __rcu_dereference_check<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  held: () => boolean,
  site: string,
): KGen<T[K]> {
  const v = yield* READ_ONCE(obj, field);
  RCU_LOCKDEP_WARN(!held(), site, 'suspicious rcu_dereference_check() usage');
  return v;
}

/**
 * rcu_dereference_check(p, c): the marked fetch, then (PROVE_RCU)
 * RCU_LOCKDEP_WARN(!(c || rcu_read_lock_held()), "suspicious rcu_dereference_check() usage").
 */
export function* rcu_dereference_check<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  c: boolean,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return yield* __rcu_dereference_check(obj, field, () => c || rcu_read_lock_held(), site);
}

/** rcu_dereference(p): rcu_dereference_check(p, 0). */
export function rcu_dereference<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return rcu_dereference_check(obj, field, false, site);
}

/**
 * rcu_dereference_protected(p, c): update side, under the lock c names: no READ_ONCE (a plain read,
 * no scheduling point), only RCU_LOCKDEP_WARN(!(c), "suspicious rcu_dereference_protected() usage").
 */
export function rcu_dereference_protected<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  c: boolean,
  site: string = RCUPDATE_H,
): T[K] {
  RCU_LOCKDEP_WARN(!c, site, 'suspicious rcu_dereference_protected() usage');
  return obj[field];
}

/**
 * rcu_read_lock_bh_held(): softirqs disabled (rcu_read_lock_bh(), local_bh_disable(), softirq
 * context) or interrupts disabled. Read from the task's counters (kernel/preempt.ts in_softirq()).
 */
export function rcu_read_lock_bh_held(): boolean {
  const t = current();
  return (
    (t.preempt_count & 0xff00) !== 0 || ((t.data.bh_disable_cnt as number | undefined) ?? 0) > 0 || t.irqs_disabled
  );
}

/** rcu_read_lock_sched_held(): preemption (or interrupts) disabled: rcu_read_lock_sched(), a spinlock on !RT. */
export function rcu_read_lock_sched_held(): boolean {
  return !current().preemptible();
}

/**
 * rcu_dereference_bh_check(p, c): the marked fetch, then
 * RCU_LOCKDEP_WARN(!(c || rcu_read_lock_bh_held()), "suspicious rcu_dereference_check() usage").
 */
export function* rcu_dereference_bh_check<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  c: boolean,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return yield* __rcu_dereference_check(obj, field, () => c || rcu_read_lock_bh_held(), site);
}

/** rcu_dereference_bh(p): rcu_dereference_bh_check(p, 0). */
export function rcu_dereference_bh<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return rcu_dereference_bh_check(obj, field, false, site);
}

/**
 * rcu_dereference_sched_check(p, c): the marked fetch, then
 * RCU_LOCKDEP_WARN(!(c || rcu_read_lock_sched_held()), "suspicious rcu_dereference_check() usage").
 */
export function* rcu_dereference_sched_check<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  c: boolean,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return yield* __rcu_dereference_check(obj, field, () => c || rcu_read_lock_sched_held(), site);
}

/** rcu_dereference_sched(p): rcu_dereference_sched_check(p, 0). */
export function rcu_dereference_sched<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  return rcu_dereference_sched_check(obj, field, false, site);
}

/**
 * rcu_access_pointer(p): the pointer's value for a NULL test or a comparison, never dereferenced:
 * a marked fetch (a scheduling point), no lockdep check.
 */
export function* rcu_access_pointer<T extends object, K extends keyof T>(obj: T, field: K): KGen<T[K]> {
  return yield* READ_ONCE(obj, field);
}

/**
 * rcu_replace_pointer(rcp, p, c): the old value, fetched with rcu_dereference_protected(rcp, c)
 * (its lockdep check), then rcu_assign_pointer(rcp, p). One step: no scheduling point between.
 */
export function* rcu_replace_pointer<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  v: T[K],
  c: boolean,
  site: string = RCUPDATE_H,
): KGen<T[K]> {
  yield undefined;
  const old = rcu_dereference_protected(obj, field, c, site);
  __WRITE_ONCE(obj, field, v);
  return old;
}

/** rcu_assign_pointer(p, v): publishes v with a marked store (release ordering is implied: SC memory). */
export function rcu_assign_pointer<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): KGen {
  return WRITE_ONCE(obj, field, v);
}
