/**
 * arch/x86/kvm/mmu/tdp_mmu.c (≈ v6.17): the TDP MMU's zaps as walks with resched points.
 *
 * The model's secondary MMU is one root whose 4K-level SPTEs are kvm->sptes[gfn] (no huge pages,
 * no page-table pages). A walk visits the gfns in order; tdp_mmu_iter_cond_resched() may yield at
 * every gfn after the first one it has not yielded at (the iterator's forward-progress rule:
 * next_last_level_gfn != yielded_gfn), and a yield restarts the walk at that gfn (tdp_iter_restart).
 *
 * tdp_mmu_iter_need_resched() is need_resched() || rwlock_needbreak(&kvm->mmu_lock): a tick, a
 * wake-up or a waiter on mmu_lock can make it true at any iteration, which the model cannot know,
 * so it takes every resched point the progress rule allows. cond_resched_rwlock_write()'s
 * __might_resched(PREEMPT_LOCK_RESCHED_OFFSETS) therefore checks the context at each of them:
 * silent in process context with mmu_lock held, a "sleeping function called from invalid context"
 * in an SRCU callback (BH disabled: !RT preempt_count 0x201 against 1; RT RCU nest depth 3 against 1:
 * softirq_ctrl.lock, local_bh_disable()'s own rcu_read_lock() and mmu_lock's).
 */
import { type KGen, kfunc } from '../../../../../../sim/index.js';
import { rcu_read_lock, rcu_read_unlock } from '../../../../../../kernel/rcu/update.js';
import { cond_resched_rwlock_write } from '../../../../../../kernel/sched/cond_resched.js';
import { WARN_ON_ONCE } from '../../../../../../kernel/bug.js';
import { type kvm, kvm_flush_remote_tlbs } from '../../../../virt/kvm/kvm_main.js';

/** struct tdp_iter (the fields the resched rule reads). */
interface tdp_iter {
  gfn: number;
  next_last_level_gfn: number;
  yielded_gfn: number;
  yielded: boolean;
}

function tdp_iter_start(gfn: number): tdp_iter {
  return { gfn, next_last_level_gfn: gfn, yielded_gfn: gfn, yielded: false };
}

/**
 * tdp_mmu_iter_cond_resched(kvm, iter, flush, shared) (static inline: no frame of its own).
 * Caller holds mmu_lock for write and rcu_read_lock(). Returns whether it yielded.
 */
function* tdp_mmu_iter_cond_resched(k: kvm, iter: tdp_iter, flush: boolean): KGen<boolean> {
  // KVM_MMU_WARN_ON(iter->yielded)
  /* tdp_mmu_iter_need_resched(): ensure forward progress has been made before yielding. */
  if (iter.next_last_level_gfn === iter.yielded_gfn) return false;
  if (flush) yield* kvm_flush_remote_tlbs(k);
  rcu_read_unlock();
  yield* cond_resched_rwlock_write(k.mmu_lock, 'arch/x86/kvm/mmu/tdp_mmu.c', 705);
  rcu_read_lock();
  WARN_ON_ONCE(iter.gfn > iter.next_last_level_gfn, 'arch/x86/kvm/mmu/tdp_mmu.c:709');
  iter.yielded = true;
  /* tdp_iter_restart() */
  iter.yielded_gfn = iter.next_last_level_gfn;
  return true;
}

/**
 * tdp_mmu_zap_leafs(kvm, root, start, end, can_yield, flush): zap the leaf SPTEs of [start, end);
 * caller holds mmu_lock for write. Returns whether a TLB flush is still owed.
 */
export const tdp_mmu_zap_leafs = kfunc(function* tdp_mmu_zap_leafs(
  k: kvm,
  start: number,
  end: number,
  can_yield: boolean,
  flush: boolean,
): KGen<boolean> {
  rcu_read_lock();
  const iter = tdp_iter_start(start);
  /* end = min(end, tdp_mmu_max_gfn_exclusive()); the array is re-read: a yield may let it grow */
  for (let gfn = start; gfn < end && gfn < k.sptes.length; gfn++) {
    iter.gfn = gfn;
    iter.next_last_level_gfn = gfn;
    if (can_yield && (yield* tdp_mmu_iter_cond_resched(k, iter, flush))) {
      flush = false;
      gfn--; /* the walk restarts at this gfn */
      continue;
    }
    iter.yielded = false;
    if (!k.sptes[gfn]) continue;
    /* tdp_mmu_iter_set_spte(kvm, &iter, SHADOW_NONPRESENT_VALUE) */
    k.sptes[gfn] = null;
    flush = true;
  }
  rcu_read_unlock();
  return flush;
});

/** __tdp_mmu_zap_root(kvm, root, shared=false, PG_LEVEL_4K): every SPTE of the root, yielding as it goes. */
const __tdp_mmu_zap_root = kfunc(function* __tdp_mmu_zap_root(k: kvm): KGen {
  const iter = tdp_iter_start(0);
  for (let gfn = 0; gfn < k.sptes.length; gfn++) {
    iter.gfn = gfn;
    iter.next_last_level_gfn = gfn;
    if (yield* tdp_mmu_iter_cond_resched(k, iter, false)) {
      gfn--;
      continue;
    }
    iter.yielded = false;
    if (!k.sptes[gfn]) continue;
    k.sptes[gfn] = null; /* tdp_mmu_iter_set_spte() */
  }
});

/**
 * tdp_mmu_zap_root(kvm, root, shared=false): rcu_read_lock(), then the passes at 4K, 2M, 1G and
 * the root's level. The model has only 4K SPTEs: the 2M/1G/root passes, which here would find no
 * present leaf, are not modelled (they would add resched points of the same kind).
 */
const tdp_mmu_zap_root = kfunc(function* tdp_mmu_zap_root(k: kvm): KGen {
  rcu_read_lock();
  yield* __tdp_mmu_zap_root(k);
  rcu_read_unlock();
});

/** kvm_tdp_mmu_zap_all(kvm): caller holds mmu_lock for write; the model has one (direct) root. */
export const kvm_tdp_mmu_zap_all = kfunc(function* kvm_tdp_mmu_zap_all(k: kvm): KGen {
  // __for_each_tdp_mmu_root_yield_safe(kvm, root, -1, KVM_DIRECT_ROOTS)
  yield* tdp_mmu_zap_root(k);
});
