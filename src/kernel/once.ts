/**
 * READ_ONCE / WRITE_ONCE, smp_load_acquire / smp_store_release, data_race() and atomic_t
 * (include/asm-generic/rwonce.h, include/asm-generic/barrier.h, include/linux/compiler.h,
 * include/linux/atomic.h). Each READ_ONCE-like call is a visible step: the scheduler may switch
 * tasks right before it. Their accesses are marked (sim/memory.ts marked()): KCSAN does not
 * report a race between two marked accesses, and in our sequentially consistent model a marked
 * access also orders (see docs/fidelity/check.md). atomic_t is not simulated memory: its
 * operations are accesses of its own id, which order like any synchronisation.
 */
import {
  type KGen,
  ACCESS_READ,
  ACCESS_WRITE,
  machine,
  markedRead,
  markedWrite,
  track,
  unchecked,
} from '../sim/index.js';

/** READ_ONCE(obj->field) on a tracked object. */
export function* READ_ONCE<T extends object, K extends keyof T>(obj: T, field: K): KGen<T[K]> {
  yield undefined;
  return markedRead(obj, field);
}

/** WRITE_ONCE(obj->field, v) on a tracked object. */
export function* WRITE_ONCE<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): KGen {
  yield undefined;
  markedWrite(obj, field, v);
}

/**
 * __READ_ONCE(obj->field): the same marked read without a scheduling point, for code that has
 * just yielded (or reads inside a step of its own, like rcu_dereference() in a list walk).
 */
export function __READ_ONCE<T extends object, K extends keyof T>(obj: T, field: K): T[K] {
  return markedRead(obj, field);
}

/** __WRITE_ONCE(obj->field, v): the marked write without a scheduling point (rcu_assign_pointer()'s store). */
export function __WRITE_ONCE<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): void {
  markedWrite(obj, field, v);
}

/** smp_load_acquire(&obj->field): a marked read (acquire ordering is implied by our SC model). */
export function* smp_load_acquire<T extends object, K extends keyof T>(obj: T, field: K): KGen<T[K]> {
  yield undefined;
  return markedRead(obj, field);
}

/** smp_store_release(&obj->field, v): a marked write (release ordering is implied by our SC model). */
export function* smp_store_release<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): KGen {
  yield undefined;
  markedWrite(obj, field, v);
}

/**
 * data_race(expr): the accesses expr makes are intentionally racy and invisible to KCSAN (they
 * neither race nor order). expr must not yield.
 */
export function data_race<T>(expr: () => T): T {
  return unchecked(expr);
}

/** atomic_t: every operation is one visible, indivisible step. */
export class atomic_t {
  readonly id = machine().newId();
  counter: number;
  constructor(v = 0) {
    this.counter = v;
  }
}

export function ATOMIC_INIT(v: number): atomic_t {
  return new atomic_t(v);
}

function* rmw(a: atomic_t, f: (v: number) => number): KGen<number> {
  yield undefined;
  machine().access(a.id, ACCESS_WRITE);
  a.counter = f(a.counter);
  return a.counter;
}

export function* atomic_read(a: atomic_t): KGen<number> {
  yield undefined;
  machine().access(a.id, ACCESS_READ);
  return a.counter;
}

export function* atomic_set(a: atomic_t, v: number): KGen {
  yield* rmw(a, () => v);
}

export const atomic_inc = (a: atomic_t): KGen<number> => rmw(a, (v) => v + 1);
export const atomic_dec = (a: atomic_t): KGen<number> => rmw(a, (v) => v - 1);
export const atomic_add_return = (a: atomic_t, n: number): KGen<number> => rmw(a, (v) => v + n);
export const atomic_inc_return = (a: atomic_t): KGen<number> => rmw(a, (v) => v + 1);
export const atomic_dec_return = (a: atomic_t): KGen<number> => rmw(a, (v) => v - 1);

export function* atomic_dec_and_test(a: atomic_t): KGen<boolean> {
  return (yield* rmw(a, (v) => v - 1)) === 0;
}

/** atomic_inc_not_zero(): returns whether it incremented. */
export function* atomic_inc_not_zero(a: atomic_t): KGen<boolean> {
  yield undefined;
  machine().access(a.id, ACCESS_WRITE);
  if (a.counter === 0) return false;
  a.counter++;
  return true;
}

/** Shared variables for small programs: a static object in simulated memory. */
export function shared<T extends object>(init: T, label = 'shared'): T {
  return track(init, 'static', label);
}
