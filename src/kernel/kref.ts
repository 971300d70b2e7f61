/**
 * refcount_t and kref (include/linux/refcount.h, lib/refcount.c,
 * include/linux/kref.h). Each operation is one atomic, visible step on a
 * field of simulated memory. Misuse saturates the counter and WARNs once,
 * with the kernel's messages ("refcount_t: underflow; use-after-free.").
 *
 * Footprint: refs is an atomic_t, so its accesses are marked (KCSAN never reports them, and they
 * order like any atomic in our sequentially consistent model), and each operation also reads or
 * writes the refcount's object id (given by REFCOUNT_INIT()/KREF_INIT()), so the explorer orders
 * them even for a refcount_t that is not in tracked memory. Inside a tracked struct the field
 * access is also KASAN's: a refcount operation on a freed object is a use-after-free.
 */
import {
  ACCESS_READ,
  ACCESS_WRITE,
  type KGen,
  current,
  machine,
  markInternal,
  markedRead,
  markedWrite,
} from '../sim/index.js';
import { WARN_ON_ONCE } from './bug.js';
import { assign_obj_id, obj_id } from './objid.js';

markInternal('refcount_warn_saturate');

/** refcount_t { atomic_t refs; } */
export interface refcount_t {
  refs: number;
}

/** struct kref { refcount_t refcount; } */
export interface kref {
  refcount: refcount_t;
}

/** REFCOUNT_SATURATED = INT_MIN / 2 */
export const REFCOUNT_SATURATED = -(2 ** 30);
const INT_MAX = 2 ** 31 - 1;

export function REFCOUNT_INIT(n: number): refcount_t {
  return assign_obj_id({ refs: n });
}

export function KREF_INIT(n: number): kref {
  return { refcount: REFCOUNT_INIT(n) };
}

/** atomic_read(&r->refs) */
function get(r: refcount_t): number {
  machine().access(obj_id(r), ACCESS_READ);
  return markedRead(r, 'refs');
}

/** atomic_set(&r->refs, v) (and the write half of an atomic read-modify-write) */
function set(r: refcount_t, v: number): void {
  machine().access(obj_id(r), ACCESS_WRITE);
  markedWrite(r, 'refs', v);
}

/** enum refcount_saturation_type */
const Sat = {
  ADD_NOT_ZERO_OVF: 0,
  ADD_OVF: 1,
  ADD_UAF: 2,
  SUB_UAF: 3,
  DEC_LEAK: 4,
} as const;
type Sat = (typeof Sat)[keyof typeof Sat];

/** refcount_warn_saturate() (lib/refcount.c) */
function refcount_warn_saturate(r: refcount_t, t: Sat): void {
  const task = current();
  task.frames.push('refcount_warn_saturate');
  set(r, REFCOUNT_SATURATED);
  switch (t) {
    case Sat.ADD_NOT_ZERO_OVF:
      WARN_ON_ONCE(true, 'lib/refcount.c:19', 'refcount_t: saturated; leaking memory.');
      break;
    case Sat.ADD_OVF:
      WARN_ON_ONCE(true, 'lib/refcount.c:22', 'refcount_t: saturated; leaking memory.');
      break;
    case Sat.ADD_UAF:
      WARN_ON_ONCE(true, 'lib/refcount.c:25', 'refcount_t: addition on 0; use-after-free.');
      break;
    case Sat.SUB_UAF:
      WARN_ON_ONCE(true, 'lib/refcount.c:28', 'refcount_t: underflow; use-after-free.');
      break;
    case Sat.DEC_LEAK:
      WARN_ON_ONCE(true, 'lib/refcount.c:31', 'refcount_t: decrement hit 0; leaking memory.');
      break;
  }
  task.frames.pop();
}

/** 32-bit wrap-around, as atomic_t arithmetic does. */
const i32 = (v: number): number => v | 0;

export function* refcount_set(r: refcount_t, n: number): KGen {
  yield undefined;
  set(r, n);
}

export function* refcount_read(r: refcount_t): KGen<number> {
  yield undefined;
  return get(r);
}

/** refcount_add(i, r) */
export function* refcount_add(i: number, r: refcount_t): KGen {
  yield undefined;
  const old = get(r);
  set(r, i32(old + i));
  if (!old) refcount_warn_saturate(r, Sat.ADD_UAF);
  else if (old < 0 || old + i < 0 || old + i > INT_MAX) refcount_warn_saturate(r, Sat.ADD_OVF);
}

export function* refcount_inc(r: refcount_t): KGen {
  yield* refcount_add(1, r);
}

/** refcount_add_not_zero(i, r): false (and no change) if the count is 0. */
export function* refcount_add_not_zero(i: number, r: refcount_t): KGen<boolean> {
  yield undefined;
  const old = get(r);
  if (old) set(r, i32(old + i));
  if (old < 0 || old + i < 0 || old + i > INT_MAX) refcount_warn_saturate(r, Sat.ADD_NOT_ZERO_OVF);
  return old !== 0;
}

export function* refcount_inc_not_zero(r: refcount_t): KGen<boolean> {
  return yield* refcount_add_not_zero(1, r);
}

/** refcount_sub_and_test(i, r): true when the count reaches 0. */
export function* refcount_sub_and_test(i: number, r: refcount_t): KGen<boolean> {
  yield undefined;
  const old = get(r);
  set(r, i32(old - i));
  if (old === i) return true;
  if (old < 0 || old - i < 0) refcount_warn_saturate(r, Sat.SUB_UAF);
  return false;
}

export function* refcount_dec_and_test(r: refcount_t): KGen<boolean> {
  return yield* refcount_sub_and_test(1, r);
}

/** refcount_dec(): must not reach 0 (that leaks: "decrement hit 0"). */
export function* refcount_dec(r: refcount_t): KGen {
  yield undefined;
  const old = get(r);
  set(r, i32(old - 1));
  if (old <= 1) refcount_warn_saturate(r, Sat.DEC_LEAK);
}

export function* kref_init(k: kref): KGen {
  yield* refcount_set(k.refcount, 1);
}

export function* kref_read(k: kref): KGen<number> {
  return yield* refcount_read(k.refcount);
}

export function* kref_get(k: kref): KGen {
  yield* refcount_inc(k.refcount);
}

/** kref_get_unless_zero(): true if a reference was taken. */
export function* kref_get_unless_zero(k: kref): KGen<boolean> {
  return yield* refcount_inc_not_zero(k.refcount);
}

/**
 * kref_put(kref, release): drops a reference; on the last one calls
 * release(kref) (a plain function or a generator) and returns 1, else 0.
 */
export function* kref_put(k: kref, release: (k: kref) => void | KGen): KGen<number> {
  if (yield* refcount_dec_and_test(k.refcount)) {
    const r = release(k);
    if (r) yield* r;
    return 1;
  }
  return 0;
}
