/**
 * kref (include/linux/kref.h) on refcount_t (kernel/refcount.ts, which this file re-exports for
 * the callers that took refcount_t from here).
 *
 * kref_put_lock() / kref_put_mutex(): refcount_dec_and_lock() / refcount_dec_and_mutex_lock(),
 * and on the last reference release(kref) runs with the lock held; release must drop it (as in
 * the kernel, where the lock protects the lookup structure the object is removed from, so that a
 * concurrent lookup under the lock cannot find the object at refcount 0).
 *
 * Footprint: the refcount's (kernel/refcount.ts) and the lock's.
 */
import type { KGen } from '../sim/index.js';
import type { mutex } from './locking/mutex.js';
import type { spinlock_t } from './locking/spinlock.js';
import {
  REFCOUNT_INIT,
  type refcount_t,
  refcount_dec_and_lock,
  refcount_dec_and_mutex_lock,
  refcount_dec_and_test,
  refcount_inc,
  refcount_inc_not_zero,
  refcount_read,
  refcount_set,
} from './refcount.js';

export * from './refcount.js';

/** struct kref { refcount_t refcount; } */
export interface kref {
  refcount: refcount_t;
}

export function KREF_INIT(n: number): kref {
  return { refcount: REFCOUNT_INIT(n) };
}

/** kref's release callback: a plain function or a generator (a release may take locks or sleep). */
export type kref_release_t = (k: kref) => void | KGen;

function* call_release(release: kref_release_t, k: kref): KGen {
  const r = release(k);
  if (r) yield* r;
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
export function* kref_put(k: kref, release: kref_release_t): KGen<number> {
  if (yield* refcount_dec_and_test(k.refcount)) {
    yield* call_release(release, k);
    return 1;
  }
  return 0;
}

/**
 * kref_put_mutex(kref, release, mutex): on the last reference, release(kref) runs with the mutex
 * held (refcount_dec_and_mutex_lock()) and must unlock it; returns 1 then, else 0.
 */
export function* kref_put_mutex(k: kref, release: kref_release_t, lock: mutex): KGen<number> {
  if (yield* refcount_dec_and_mutex_lock(k.refcount, lock)) {
    yield* call_release(release, k);
    return 1;
  }
  return 0;
}

/**
 * kref_put_lock(kref, release, lock): on the last reference, release(kref) runs with the spinlock
 * held (refcount_dec_and_lock()) and must unlock it; returns 1 then, else 0.
 */
export function* kref_put_lock(k: kref, release: kref_release_t, lock: spinlock_t): KGen<number> {
  if (yield* refcount_dec_and_lock(k.refcount, lock)) {
    yield* call_release(release, k);
    return 1;
  }
  return 0;
}
