/**
 * virt/kvm/pfncache.c (≈ v6.17, Kingxukai/linux mirror): gfn_to_pfn_cache — a kernel mapping of
 * one guest page that KVM itself writes (x86's kvm-clock pv_time, Xen shared info, ...).
 *
 * The cache holds no reference on the page: hva_to_pfn_retry() releases the one GUP took
 * ("The page is now tracked by the cache and can be safely migrated, swapped, etc... as the cache
 * will invalidate any mappings in response to relevant mmu_notifier events"). Its only protection
 * is gfn_to_pfn_cache_invalidate_start(), called by KVM's invalidate_range_start for every cache
 * on kvm->gpc_list — and a cache is on that list only while it is active (kvm_gpc_activate()
 * adds it, kvm_gpc_deactivate() removes it; kvm_gpc_init() does not). So a cache whose page is
 * freed without KVM's notifier running keeps `valid` and its `khva`: the next kvm_gpc_check()
 * succeeds and the host writes a freed page (a KASAN-visible host access, unlike the guest's).
 *
 * kvm->gpc_lock is a spinlock_t and each cache's lock an rwlock_t: both sleeping on PREEMPT_RT.
 * The model's khva is the page itself (x86-64 kmap() of RAM is page_address()).
 */
import { type KGen, kfunc } from '../../../../sim/index.js';
import { kconfig } from '../../../../kernel/kernel.js';
import { WARN_ON_ONCE } from '../../../../kernel/bug.js';
import { __READ_ONCE } from '../../../../kernel/once.js';
import { mutex, mutex_lock, mutex_unlock } from '../../../../kernel/locking/mutex.js';
import {
  type rwlock_t,
  read_lock,
  read_lock_irq,
  read_unlock,
  read_unlock_irq,
  rwlock_init,
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
import { local_irq_restore, local_irq_save } from '../../../../kernel/preempt.js';
import { PAGE_SHIFT, type page, mmap_read_lock, mmap_read_unlock } from '../../include/linux/mm_types.js';
import { handle_mm_fault } from '../../mm/memory.js';
import type { kvm } from './kvm_main.js';
import { design } from '../../variants.js';

const EINVAL = 22;
const EFAULT = 14;
export const INVALID_GPA = -1;
/** KVM_HVA_ERR_BAD */
export const KVM_HVA_ERR_BAD = -1;

/** struct gfn_to_pfn_cache */
export interface gfn_to_pfn_cache {
  readonly kvm: kvm;
  generation: number;
  gpa: number;
  uhva: number;
  /** gpc->pfn: the page (null = KVM_PFN_ERR_FAULT). */
  pfn: page | null;
  /** gpc->khva: the kernel mapping KVM writes through (the page itself here). */
  khva: page | null;
  active: boolean;
  valid: boolean;
  readonly lock: rwlock_t;
  readonly refresh_lock: mutex;
}

function* gpc_list_lock(k: kvm): KGen {
  if (k.gpc_lock_raw) yield* raw_spin_lock(k.gpc_lock as raw_spinlock_t);
  else yield* spin_lock(k.gpc_lock as spinlock_t);
}

function* gpc_list_unlock(k: kvm): KGen {
  if (k.gpc_lock_raw) yield* raw_spin_unlock(k.gpc_lock as raw_spinlock_t);
  else yield* spin_unlock(k.gpc_lock as spinlock_t);
}

/** read_lock_irqsave(&gpc->lock, flags): irqs off only on !PREEMPT_RT (rwlock_t sleeps on RT). */
export function* gpc_read_lock_irqsave(l: rwlock_t): KGen<boolean> {
  const flags = kconfig().PREEMPT_RT ? false : local_irq_save();
  yield* read_lock(l);
  return flags;
}

export function* gpc_read_unlock_irqrestore(l: rwlock_t, flags: boolean): KGen {
  yield* read_unlock(l);
  if (!kconfig().PREEMPT_RT) local_irq_restore(flags);
}

/** The fields kvm_gpc_init() sets, for embedding the cache in its owner (struct kvm_vcpu). */
export function GPC_INIT(k: kvm): gfn_to_pfn_cache {
  return {
    kvm: k,
    generation: 0,
    gpa: INVALID_GPA,
    uhva: KVM_HVA_ERR_BAD,
    pfn: null,
    khva: null,
    active: false,
    valid: false,
    lock: rwlock_init('&gpc->lock'),
    refresh_lock: new mutex('&gpc->refresh_lock'),
  };
}

/**
 * mmu_notifier_retry_cache(kvm, mmu_seq): mn_active_invalidate_count stands for
 * mmu_invalidate_in_progress here (the caches are invalidated before the latter is elevated).
 * Plain reads, as in the kernel.
 */
function mmu_notifier_retry_cache(k: kvm, mmu_seq: number): boolean {
  if (k.mn_active_invalidate_count) return true;
  /* smp_rmb(): pairs with the smp_wmb() in invalidate_range_end */
  return k.mmu_invalidate_seq !== mmu_seq;
}

/** hva_to_pfn(&kfp): get_user_pages(FOLL_WRITE) of the cache's uhva; the reference is dropped by the caller. */
function* hva_to_pfn(gpc: gfn_to_pfn_cache): KGen<page | null> {
  const mm = gpc.kvm.mm;
  yield* mmap_read_lock(mm);
  const pg = handle_mm_fault(mm, gpc.uhva);
  yield* mmap_read_unlock(mm);
  return pg;
}

/** hva_to_pfn_retry(gpc): caller holds refresh_lock and gpc->lock for write (dropped and retaken). */
const hva_to_pfn_retry = kfunc(function* hva_to_pfn_retry(gpc: gfn_to_pfn_cache): KGen<number> {
  const k = gpc.kvm;
  /*
   * Invalidate the cache prior to dropping gpc->lock, the gpa=>uhva
   * assets have already been updated and so a concurrent check() from a
   * different task may not fail the gpa/uhva/generation checks.
   */
  gpc.valid = false;
  let new_pfn: page | null;
  let mmu_seq: number;
  do {
    mmu_seq = k.mmu_invalidate_seq;
    /* smp_rmb() */
    yield* write_unlock_irq(gpc.lock);
    // (a previous iteration's page: kvm_release_page_unused(), cond_resched())
    new_pfn = yield* hva_to_pfn(gpc);
    if (!new_pfn) {
      yield* write_lock_irq(gpc.lock);
      return -EFAULT;
    }
    /* new_khva = gpc_map(new_pfn): kmap() of RAM */
    yield* write_lock_irq(gpc.lock);
    /*
     * v3: once the OOM path has detached KVM's notifier no invalidation will reach this cache
     * again, so it must never map a page (checked under gpc->lock: v3's cleanup sets
     * mn_oom_detached before it invalidates every cache under the same lock).
     */
    if (design().oom_hook === 'v3' && design().invalidate_gpc && __READ_ONCE(k, 'mn_oom_detached')) return -EFAULT;
    /* Other tasks must wait for _this_ refresh to complete before attempting to refresh. */
    WARN_ON_ONCE(gpc.valid, 'virt/kvm/pfncache.c:236');
  } while (mmu_notifier_retry_cache(k, mmu_seq));
  gpc.valid = true;
  gpc.pfn = new_pfn;
  gpc.khva = new_pfn;
  /*
   * Put the reference to the _new_ page.  The page is now tracked by the
   * cache and can be safely migrated, swapped, etc... as the cache will
   * invalidate any mappings in response to relevant mmu_notifier events.
   */
  // kvm_release_page_clean(page): the model's pages carry no reference count.
  return 0;
});

/** __kvm_gpc_refresh(gpc, gpa, uhva) for a GPA-based cache; caller holds refresh_lock. */
const __kvm_gpc_refresh = kfunc(function* __kvm_gpc_refresh(gpc: gfn_to_pfn_cache, gpa: number): KGen<number> {
  const k = gpc.kvm;
  yield* write_lock_irq(gpc.lock);
  if (!gpc.active) {
    yield* write_unlock_irq(gpc.lock);
    return -EINVAL;
  }
  let ret = 0;
  let hva_change = false;
  const old_uhva = gpc.uhva;
  /* slots = kvm_memslots(gpc->kvm): srcu_dereference; slots->generation is immutable once published */
  const generation = __READ_ONCE(k, 'memslots_generation');
  const slots = __READ_ONCE(k, 'memslots');
  if (gpc.gpa !== gpa || gpc.generation !== generation || gpc.uhva === KVM_HVA_ERR_BAD) {
    const gfn = gpa >> PAGE_SHIFT;
    gpc.gpa = gpa;
    gpc.generation = generation;
    let uhva = KVM_HVA_ERR_BAD;
    /* gpc->memslot = __gfn_to_memslot(slots, gfn); gpc->uhva = gfn_to_hva_memslot(gpc->memslot, gfn) */
    for (const s of slots)
      if (gfn >= s.base_gfn && gfn < s.base_gfn + s.npages)
        uhva = s.userspace_addr + ((gfn - s.base_gfn) << PAGE_SHIFT);
    gpc.uhva = uhva;
    if (uhva === KVM_HVA_ERR_BAD) ret = -EFAULT;
    else if (uhva !== old_uhva) hva_change = true;
  }
  if (ret === 0) {
    /*
     * If the userspace HVA changed or the PFN was already invalid,
     * drop the lock and do the HVA to PFN lookup again.
     */
    if (!gpc.valid || hva_change) ret = yield* hva_to_pfn_retry(gpc);
    else {
      yield* write_unlock_irq(gpc.lock);
      return 0;
    }
  }
  /*
   * Invalidate the cache and purge the pfn/khva if the refresh failed.
   * Some/all of the uhva, gpa, and memslot generation info may still be
   * valid, leave it as is.
   */
  if (ret) {
    gpc.valid = false;
    gpc.pfn = null;
    gpc.khva = null;
  }
  yield* write_unlock_irq(gpc.lock);
  // gpc_unmap(old_pfn, old_khva): kunmap of RAM is a no-op
  return ret;
});

/** kvm_gpc_refresh(gpc, len) */
export const kvm_gpc_refresh = kfunc(function* kvm_gpc_refresh(gpc: gfn_to_pfn_cache): KGen<number> {
  yield* mutex_lock(gpc.refresh_lock);
  const r = yield* __kvm_gpc_refresh(gpc, gpc.gpa);
  yield* mutex_unlock(gpc.refresh_lock);
  return r;
});

/** kvm_gpc_check(gpc, len): caller holds gpc->lock for read. */
export function kvm_gpc_check(gpc: gfn_to_pfn_cache): boolean {
  if (!gpc.active) return false;
  /* If the page was cached from a memslot, make sure the memslots have not been re-configured. */
  if (gpc.gpa !== INVALID_GPA && gpc.generation !== __READ_ONCE(gpc.kvm, 'memslots_generation')) return false;
  if (gpc.uhva === KVM_HVA_ERR_BAD) return false;
  if (!gpc.valid) return false;
  return true;
}

/**
 * kvm_gpc_activate(gpc, gpa, len) → __kvm_gpc_activate(): only now does the cache join
 * kvm->gpc_list, before it is marked active ("a concurrent refresh must not establish a mapping
 * until the cache is reachable by mmu_notifier events").
 */
export const kvm_gpc_activate = kfunc(function* kvm_gpc_activate(gpc: gfn_to_pfn_cache, gpa: number): KGen<number> {
  const k = gpc.kvm;
  yield* mutex_lock(gpc.refresh_lock);
  if (!gpc.active) {
    if (WARN_ON_ONCE(gpc.valid, 'virt/kvm/pfncache.c:402', 'KVM_BUG_ON(gpc->valid)')) {
      yield* mutex_unlock(gpc.refresh_lock);
      return -5; /* -EIO */
    }
    yield* gpc_list_lock(k);
    k.gpc_list = [...k.gpc_list, gpc];
    yield* gpc_list_unlock(k);
    yield* write_lock_irq(gpc.lock);
    gpc.active = true;
    yield* write_unlock_irq(gpc.lock);
  }
  const r = yield* __kvm_gpc_refresh(gpc, gpa);
  yield* mutex_unlock(gpc.refresh_lock);
  return r;
});

/** kvm_gpc_deactivate(gpc): inactive first, then off gpc_list. */
export const kvm_gpc_deactivate = kfunc(function* kvm_gpc_deactivate(gpc: gfn_to_pfn_cache): KGen {
  const k = gpc.kvm;
  yield* mutex_lock(gpc.refresh_lock);
  if (gpc.active) {
    /*
     * Deactivate the cache before removing it from the list, KVM
     * must stall mmu_notifier events until all users go away, i.e.
     * until gpc->lock is dropped and refresh is guaranteed to fail.
     */
    yield* write_lock_irq(gpc.lock);
    gpc.active = false;
    gpc.valid = false;
    gpc.khva = null;
    gpc.pfn = null;
    yield* write_unlock_irq(gpc.lock);
    yield* gpc_list_lock(k);
    k.gpc_list = k.gpc_list.filter((g) => g !== gpc);
    yield* gpc_list_unlock(k);
    // gpc_unmap(old_pfn, old_khva)
  }
  yield* mutex_unlock(gpc.refresh_lock);
});

/** gfn_to_pfn_cache_invalidate_start(kvm, start, end): every cache on gpc_list (the active ones). */
export const gfn_to_pfn_cache_invalidate_start = kfunc(function* gfn_to_pfn_cache_invalidate_start(
  k: kvm,
  start: number,
  end: number,
): KGen {
  yield* gpc_list_lock(k);
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
  yield* gpc_list_unlock(k);
});
