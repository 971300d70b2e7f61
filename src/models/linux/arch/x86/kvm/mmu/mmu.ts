/**
 * arch/x86/kvm/mmu/mmu.c (≈ v6.17): kvm_arch_flush_shadow_all() → kvm_mmu_zap_all().
 *
 * With the TDP MMU (x86-64 with EPT/NPT, the default) and no nested guest, active_mmu_pages is
 * empty: the shadow-page loop, whose cond_resched_rwlock_write() would check the context once per
 * shadow page unconditionally, has no iteration, and the zap is kvm_tdp_mmu_zap_all()'s walk.
 */
import { type KGen, kfunc } from '../../../../../../sim/index.js';
import { write_lock, write_unlock } from '../../../../../../kernel/locking/rwlock.js';
import type { kvm } from '../../../../virt/kvm/kvm_main.js';
import { kvm_tdp_mmu_zap_all } from './tdp_mmu.js';

/** kvm_mmu_zap_all(kvm) */
const kvm_mmu_zap_all = kfunc(function* kvm_mmu_zap_all(k: kvm): KGen {
  yield* write_lock(k.mmu_lock);
  // list_for_each_entry_safe(sp, node, &kvm->arch.active_mmu_pages, link): none (TDP MMU only)
  // kvm_mmu_commit_zap_page(kvm, &invalid_list);
  /* if (tdp_mmu_enabled) */
  yield* kvm_tdp_mmu_zap_all(k);
  yield* write_unlock(k.mmu_lock);
});

/** kvm_arch_flush_shadow_all(kvm) */
export const kvm_arch_flush_shadow_all = kfunc(function* kvm_arch_flush_shadow_all(k: kvm): KGen {
  yield* kvm_mmu_zap_all(k);
});
