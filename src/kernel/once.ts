/**
 * READ_ONCE / WRITE_ONCE and atomic_t (include/asm-generic/rwonce.h,
 * include/linux/atomic.h). Each is a visible step: the scheduler may switch
 * tasks right before it.
 */
import { type KGen, ACCESS_READ, ACCESS_WRITE, machine, track } from '../sim/index.js';

/** READ_ONCE(obj->field) on a tracked object. */
export function* READ_ONCE<T extends object, K extends keyof T>(obj: T, field: K): KGen<T[K]> {
  yield undefined;
  return obj[field];
}

/** WRITE_ONCE(obj->field, v) on a tracked object. */
export function* WRITE_ONCE<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): KGen {
  yield undefined;
  obj[field] = v;
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
