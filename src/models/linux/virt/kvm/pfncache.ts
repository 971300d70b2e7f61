/**
 * virt/kvm/pfncache.c (≈ v6.17): the gfn_to_pfn caches' invalidation from
 * the mmu_notifier start callback. kvm->gpc_lock is a spinlock_t and each
 * cache's lock an rwlock_t: both sleeping locks on PREEMPT_RT.
 */
import { type KGen, kfunc } from '../../../../sim/index.js';
import {
  type rwlock_t,
  read_lock_irq,
  read_unlock_irq,
  write_lock_irq,
  write_unlock_irq,
} from '../../../../kernel/locking/rwlock.js';
import {
  raw_spin_lock,
  raw_spin_unlock,
  type raw_spinlock_t,
  spin_lock,
  spin_unlock,
  type spinlock_t,
} from '../../../../kernel/locking/spinlock.js';
import type { kvm } from './kvm_main.js';

/** struct gfn_to_pfn_cache (the fields the invalidation reads). */
export interface gfn_to_pfn_cache {
  uhva: number;
  valid: boolean;
  readonly lock: rwlock_t;
}

function* gpc_lock(k: kvm): KGen {
  if (k.gpc_lock_raw) yield* raw_spin_lock(k.gpc_lock as raw_spinlock_t);
  else yield* spin_lock(k.gpc_lock as spinlock_t);
}

function* gpc_unlock(k: kvm): KGen {
  if (k.gpc_lock_raw) yield* raw_spin_unlock(k.gpc_lock as raw_spinlock_t);
  else yield* spin_unlock(k.gpc_lock as spinlock_t);
}

/** gfn_to_pfn_cache_invalidate_start(kvm, start, end) */
export const gfn_to_pfn_cache_invalidate_start = kfunc(function* gfn_to_pfn_cache_invalidate_start(
  k: kvm,
  start: number,
  end: number,
): KGen {
  yield* gpc_lock(k);
  for (const gpc of k.gpc_list) {
    yield* read_lock_irq(gpc.lock);
    /* Only a single page so no need to care about length */
    if (gpc.valid && gpc.uhva >= start && gpc.uhva < end) {
      yield* read_unlock_irq(gpc.lock);
      /*
       * There is a small window here where the cache could be
       * modified, and invalidation would no longer be necessary.
       * Hence check again whether invalidation is still necessary
       * once the write lock has been acquired.
       */
      yield* write_lock_irq(gpc.lock);
      if (gpc.valid && gpc.uhva >= start && gpc.uhva < end) gpc.valid = false;
      yield* write_unlock_irq(gpc.lock);
      continue;
    }
    yield* read_unlock_irq(gpc.lock);
  }
  yield* gpc_unlock(k);
});
