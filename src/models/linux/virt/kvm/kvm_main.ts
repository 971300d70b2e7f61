/**
 * virt/kvm/kvm_main.c (+ kvm_mm.h, arch/x86 pieces the model needs; ≈ v6.17,
 * Kingxukai/linux mirror): struct kvm (vmalloc-backed, as x86's
 * kvm_arch_alloc_vm), registration, memslots with HVA ranges and
 * kvm_swap_active_memslots() waiting on mn_active_invalidate_count through
 * the rcuwait, the mmu_notifier ops (reference §4.3–4.5: mn_invalidate_lock
 * and gpc_lock always, mmu_lock only on a memslot hit), vCPUs that fault
 * guest pages in and access them through their SPTEs, and teardown
 * kvm_put_kvm()/kvm_destroy_vm() (§4.7) with its WARNs.
 *
 * Design differences: rawlock makes mn_invalidate_lock a raw_spinlock_t; v1
 * adds ->oom_enter (kvm_mmu_notifier_detach); v2 and v3 add
 * ->after_oom_unregister; v2 changes kvm_destroy_vm() to test hlist_unhashed().
 */
import { type KGen, Slot, type Task, kfunc, rawOf } from '../../../../sim/index.js';
import { WARN_ON, WARN_ON_ONCE } from '../../../../kernel/bug.js';
import { mutex, mutex_lock, mutex_unlock } from '../../../../kernel/locking/mutex.js';
import {
  type rwlock_t,
  read_lock,
  read_unlock,
  rwlock_init,
  write_lock,
  write_unlock,
} from '../../../../kernel/locking/rwlock.js';
import {
  type raw_spinlock_t,
  type spinlock_t,
  raw_spin_lock,
  raw_spin_lock_init,
  raw_spin_unlock,
  spin_lock,
  spin_lock_init,
  spin_unlock,
} from '../../../../kernel/locking/spinlock.js';
import { hlist_unhashed } from '../../../../kernel/lib/list.js';
import { __READ_ONCE, __WRITE_ONCE, data_race, smp_store_release } from '../../../../kernel/once.js';
import { container_of } from '../../../../kernel/lib/container_of.js';
import { GFP_KERNEL_ACCOUNT, kfree, kzalloc, vfree, vzalloc } from '../../../../kernel/mm/slab.js';
import {
  type srcu_struct,
  cleanup_srcu_struct,
  init_srcu_struct,
  srcu_read_lock,
  srcu_read_unlock,
  synchronize_srcu_expedited,
} from '../../../../kernel/rcu/srcutree.js';
import {
  RCUWAIT_INIT,
  type rcuwait,
  finish_rcuwait,
  prepare_to_rcuwait,
  rcuwait_active,
  rcuwait_schedule,
  rcuwait_wake_up,
} from '../../../../kernel/sched/rcuwait.js';
import { TASK_UNINTERRUPTIBLE, set_current_state } from '../../../../kernel/sched/core.js';
import {
  PAGE_SHIFT,
  PAGE_SIZE,
  type mm_struct,
  type page,
  mmap_read_lock,
  mmap_read_unlock,
} from '../../include/linux/mm_types.js';
import { type mmu_notifier_range, mmu_notifier_range_blockable } from '../../include/linux/mmu_notifier.js';
import { mmu_notifier_barrier } from '../../include/linux/mmu_notifier.js';
import { current_ts, fatal_signal_pending } from '../../include/linux/sched.js';
import { mmdrop, mmgrab } from '../../kernel/fork.js';
import { handle_mm_fault } from '../../mm/memory.js';
import {
  MMU_NOTIFIER_INIT,
  type mmu_notifier,
  type mmu_notifier_ops,
  type mmu_notifier_subscriptions,
  mmu_notifier_register,
  mmu_notifier_unregister,
} from '../../mm/mmu_notifier.js';
import { design, model_stats } from '../../variants.js';
import {
  GPC_INIT,
  type gfn_to_pfn_cache,
  gfn_to_pfn_cache_invalidate_start,
  gpc_read_lock_irqsave,
  gpc_read_unlock_irqrestore,
  kvm_gpc_activate,
  kvm_gpc_check,
  kvm_gpc_deactivate,
  kvm_gpc_refresh,
} from './pfncache.js';
import { tdp_mmu_zap_leafs } from '../../arch/x86/kvm/mmu/tdp_mmu.js';
import { kvm_arch_flush_shadow_all } from '../../arch/x86/kvm/mmu/mmu.js';
import {
  arch_irq_pending,
  handle_pending_ipis,
  smp_call_function_many,
  smp_processor_id,
} from '../../../../kernel/smp.js';
import { local_irq_disable, local_irq_enable, preempt_disable, preempt_enable } from '../../../../kernel/preempt.js';

const EFAULT = 14;
const EINTR = 4;
const INVALID_GPA = -1;

/** struct kvm_memory_slot */
export interface kvm_memory_slot {
  base_gfn: number;
  npages: number;
  userspace_addr: number;
}

/** vcpu->mode (include/linux/kvm_host.h) */
export const OUTSIDE_GUEST_MODE = 0;
export const IN_GUEST_MODE = 1;
export const EXITING_GUEST_MODE = 2;
export const READING_SHADOW_PAGE_TABLES = 3;

/** Request bits (include/linux/kvm_host.h, arch/x86/include/asm/kvm_host.h) and flags. */
const KVM_REQUEST_MASK = 0xff;
const KVM_REQUEST_NO_WAKEUP = 1 << 8;
const KVM_REQUEST_WAIT = 1 << 9;
export const KVM_REQ_TLB_FLUSH = 0 | KVM_REQUEST_WAIT | KVM_REQUEST_NO_WAKEUP;
export const KVM_REQ_CLOCK_UPDATE = 8 + 8; // KVM_ARCH_REQ(8)
export const KVM_REQ_GLOBAL_CLOCK_UPDATE = 8 + 13; // KVM_ARCH_REQ(13)

/** MSR_KVM_SYSTEM_TIME_NEW (arch/x86/include/uapi/asm/kvm_para.h) */
export const MSR_KVM_SYSTEM_TIME_NEW = 0x4b564d01;

/** struct kvm_vcpu (the parts used). */
export interface kvm_vcpu {
  kvm: kvm;
  vcpu_id: number;
  /** vcpu->cpu: the pCPU it last ran on (-1: never loaded). */
  cpu: number;
  /** vcpu->mode */
  mode: number;
  /** vcpu->requests (a bitmap: test_bit/set_bit/clear_bit are atomic, i.e. marked). */
  requests: number;
  /** vcpu->srcu_idx (kvm_vcpu_srcu_read_lock) */
  srcu_idx: number;
  /** arch.time: the guest's MSR_KVM_SYSTEM_TIME_NEW value. */
  time: number;
  /** arch.pv_time: the kvm-clock gfn_to_pfn_cache (on kvm->gpc_list only while active). */
  pv_time: gfn_to_pfn_cache;
}

/** struct kvm (x86: vmalloc'ed by kvm_arch_alloc_vm). */
export interface kvm {
  mm: mm_struct;
  mmu_notifier: mmu_notifier;
  users_count: number;
  readonly mn_invalidate_lock: spinlock_t | raw_spinlock_t;
  readonly mn_invalidate_lock_raw: boolean;
  mn_active_invalidate_count: number;
  mn_memslots_update_rcuwait: rcuwait;
  readonly mmu_lock: rwlock_t;
  mmu_invalidate_seq: number;
  mmu_invalidate_in_progress: number;
  mmu_invalidate_range_start: number;
  mmu_invalidate_range_end: number;
  /** kvm->memslots[0] (one address space). */
  memslots: kvm_memory_slot[];
  /** slots->generation of the active memslots (published with them). */
  memslots_generation: number;
  readonly srcu: srcu_struct;
  readonly slots_lock: mutex;
  readonly gpc_lock: spinlock_t | raw_spinlock_t;
  readonly gpc_lock_raw: boolean;
  gpc_list: gfn_to_pfn_cache[];
  /** The secondary MMU: gfn → the host page its SPTE maps (null = not present). */
  sptes: (page | null)[];
  vcpus: kvm_vcpu[];
  /** v1: kvm_mmu_notifier_detach() has run. */
  mn_detached: boolean;
  /** v3: the OOM path detached the notifier; faults must not create new SPTEs. */
  mn_oom_detached: boolean;
}

export function mmu_notifier_to_kvm(mn: mmu_notifier): kvm {
  return container_of<kvm>(mn, 'mmu_notifier');
}

// -------------------------------------------------------------- lock helpers

function* mn_lock(k: kvm): KGen {
  if (k.mn_invalidate_lock_raw) yield* raw_spin_lock(k.mn_invalidate_lock as raw_spinlock_t);
  else yield* spin_lock(k.mn_invalidate_lock as spinlock_t);
}

function* mn_unlock(k: kvm): KGen {
  if (k.mn_invalidate_lock_raw) yield* raw_spin_unlock(k.mn_invalidate_lock as raw_spinlock_t);
  else yield* spin_unlock(k.mn_invalidate_lock as spinlock_t);
}

/** KVM_MMU_LOCK(kvm): write_lock(&kvm->mmu_lock) (KVM_HAVE_MMU_RWLOCK on x86). */
function* KVM_MMU_LOCK(k: kvm): KGen {
  yield* write_lock(k.mmu_lock);
}

function* KVM_MMU_UNLOCK(k: kvm): KGen {
  yield* write_unlock(k.mmu_lock);
}

// -------------------------------------------------------------- hva ranges

interface kvm_mmu_notifier_range {
  start: number;
  end: number;
  handler: (k: kvm, slot: kvm_memory_slot, start: number, end: number, may_block: boolean) => KGen<boolean>;
  on_lock: ((k: kvm) => void) | null;
  flush_on_ret: boolean;
  may_block: boolean;
}

function hva_to_gfn_range(slot: kvm_memory_slot, start: number, end: number): [number, number] {
  const sstart = slot.userspace_addr;
  const send = sstart + slot.npages * PAGE_SIZE;
  const s = Math.max(start, sstart);
  const e = Math.min(end, send);
  return [slot.base_gfn + ((s - sstart) >> PAGE_SHIFT), slot.base_gfn + ((e - sstart) >> PAGE_SHIFT)];
}

/** kvm_handle_hva_range(): mmu_lock is taken on the first memslot that overlaps the range. */
const kvm_handle_hva_range = kfunc(function* kvm_handle_hva_range(
  k: kvm,
  range: kvm_mmu_notifier_range,
): KGen<{ ret: boolean; found_memslot: boolean }> {
  const r = { ret: false, found_memslot: false };
  let locked = false;
  const idx = yield* srcu_read_lock(k.srcu);
  /* slots = __kvm_memslots(kvm, i): srcu_dereference_check(kvm->memslots[i], &kvm->srcu, ...) */
  for (const slot of __READ_ONCE(k, 'memslots')) {
    const sstart = slot.userspace_addr;
    const send = sstart + slot.npages * PAGE_SIZE;
    if (range.start >= send || range.end <= sstart) continue;
    const [gs, ge] = hva_to_gfn_range(slot, range.start, range.end);
    if (!locked) {
      locked = true;
      yield* KVM_MMU_LOCK(k);
      if (range.on_lock) range.on_lock(k);
    }
    r.found_memslot = true;
    r.ret = (yield* range.handler(k, slot, gs, ge, range.may_block)) || r.ret;
  }
  if (range.flush_on_ret && r.ret) yield* kvm_flush_remote_tlbs(k);
  if (locked) yield* KVM_MMU_UNLOCK(k);
  yield* srcu_read_unlock(k.srcu, idx);
  return r;
});

/** kvm_mmu_invalidate_begin(): mmu_lock held for write. */
function kvm_mmu_invalidate_begin(k: kvm): void {
  /*
   * The count increase must become visible at unlock time as no
   * spte can be established without taking the mmu_lock and
   * count is also read inside the mmu_lock critical section.
   */
  k.mmu_invalidate_in_progress++;
  if (k.mmu_invalidate_in_progress === 1) {
    k.mmu_invalidate_range_start = INVALID_GPA;
    k.mmu_invalidate_range_end = INVALID_GPA;
  }
}

/** kvm_mmu_invalidate_range_add(kvm, start, end) */
function kvm_mmu_invalidate_range_add(k: kvm, start: number, end: number): void {
  if (k.mmu_invalidate_range_start === INVALID_GPA) {
    k.mmu_invalidate_range_start = start;
    k.mmu_invalidate_range_end = end;
  } else {
    k.mmu_invalidate_range_start = Math.min(k.mmu_invalidate_range_start, start);
    k.mmu_invalidate_range_end = Math.max(k.mmu_invalidate_range_end, end);
  }
}

/**
 * kvm_mmu_unmap_gfn_range(kvm, range): kvm_mmu_invalidate_range_add(), then x86's
 * kvm_unmap_gfn_range() → kvm_tdp_mmu_unmap_gfn_range() → tdp_mmu_zap_leafs(..., can_yield =
 * range->may_block, ...): a blockable invalidation's zap can yield mmu_lock; a non-blockable one
 * (the reaper's) cannot.
 */
function* kvm_mmu_unmap_gfn_range(
  k: kvm,
  _slot: kvm_memory_slot,
  start: number,
  end: number,
  may_block: boolean,
): KGen<boolean> {
  kvm_mmu_invalidate_range_add(k, start, end);
  return yield* tdp_mmu_zap_leafs(k, start, end, may_block, false);
}

/** kvm_mmu_invalidate_end(): mmu_lock held for write. */
function kvm_mmu_invalidate_end(k: kvm): void {
  /*
   * This sequence increase will notify the kvm page fault that
   * the page that is going to be mapped in the spte could have
   * been freed.
   */
  k.mmu_invalidate_seq++;
  /*
   * The above sequence increase must be visible before the
   * below count decrease, which is ensured by the smp_wmb above
   * in conjunction with the smp_rmb in mmu_invalidate_retry().
   */
  k.mmu_invalidate_in_progress--;
  // KVM_BUG_ON(kvm->mmu_invalidate_in_progress < 0, kvm);
  WARN_ON_ONCE(
    k.mmu_invalidate_in_progress < 0,
    'virt/kvm/kvm_main.c:839',
    'KVM_BUG_ON(kvm->mmu_invalidate_in_progress < 0)',
  );
  /*
   * Assert that at least one range was added between start() and end().
   * Not adding a range isn't fatal, but it is a KVM bug.
   */
  WARN_ON_ONCE(k.mmu_invalidate_range_start === INVALID_GPA, 'virt/kvm/kvm_main.c:845');
}

function* kvm_null_fn(): KGen<boolean> {
  return false;
}

// -------------------------------------------------------------- notifier ops

/** kvm_mmu_notifier_invalidate_range_start(mn, range) (reference §4.3). Never fails. */
const kvm_mmu_notifier_invalidate_range_start = kfunc(function* kvm_mmu_notifier_invalidate_range_start(
  mn: mmu_notifier,
  range: mmu_notifier_range,
): KGen<number> {
  const k = mmu_notifier_to_kvm(mn);
  const hva_range: kvm_mmu_notifier_range = {
    start: range.start,
    end: range.end,
    handler: kvm_mmu_unmap_gfn_range,
    on_lock: kvm_mmu_invalidate_begin,
    flush_on_ret: true,
    may_block: mmu_notifier_range_blockable(range),
  };
  // trace_kvm_unmap_hva_range(range->start, range->end);
  /*
   * Prevent memslot modification between range_start() and range_end()
   * so that conditionally locking provides the same result in both
   * functions.  Without that guarantee, the mmu_invalidate_in_progress
   * adjustments will be imbalanced.
   *
   * Pairs with the decrement in range_end().
   */
  yield* mn_lock(k);
  k.mn_active_invalidate_count++;
  yield* mn_unlock(k);
  /*
   * Invalidate pfn caches _before_ invalidating the secondary MMUs, i.e.
   * before acquiring mmu_lock, to avoid holding mmu_lock while acquiring
   * each cache's lock.
   */
  yield* gfn_to_pfn_cache_invalidate_start(k, range.start, range.end);
  /*
   * If one or more memslots were found and thus zapped, notify arch code
   * that guest memory has been reclaimed.  This needs to be done *after*
   * dropping mmu_lock, as x86's reclaim path is slooooow.
   */
  yield* kvm_handle_hva_range(k, hva_range);
  return 0;
});

/** kvm_mmu_notifier_invalidate_range_end(mn, range) (reference §4.4). */
const kvm_mmu_notifier_invalidate_range_end = kfunc(function* kvm_mmu_notifier_invalidate_range_end(
  mn: mmu_notifier,
  range: mmu_notifier_range,
): KGen {
  const k = mmu_notifier_to_kvm(mn);
  const hva_range: kvm_mmu_notifier_range = {
    start: range.start,
    end: range.end,
    handler: kvm_null_fn,
    on_lock: kvm_mmu_invalidate_end,
    flush_on_ret: false,
    may_block: mmu_notifier_range_blockable(range),
  };
  yield* kvm_handle_hva_range(k, hva_range);
  /* Pairs with the increment in range_start(). */
  yield* mn_lock(k);
  if (!WARN_ON_ONCE(!k.mn_active_invalidate_count, 'virt/kvm/kvm_main.c:882')) --k.mn_active_invalidate_count;
  const wake = !k.mn_active_invalidate_count;
  yield* mn_unlock(k);
  /*
   * There can only be one waiter, since the wait happens under
   * slots_lock.
   */
  if (wake) yield* rcuwait_wake_up(k.mn_memslots_update_rcuwait);
});

/** kvm_flush_shadow_all(kvm): kvm_arch_flush_shadow_all(); kvm_arch_guest_memory_reclaimed() (nothing on VMX). */
const kvm_flush_shadow_all = kfunc(function* kvm_flush_shadow_all(k: kvm): KGen {
  yield* kvm_arch_flush_shadow_all(k);
});

/** kvm_mmu_notifier_release(mn, mm) (reference §4.5) */
const kvm_mmu_notifier_release = kfunc(function* kvm_mmu_notifier_release(mn: mmu_notifier, _mm: mm_struct): KGen {
  const k = mmu_notifier_to_kvm(mn);
  const idx = yield* srcu_read_lock(k.srcu);
  yield* kvm_flush_shadow_all(k);
  yield* srcu_read_unlock(k.srcu, idx);
});

/**
 * v1 (reference §7.2 Mar 25): kvm_destroy_vm()'s unbalanced-invalidation logic
 * moved into a helper, used by the OOM callback and by kvm_destroy_vm().
 */
const kvm_mmu_notifier_detach = kfunc(function* kvm_mmu_notifier_detach(k: kvm): KGen {
  if (k.mn_detached) return;
  k.mn_detached = true;
  yield* mmu_notifier_unregister(k.mmu_notifier, k.mm);
  /*
   * At this point, pending calls to invalidate_range_start()
   * have completed but no more MMU notifiers will run, so
   * mn_active_invalidate_count may remain unbalanced.
   */
  WARN_ON(yield* rcuwait_active(k.mn_memslots_update_rcuwait), 'virt/kvm/kvm_main.c:1290');
  if (k.mn_active_invalidate_count) k.mn_active_invalidate_count = 0;
  else WARN_ON(Boolean(k.mmu_invalidate_in_progress), 'virt/kvm/kvm_main.c:1294');
});

/** v1: ->oom_enter: detach synchronously (inside __mmu_notifier_oom_enter's srcu read section). */
const kvm_mmu_notifier_oom_enter = kfunc(function* kvm_mmu_notifier_oom_enter(mn: mmu_notifier, _mm: mm_struct): KGen {
  yield* kvm_mmu_notifier_detach(mmu_notifier_to_kvm(mn));
});

/**
 * v2 (seed): ->after_oom_unregister "clears mn_active_invalidate_count".
 * Runs from the SRCU callback (BH disabled). The §7.3 knobs add the wake-up,
 * the SPTE zap and the in-progress reset.
 * v3: zap every SPTE and refuse new ones, reset both counters, wake the waiter.
 */
const kvm_mmu_notifier_after_oom_unregister = kfunc(function* kvm_mmu_notifier_after_oom_unregister(
  mn: mmu_notifier,
  _mm: mm_struct,
): KGen {
  const k = mmu_notifier_to_kvm(mn);
  const d = design();
  const v3 = d.oom_hook === 'v3';
  if (v3 || d.reset_in_progress) {
    yield* write_lock(k.mmu_lock);
    /*
     * WRITE_ONCE: the fault path reads it outside mmu_lock too. Set before the zap, whose walk
     * may drop mmu_lock at its resched points: no fault may install an SPTE behind it.
     */
    if (v3) __WRITE_ONCE(k, 'mn_oom_detached', true);
    k.mmu_invalidate_in_progress = 0;
    yield* write_unlock(k.mmu_lock);
  }
  /*
   * v3: no invalidation will reach the gfn_to_pfn_caches either: invalidate every active one
   * (gpc_list) now, before the reaper may free their pages; a refresh after this sees
   * mn_oom_detached under gpc->lock and fails (hva_to_pfn_retry).
   */
  if (v3 && d.invalidate_gpc) yield* gfn_to_pfn_cache_invalidate_start(k, 0, Number.MAX_SAFE_INTEGER);
  /* The zap is the kernel's: kvm_flush_shadow_all() → kvm_mmu_zap_all(), a walk with resched points. */
  if (v3 || d.zap_in_callback) yield* kvm_flush_shadow_all(k);
  yield* mn_lock(k);
  k.mn_active_invalidate_count = 0;
  yield* mn_unlock(k);
  if (v3 || d.wake_rcuwait) yield* rcuwait_wake_up(k.mn_memslots_update_rcuwait);
});

function kvm_mmu_notifier_ops(): mmu_notifier_ops {
  const hook = design().oom_hook;
  return Object.freeze({
    name: 'kvm_mmu_notifier',
    invalidate_range_start: kvm_mmu_notifier_invalidate_range_start,
    invalidate_range_end: kvm_mmu_notifier_invalidate_range_end,
    release: kvm_mmu_notifier_release,
    ...(hook === 'v1' ? { oom_enter: kvm_mmu_notifier_oom_enter } : {}),
    ...(hook === 'v2' || hook === 'v3' ? { after_oom_unregister: kvm_mmu_notifier_after_oom_unregister } : {}),
  });
}

/** kvm_init_mmu_notifier() */
function* kvm_init_mmu_notifier(k: kvm): KGen<number> {
  k.mmu_notifier.ops = kvm_mmu_notifier_ops();
  return yield* mmu_notifier_register(k.mmu_notifier, current_ts().mm as mm_struct);
}

// -------------------------------------------------------------- VM lifetime

/** kvm_create_vm(type, fdname) for KVM_CREATE_VM. */
export const kvm_create_vm = kfunc(function* kvm_create_vm(): KGen<kvm> {
  const d = design();
  const mm = current_ts().mm as mm_struct;
  /* kvm_arch_alloc_vm(): __vmalloc(kvm_x86_ops.vm_size, GFP_KERNEL_ACCOUNT | __GFP_ZERO) */
  const k = vzalloc<kvm>(
    () => ({
      mm,
      mmu_notifier: MMU_NOTIFIER_INIT(Object.freeze({ name: 'kvm_mmu_notifier' })),
      users_count: 1,
      mn_invalidate_lock: d.mn_invalidate_lock_raw
        ? raw_spin_lock_init('&kvm->mn_invalidate_lock')
        : spin_lock_init('&kvm->mn_invalidate_lock'),
      mn_invalidate_lock_raw: d.mn_invalidate_lock_raw,
      mn_active_invalidate_count: 0,
      mn_memslots_update_rcuwait: RCUWAIT_INIT(),
      mmu_lock: rwlock_init('&kvm->mmu_lock'),
      mmu_invalidate_seq: 0,
      mmu_invalidate_in_progress: 0,
      mmu_invalidate_range_start: INVALID_GPA,
      mmu_invalidate_range_end: INVALID_GPA,
      memslots: [],
      memslots_generation: 0,
      srcu: init_srcu_struct('&kvm->srcu'),
      slots_lock: new mutex('&kvm->slots_lock'),
      gpc_lock: d.raw_gpc_lock ? raw_spin_lock_init('&kvm->gpc_lock') : spin_lock_init('&kvm->gpc_lock'),
      gpc_lock_raw: d.raw_gpc_lock,
      gpc_list: [],
      sptes: [],
      vcpus: [],
      mn_detached: false,
      mn_oom_detached: false,
    }),
    'struct kvm',
    0x9000,
  ) as kvm;
  /* KVM is pinning via mmgrab(), not mmget() */
  mmgrab(mm);
  const r = yield* kvm_init_mmu_notifier(k);
  WARN_ON(r !== 0, 'virt/kvm/kvm_main.c:1225');
  return k;
});

/** kvm_get_kvm() */
export function kvm_get_kvm(k: kvm): void {
  k.users_count++;
}

/** kvm_destroy_vm(kvm) (reference §4.7), with v1's and v2's changes. */
const kvm_destroy_vm = kfunc(function* kvm_destroy_vm(k: kvm): KGen {
  const mm = k.mm;
  const d = design();
  // kvm_destroy_pm_notifier, kvm_uevent_notify_change, kvm_destroy_vm_debugfs, vm_list removal,
  // kvm_arch_pre_destroy_vm, kvm_free_irq_routing, io buses, coalesced mmio: not modelled.
  if (d.oom_hook === 'v1') {
    yield* kvm_mmu_notifier_detach(k);
  } else {
    let detached_by_oom = false;
    if (d.oom_hook === 'v2') {
      if (d.destroy_check_locked) {
        const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
        yield* spin_lock(subscriptions.lock);
        detached_by_oom = hlist_unhashed(k.mmu_notifier.hlist);
        yield* spin_unlock(subscriptions.lock);
      } else {
        detached_by_oom = hlist_unhashed(k.mmu_notifier.hlist);
      }
    }
    if (detached_by_oom) {
      /* v2: detached by mmu_notifier_oom_enter(): wait for after_oom_unregister, drop the registration's ref */
      yield* mmu_notifier_barrier();
      yield* mmdrop(mm);
    } else {
      yield* mmu_notifier_unregister(k.mmu_notifier, mm);
    }
    /*
     * At this point, pending calls to invalidate_range_start()
     * have completed but no more MMU notifiers will run, so
     * mn_active_invalidate_count may remain unbalanced.
     * No threads can be waiting in kvm_swap_active_memslots() as the
     * last reference on KVM has been dropped, but freeing
     * memslots would deadlock without this manual intervention.
     *
     * If the count isn't unbalanced, i.e. KVM did NOT unregister its MMU
     * notifier between a start() and end(), then there shouldn't be any
     * in-progress invalidations.
     */
    WARN_ON(yield* rcuwait_active(k.mn_memslots_update_rcuwait), 'virt/kvm/kvm_main.c:1290');
    if (k.mn_active_invalidate_count) k.mn_active_invalidate_count = 0;
    else WARN_ON(Boolean(k.mmu_invalidate_in_progress), 'virt/kvm/kvm_main.c:1294');
  }
  /* kvm_arch_destroy_vm() → kvm_destroy_vcpus() → kvm_arch_vcpu_destroy() → kvmclock_reset() */
  for (const vcpu of k.vcpus) yield* kvm_gpc_deactivate(vcpu.pv_time);
  for (const vcpu of k.vcpus) kfree(vcpu);
  k.vcpus = [];
  k.gpc_list = [];
  k.sptes = [];
  /* kvm_free_memslots() */
  k.memslots = [];
  yield* cleanup_srcu_struct(k.srcu);
  /* kvm_arch_free_vm() */
  vfree(k);
  model_stats().vm_destroyed++;
  yield* mmdrop(mm);
});

/** kvm_put_kvm(kvm) */
export const kvm_put_kvm = kfunc(function* kvm_put_kvm(k: kvm): KGen {
  yield undefined;
  if (--k.users_count === 0) yield* kvm_destroy_vm(k);
});

// -------------------------------------------------------------- memslots

/**
 * kvm_swap_active_memslots(kvm, as_id): waits, uninterruptibly, for
 * in-flight invalidations (mn_active_invalidate_count == 0), then publishes
 * the new memslots and waits for the per-VM SRCU readers (reference §4.6).
 */
const kvm_swap_active_memslots = kfunc(function* kvm_swap_active_memslots(k: kvm, slots: kvm_memory_slot[]): KGen {
  /*
   * Do not store the new memslots while there are invalidations in
   * progress, otherwise the locking in invalidate_range_start and
   * invalidate_range_end will be unbalanced.
   */
  yield* mn_lock(k);
  yield* prepare_to_rcuwait(k.mn_memslots_update_rcuwait);
  while (k.mn_active_invalidate_count) {
    set_current_state(TASK_UNINTERRUPTIBLE);
    yield* mn_unlock(k);
    yield* rcuwait_schedule(k.mn_memslots_update_rcuwait);
    yield* mn_lock(k);
  }
  yield* finish_rcuwait(k.mn_memslots_update_rcuwait);
  /* slots->generation: the new slots carry the next generation, published with them */
  __WRITE_ONCE(k, 'memslots_generation', k.memslots_generation + 1);
  __WRITE_ONCE(k, 'memslots', slots); // rcu_assign_pointer(kvm->memslots[as_id], slots)
  yield* mn_unlock(k);
  yield* synchronize_srcu_expedited(k.srcu);
});

/** kvm_set_memory_region() for KVM_SET_USER_MEMORY_REGION (KVM_MR_CREATE of a new slot). */
export const kvm_vm_ioctl_set_memory_region = kfunc(function* kvm_vm_ioctl_set_memory_region(
  k: kvm,
  mem: kvm_memory_slot,
): KGen<number> {
  yield* mutex_lock(k.slots_lock);
  const slots = [...k.memslots.map((s) => ({ ...s })), { ...mem }];
  const end = mem.base_gfn + mem.npages;
  /*
   * Model: the secondary MMU's SPTE storage grows to cover the new slot. (The
   * kernel's TDP MMU covers every gfn already; KVM_MR_CREATE only allocates the
   * new slot's metadata, and never copies an existing SPTE.) The copy and its
   * publication are one critical section under mmu_lock held for write, like
   * kvm_arch_commit_memory_region()'s SPTE work: every zap (mmu_lock for write)
   * and every SPTE install (mmu_lock for read) is either in the copy or made on
   * the published array. The publication is rcu_assign_pointer(); the only
   * unlocked reader is the guest's "hardware" walk (data_race()).
   */
  yield* write_lock(k.mmu_lock);
  const sptes = [...k.sptes];
  while (sptes.length < end) sptes.push(null);
  __WRITE_ONCE(k, 'sptes', sptes);
  yield* write_unlock(k.mmu_lock);
  yield* kvm_swap_active_memslots(k, slots);
  yield* mutex_unlock(k.slots_lock);
  return 0;
});

// -------------------------------------------------------------- vCPUs

/** kvm_vm_ioctl_create_vcpu(): a vCPU (it holds a VM reference; its kvm-clock gpc joins gpc_list). */
export const kvm_vm_ioctl_create_vcpu = kfunc(function* kvm_vm_ioctl_create_vcpu(k: kvm, id: number): KGen<kvm_vcpu> {
  yield undefined;
  const vcpu = kzalloc<kvm_vcpu>(
    () => ({
      kvm: k,
      vcpu_id: id,
      cpu: -1,
      mode: OUTSIDE_GUEST_MODE,
      requests: 0,
      srcu_idx: 0,
      time: 0,
      /* kvm_gpc_init(&vcpu->arch.pv_time, vcpu->kvm): not on gpc_list until activated */
      pv_time: GPC_INIT(k),
    }),
    GFP_KERNEL_ACCOUNT,
    'struct kvm_vcpu',
    0x2000,
  ) as kvm_vcpu;
  k.vcpus = [...k.vcpus, vcpu];
  kvm_get_kvm(k);
  return vcpu;
});

/** mmu_invalidate_retry_gfn(kvm, mmu_seq, gfn): mmu_lock held. */
function mmu_invalidate_retry_gfn(k: kvm, mmu_seq: number, gfn: number): boolean {
  if (__READ_ONCE(k, 'mn_oom_detached')) return true; // v3: the notifier is gone; never map again
  if (k.mmu_invalidate_in_progress) {
    if (k.mmu_invalidate_range_start === INVALID_GPA) return true;
    if (gfn >= k.mmu_invalidate_range_start && gfn < k.mmu_invalidate_range_end) return true;
  }
  return k.mmu_invalidate_seq !== mmu_seq;
}

/**
 * kvm_tdp_page_fault() reduced to what matters: sample mmu_invalidate_seq,
 * get the host page (__gfn_to_pfn → get_user_pages under mmap_lock), then
 * install the SPTE under mmu_lock unless an invalidation raced.
 */
const kvm_tdp_page_fault = kfunc(function* kvm_tdp_page_fault(vcpu: kvm_vcpu, gfn: number): KGen<number> {
  const k = vcpu.kvm;
  /* fault->mmu_seq = READ_ONCE(kvm->mmu_invalidate_seq); smp_rmb(); (pairs with the smp_wmb in invalidate_end) */
  const mmu_seq = __READ_ONCE(k, 'mmu_invalidate_seq');
  let slot: kvm_memory_slot | null = null;
  /* kvm_vcpu_gfn_to_memslot(): srcu_dereference of kvm->memslots (vCPUs run inside kvm->srcu) */
  for (const s of __READ_ONCE(k, 'memslots')) if (gfn >= s.base_gfn && gfn < s.base_gfn + s.npages) slot = s;
  if (!slot) return -EFAULT;
  const hva = slot.userspace_addr + ((gfn - slot.base_gfn) << PAGE_SHIFT);
  const mm = k.mm;
  yield* mmap_read_lock(mm);
  const pg = handle_mm_fault(mm, hva);
  yield* mmap_read_unlock(mm);
  if (!pg) return -EFAULT;
  yield* read_lock(k.mmu_lock);
  let r = 0;
  if (mmu_invalidate_retry_gfn(k, mmu_seq, gfn)) r = 1; /* RET_PF_RETRY */
  else k.sptes[gfn] = pg;
  yield* read_unlock(k.mmu_lock);
  if (__READ_ONCE(k, 'mn_oom_detached')) return -EFAULT;
  return r;
});

// -------------------------------------------------------------- requests and kicks

/** kvm_make_request(req, vcpu): smp_wmb(); set_bit(req & KVM_REQUEST_MASK, &vcpu->requests). */
export function kvm_make_request(req: number, vcpu: kvm_vcpu): void {
  const bit = 2 ** (req & KVM_REQUEST_MASK);
  const r = __READ_ONCE(vcpu, 'requests');
  if (Math.floor(r / bit) % 2 === 0) __WRITE_ONCE(vcpu, 'requests', r + bit);
}

/** kvm_request_pending(vcpu): READ_ONCE(vcpu->requests) */
function kvm_request_pending(vcpu: kvm_vcpu): boolean {
  return __READ_ONCE(vcpu, 'requests') !== 0;
}

/** kvm_check_request(req, vcpu): test and clear the bit. */
function kvm_check_request(req: number, vcpu: kvm_vcpu): boolean {
  const bit = 2 ** (req & KVM_REQUEST_MASK);
  const r = __READ_ONCE(vcpu, 'requests');
  if (Math.floor(r / bit) % 2 === 0) return false;
  __WRITE_ONCE(vcpu, 'requests', r - bit);
  return true;
}

/** kvm_vcpu_exiting_guest_mode(vcpu): cmpxchg(&vcpu->mode, IN_GUEST_MODE, EXITING_GUEST_MODE), returns the old mode. */
function kvm_vcpu_exiting_guest_mode(vcpu: kvm_vcpu): number {
  const mode = __READ_ONCE(vcpu, 'mode');
  if (mode === IN_GUEST_MODE) __WRITE_ONCE(vcpu, 'mode', EXITING_GUEST_MODE);
  return mode;
}

/** kvm_request_needs_ipi(vcpu, req) */
function kvm_request_needs_ipi(vcpu: kvm_vcpu, req: number): boolean {
  const mode = kvm_vcpu_exiting_guest_mode(vcpu);
  /*
   * We need to wait for the VCPU to reenable interrupts and get out of
   * READING_SHADOW_PAGE_TABLES mode.
   */
  if (req & KVM_REQUEST_WAIT) return mode !== OUTSIDE_GUEST_MODE;
  /* Need to kick a running VCPU, but otherwise there is nothing to do. */
  return mode === IN_GUEST_MODE;
}

/** ack_kick(): the IPI's function; its only purpose is the interrupt (the VM exit) itself. */
function ack_kick(): void {}

/**
 * kvm_make_all_cpus_request(kvm, req) → kvm_make_all_cpus_request_except(kvm, req, NULL):
 * every vCPU gets the request; those in guest mode (or, for a WAIT request, not outside it) are
 * IPI'd, and with KVM_REQUEST_WAIT the caller spins until each has taken the IPI, i.e. has left
 * guest mode and re-enabled interrupts.
 */
export const kvm_make_all_cpus_request = kfunc(function* kvm_make_all_cpus_request(k: kvm, req: number): KGen<boolean> {
  const cpus: number[] = [];
  const targets: Task[] = [];
  preempt_disable(); /* me = get_cpu() */
  const me = smp_processor_id();
  for (const vcpu of k.vcpus) {
    /* kvm_make_vcpu_request(vcpu, req, cpus, me) */
    kvm_make_request(req, vcpu);
    // !(req & KVM_REQUEST_NO_WAKEUP) && kvm_vcpu_wake_up(vcpu): no request here wakes
    if (kvm_request_needs_ipi(vcpu, req)) {
      const cpu = __READ_ONCE(vcpu, 'cpu');
      if (cpu !== -1 && cpu !== me && !cpus.includes(cpu)) {
        cpus.push(cpu);
        targets.push(vcpu_task(vcpu));
      }
    }
  }
  /* kvm_kick_many_cpus(cpus, !!(req & KVM_REQUEST_WAIT)) */
  const called = cpus.length > 0;
  if (called) yield* smp_call_function_many(cpus, ack_kick, (req & KVM_REQUEST_WAIT) !== 0, targets);
  preempt_enable(); /* put_cpu() */
  return called;
});

/** kvm_flush_remote_tlbs(kvm): x86 without Hyper-V: KVM_REQ_TLB_FLUSH to every vCPU, waiting. */
export const kvm_flush_remote_tlbs = kfunc(function* kvm_flush_remote_tlbs(k: kvm): KGen {
  /*
   * We want to publish modifications to the page tables before reading
   * mode. Pairs with a memory barrier in arch-specific code.
   */
  yield* kvm_make_all_cpus_request(k, KVM_REQ_TLB_FLUSH);
});

/** The task running a vCPU (its KVM_RUN caller), for the IPI's wait-for diagnostics (sim/slot.ts). */
const VCPU_TASK = new Slot<Task>('vcpu task');
function vcpu_task(vcpu: kvm_vcpu): Task {
  return VCPU_TASK.get(rawOf(vcpu)) as Task;
}

// -------------------------------------------------------------- kvm-clock

/** kvm_write_system_time(vcpu, system_time, old_msr=false, host_initiated) (arch/x86/kvm/x86.c) */
const kvm_write_system_time = kfunc(function* kvm_write_system_time(vcpu: kvm_vcpu, system_time: number): KGen {
  vcpu.time = system_time;
  kvm_make_request(KVM_REQ_GLOBAL_CLOCK_UPDATE, vcpu);
  /* we verify if the enable bit is set... */
  if (system_time % 2 === 1) yield* kvm_gpc_activate(vcpu.pv_time, system_time - 1);
  else yield* kvm_gpc_deactivate(vcpu.pv_time);
});

/**
 * kvm_gen_kvmclock_update(v): KVM_REQ_CLOCK_UPDATE for this vCPU and kvmclock_update_work for
 * the others (a delayed work item; the model's VMs have one vCPU: not modelled).
 */
function kvm_gen_kvmclock_update(v: kvm_vcpu): void {
  kvm_make_request(KVM_REQ_CLOCK_UPDATE, v);
}

/**
 * kvm_setup_guest_pvclock(ref_hv_clock, vcpu, gpc, offset): the host writes the guest's
 * pvclock_vcpu_time_info through the cache's kernel mapping, under gpc->lock, after
 * kvm_gpc_check() (refreshing when it fails). A valid cache whose page was freed behind KVM's
 * back is a host write to a freed page.
 */
const kvm_setup_guest_pvclock = kfunc(function* kvm_setup_guest_pvclock(vcpu: kvm_vcpu, gpc: gfn_to_pfn_cache): KGen {
  let flags = yield* gpc_read_lock_irqsave(gpc.lock);
  while (!kvm_gpc_check(gpc)) {
    yield* gpc_read_unlock_irqrestore(gpc.lock, flags);
    if (yield* kvm_gpc_refresh(gpc)) return;
    flags = yield* gpc_read_lock_irqsave(gpc.lock);
  }
  const guest_hv_clock = gpc.khva as page;
  /*
   * This VCPU is paused, but it's legal for a guest to read another
   * VCPU's kvmclock, so we really have to follow the specification where
   * it says that version is odd if data is being modified, and even after
   * it is consistent.
   */
  const version = (guest_hv_clock.data + 1) | 1; /* guest_hv_clock->version = ... */
  guest_hv_clock.data = version;
  /* memcpy(guest_hv_clock, &hv_clock, sizeof(*guest_hv_clock)); smp_wmb(); */
  guest_hv_clock.data = version + 1;
  // kvm_gpc_mark_dirty_in_slot(gpc);
  yield* gpc_read_unlock_irqrestore(gpc.lock, flags);
  void vcpu;
});

/** kvm_guest_time_update(v): the TSC/scale computation is not modelled; then the pvclock write. */
const kvm_guest_time_update = kfunc(function* kvm_guest_time_update(v: kvm_vcpu): KGen<number> {
  /*
   * local_irq_save(flags); the TSC and kvmclock computation; local_irq_restore(flags): with
   * interrupts back on, the vCPU thread is preemptible again (PREEMPT(full)) before the pvclock
   * write: a scheduling point, so the write can come after anything that happens meanwhile.
   */
  yield undefined;
  if (v.pv_time.active) yield* kvm_setup_guest_pvclock(v, v.pv_time);
  return 0;
});

// -------------------------------------------------------------- the guest

/** What the guest does: write kvm-clock's MSR (a VM exit), or write one of its pages. */
export type guest_op =
  | { readonly op: 'wrmsr'; readonly msr: number; readonly data: number }
  | { readonly op: 'access'; readonly gfn: number };

/** A Linux guest: kvmclock_init() points MSR_KVM_SYSTEM_TIME_NEW at its pvti in its first page, then it runs. */
export function linux_guest(gfns: readonly number[]): guest_op[] {
  const first = gfns[0] ?? 0;
  return [
    { op: 'wrmsr', msr: MSR_KVM_SYSTEM_TIME_NEW, data: (first << PAGE_SHIFT) + 1 },
    ...gfns.map((gfn) => ({ op: 'access' as const, gfn })),
  ];
}

/** The guest's instruction stream (guest state, not host memory). */
interface guest_cpu {
  readonly it: Iterator<guest_op>;
  op: guest_op | null;
  /** EPT violations on the current access (the workload's bound: it gives an access up after 3). */
  faults: number;
}

function guest_peek(g: guest_cpu): guest_op | null {
  if (!g.op) {
    const r = g.it.next();
    g.op = r.done ? null : r.value;
    g.faults = 0;
  }
  return g.op;
}

const EXIT_REASON_EXTERNAL_INTERRUPT = 1;
const EXIT_REASON_HLT = 12;
const EXIT_REASON_MSR_WRITE = 32;
const EXIT_REASON_EPT_VIOLATION = 48;

interface vm_exit {
  reason: number;
  gfn: number;
  msr: number;
  data: number;
}

/**
 * vmx_vcpu_run(): the guest runs, one access per step, until a VM exit: an interrupt pending on
 * this CPU (a kick or a TLB-flush IPI: external-interrupt exiting), an EPT violation, an MSR
 * write, or HLT at the end of its program. Its accesses go through the SPTEs (the CPU's page
 * walk: data_race()) to the page, which no host instrumentation sees: a guest write to a freed
 * page is silent memory corruption, not a KASAN report.
 */
function* vmx_vcpu_run(vcpu: kvm_vcpu, g: guest_cpu): KGen<vm_exit> {
  const k = vcpu.kvm;
  const exit = { reason: EXIT_REASON_HLT, gfn: 0, msr: 0, data: 0 };
  for (;;) {
    yield undefined; /* the guest executes; the other CPUs go on */
    if (arch_irq_pending(smp_processor_id())) {
      exit.reason = EXIT_REASON_EXTERNAL_INTERRUPT;
      return exit;
    }
    const op = guest_peek(g);
    if (!op) return exit; /* HLT */
    if (op.op === 'wrmsr') {
      g.op = null;
      exit.reason = EXIT_REASON_MSR_WRITE;
      exit.msr = op.msr;
      exit.data = op.data;
      return exit;
    }
    const pg = data_race(() => k.sptes[op.gfn]);
    if (!pg) {
      if (++g.faults > 3) {
        g.op = null;
        continue;
      }
      exit.reason = EXIT_REASON_EPT_VIOLATION;
      exit.gfn = op.gfn;
      return exit;
    }
    const raw = rawOf(pg);
    raw.data = raw.data + 1;
    g.op = null;
  }
}

/** vmx_handle_exit() → the exit handlers the guest can cause. */
function* vmx_handle_exit(vcpu: kvm_vcpu, exit: vm_exit): KGen<number> {
  switch (exit.reason) {
    case EXIT_REASON_EXTERNAL_INTERRUPT:
      return 1;
    case EXIT_REASON_MSR_WRITE:
      /* kvm_emulate_wrmsr() → kvm_set_msr_common() */
      if (exit.msr === MSR_KVM_SYSTEM_TIME_NEW) yield* kvm_write_system_time(vcpu, exit.data);
      return 1;
    case EXIT_REASON_EPT_VIOLATION: {
      const r = yield* kvm_tdp_page_fault(vcpu, exit.gfn);
      return r < 0 ? r : 1;
    }
    default:
      /* HLT: the model's guest is done (KVM_EXIT_HLT to userspace) */
      return 0;
  }
}

/**
 * kvm_vcpu_exit_request(vcpu): with IN_GUEST_MODE already set and IRQs off, a kick, a pending
 * request or pending work (a signal: xfer_to_guest_mode_work_pending()) cancels the entry.
 */
function kvm_vcpu_exit_request(vcpu: kvm_vcpu): boolean {
  return (
    __READ_ONCE(vcpu, 'mode') === EXITING_GUEST_MODE || kvm_request_pending(vcpu) || fatal_signal_pending(current_ts())
  );
}

/**
 * vcpu_enter_guest(vcpu) (arch/x86/kvm/x86.c): the requests (kvm-clock's pvclock write among
 * them), then preempt_disable(), local_irq_disable(), IN_GUEST_MODE, out of kvm->srcu, and
 * kvm_vcpu_exit_request(); the guest runs until a VM exit; OUTSIDE_GUEST_MODE, interrupts on
 * (the pending IPIs are taken: a TLB-flush waiter is released here), back into kvm->srcu, and
 * the exit is handled. Returns 1 to re-enter, 0 to return to userspace, < 0 for an error.
 */
const vcpu_enter_guest = kfunc(function* vcpu_enter_guest(vcpu: kvm_vcpu, g: guest_cpu): KGen<number> {
  const k = vcpu.kvm;
  if (kvm_request_pending(vcpu)) {
    if (kvm_check_request(KVM_REQ_GLOBAL_CLOCK_UPDATE, vcpu)) kvm_gen_kvmclock_update(vcpu);
    if (kvm_check_request(KVM_REQ_CLOCK_UPDATE, vcpu)) {
      const r = yield* kvm_guest_time_update(vcpu);
      if (r) return r;
    }
    /* kvm_service_local_tlb_flush_requests(): the model has no TLB */
    kvm_check_request(KVM_REQ_TLB_FLUSH, vcpu);
  }
  preempt_disable();
  /* Interrupts that arrived while they were enabled have been taken. */
  handle_pending_ipis();
  /*
   * Disable IRQs before setting IN_GUEST_MODE.  Posted interrupt
   * IPI are then delayed after guest entry, which ensures that they
   * result in virtual interrupt delivery.
   */
  local_irq_disable();
  /* Store vcpu->apicv_active before vcpu->mode.  */
  yield* smp_store_release(vcpu, 'mode', IN_GUEST_MODE);
  yield* srcu_read_unlock(k.srcu, vcpu.srcu_idx); /* kvm_vcpu_srcu_read_unlock(vcpu) */
  /* smp_mb__after_srcu_read_unlock(): ->mode is set before ->requests are checked */
  if (kvm_vcpu_exit_request(vcpu)) {
    vcpu.mode = OUTSIDE_GUEST_MODE;
    /* smp_wmb() */
    local_irq_enable();
    handle_pending_ipis();
    preempt_enable();
    vcpu.srcu_idx = yield* srcu_read_lock(k.srcu);
    return 1;
  }
  const exit = yield* vmx_vcpu_run(vcpu, g);
  vcpu.mode = OUTSIDE_GUEST_MODE;
  /* smp_wmb() */
  local_irq_enable();
  handle_pending_ipis();
  preempt_enable();
  vcpu.srcu_idx = yield* srcu_read_lock(k.srcu);
  return yield* vmx_handle_exit(vcpu, exit);
});

/**
 * KVM_RUN: kvm_arch_vcpu_ioctl_run() → vcpu_run(). The guest is `guest` (a list of gfns: a Linux
 * guest that first enables kvm-clock, then writes each page once; or an explicit program). Returns
 * -EINTR once a signal is pending (checked on entry and after every exit), 0 when the guest halts.
 */
export const kvm_arch_vcpu_ioctl_run = kfunc(function* kvm_arch_vcpu_ioctl_run(
  vcpu: kvm_vcpu,
  guest: readonly number[] | Iterable<guest_op>,
): KGen<number> {
  const prog: Iterable<guest_op> =
    Array.isArray(guest) && (guest.length === 0 || typeof guest[0] === 'number')
      ? linux_guest(guest as readonly number[])
      : (guest as Iterable<guest_op>);
  const g: guest_cpu = { it: prog[Symbol.iterator](), op: null, faults: 0 };
  const k = vcpu.kvm;
  VCPU_TASK.set(rawOf(vcpu), current_ts().task);
  /* vcpu_load(): kvm_arch_vcpu_load() records the pCPU */
  __WRITE_ONCE(vcpu, 'cpu', smp_processor_id());
  if (fatal_signal_pending(current_ts())) return -EINTR;
  vcpu.srcu_idx = yield* srcu_read_lock(k.srcu); /* kvm_vcpu_srcu_read_lock(vcpu) */
  let r: number;
  for (;;) {
    r = yield* vcpu_enter_guest(vcpu, g);
    if (r <= 0) break;
    /* __xfer_to_guest_mode_work_pending() → xfer_to_guest_mode_handle_work() → kvm_handle_signal_exit() */
    if (fatal_signal_pending(current_ts())) {
      r = -EINTR;
      break;
    }
  }
  yield* srcu_read_unlock(k.srcu, vcpu.srcu_idx);
  return r;
});
