/**
 * refcount_t (include/linux/refcount.h, lib/refcount.c). Each operation is one atomic, visible
 * step on a field of simulated memory. Misuse saturates the counter and WARNs once, with the
 * kernel's messages ("refcount_t: underflow; use-after-free."). kref (include/linux/kref.h) is
 * built on it in kernel/kref.ts.
 *
 * The dec-and-lock family (refcount_dec_and_lock(), refcount_dec_and_mutex_lock(),
 * refcount_dec_and_lock_irqsave()) is lib/refcount.c's: refcount_dec_not_one() (one atomic step:
 * the kernel's try_cmpxchg loop has no other outcome in a sequentially consistent model), and only
 * when that finds the count at 1, the lock, then refcount_dec_and_test() under it; true means "the
 * count reached 0 and the lock is held" (the caller unlocks after removing the object from what
 * the lock protects).
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
import { type mutex, mutex_lock, mutex_unlock } from './locking/mutex.js';
import {
  type spinlock_t,
  spin_lock,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irqrestore,
} from './locking/spinlock.js';
import { assign_obj_id, obj_id } from './objid.js';

markInternal(
  'refcount_warn_saturate',
  'refcount_dec_not_one',
  'refcount_dec_and_lock',
  'refcount_dec_and_mutex_lock',
  'refcount_dec_and_lock_irqsave',
);

/** refcount_t { atomic_t refs; } */
export interface refcount_t {
  refs: number;
}

/** REFCOUNT_SATURATED = INT_MIN / 2 */
export const REFCOUNT_SATURATED = -(2 ** 30);
const INT_MAX = 2 ** 31 - 1;

export function REFCOUNT_INIT(n: number): refcount_t {
  return assign_obj_id({ refs: n });
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

/** refcount_dec_if_one(r): the 1 -> 0 transition, or nothing (returns whether it happened). */
export function* refcount_dec_if_one(r: refcount_t): KGen<boolean> {
  yield undefined;
  const old = get(r);
  if (old !== 1) return false;
  set(r, 0);
  return true;
}

/** refcount_dec_not_one() without the scheduling point (the first half of the dec-and-lock family). */
function __refcount_dec_not_one(r: refcount_t): boolean {
  const old = get(r);
  if (old === REFCOUNT_SATURATED) return true;
  if (old === 1) return false;
  set(r, i32(old - 1));
  if (old <= 0) {
    // new > val as unsigned: the count was 0 (or negative, i.e. saturated elsewhere).
    const t = current();
    t.frames.push('refcount_dec_not_one');
    WARN_ON_ONCE(true, 'lib/refcount.c:87', 'refcount_t: underflow; use-after-free.');
    t.frames.pop();
  }
  return true;
}

/** refcount_dec_not_one(r): decrements unless the count is 1 (returns false then, and changes nothing). */
export function* refcount_dec_not_one(r: refcount_t): KGen<boolean> {
  yield undefined;
  return __refcount_dec_not_one(r);
}

/**
 * refcount_dec_and_lock(r, lock): true, with the spinlock held, when the count reached 0;
 * otherwise false (the lock not held).
 */
export function* refcount_dec_and_lock(r: refcount_t, lock: spinlock_t): KGen<boolean> {
  const t = current();
  t.frames.push('refcount_dec_and_lock');
  try {
    if (yield* refcount_dec_not_one(r)) return false;
    yield* spin_lock(lock);
    if (!(yield* refcount_dec_and_test(r))) {
      yield* spin_unlock(lock);
      return false;
    }
    return true;
  } finally {
    t.frames.pop();
  }
}

/** refcount_dec_and_mutex_lock(r, lock): as refcount_dec_and_lock() with a mutex (may sleep). */
export function* refcount_dec_and_mutex_lock(r: refcount_t, lock: mutex): KGen<boolean> {
  const t = current();
  t.frames.push('refcount_dec_and_mutex_lock');
  try {
    if (yield* refcount_dec_not_one(r)) return false;
    yield* mutex_lock(lock);
    if (!(yield* refcount_dec_and_test(r))) {
      yield* mutex_unlock(lock);
      return false;
    }
    return true;
  } finally {
    t.frames.pop();
  }
}

/**
 * refcount_dec_and_lock_irqsave(r, lock, &flags): as refcount_dec_and_lock() with
 * spin_lock_irqsave(). Returns null (not held) or the saved flags for spin_unlock_irqrestore()
 * (the kernel's bool result and its *flags in one value).
 */
export function* refcount_dec_and_lock_irqsave(r: refcount_t, lock: spinlock_t): KGen<{ flags: boolean } | null> {
  const t = current();
  t.frames.push('refcount_dec_and_lock_irqsave');
  try {
    if (yield* refcount_dec_not_one(r)) return null;
    const flags = yield* spin_lock_irqsave(lock);
    if (!(yield* refcount_dec_and_test(r))) {
      yield* spin_unlock_irqrestore(lock, flags);
      return null;
    }
    return { flags };
  } finally {
    t.frames.pop();
  }
}
