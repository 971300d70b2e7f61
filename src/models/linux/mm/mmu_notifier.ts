/**
 * mm/mmu_notifier.c (≈ v6.17: Kingxukai/linux mirror), hlist subscriptions
 * only (interval notifiers are not modelled: has_itree stays false), plus
 * the OOM additions of the designs under review:
 *
 *  - v1: __mmu_notifier_oom_enter() walks the list under srcu and calls
 *    ops->oom_enter() synchronously (KVM's detaches with mmu_notifier_unregister()).
 *  - v2 (the seed): mmu_notifier_oom_enter() detaches every subscription with
 *    ops->after_oom_unregister, allocates a work item with GFP_ATOMIC and
 *    queues mmu_notifier_oom_callback() with call_srcu(); mmu_notifier_barrier()
 *    is srcu_barrier(). The §7.3 open questions are knobs (variants.ts).
 *  - v3 (ours): the same detach, under subscriptions->lock, with the rcu_head
 *    embedded in struct mmu_notifier (no allocation, so no failure path), an
 *    in-flight count the reaper and exit_mmap() wait on, and an
 *    mmu_notifier_unregister() that handles a concurrent OOM detach.
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import { BUG_ON, WARN, WARN_ON, WARN_ON_ONCE, pr_info } from '../../../kernel/bug.js';
import { onBoot } from '../../../kernel/kernel.js';
import {
  HLIST_HEAD,
  HLIST_NODE,
  type hlist_head,
  type hlist_node,
  hlist_add_head,
  hlist_add_head_rcu,
  hlist_del_init,
  hlist_del_init_rcu,
  hlist_empty,
  hlist_entry,
  hlist_for_each_entry_rcu,
  hlist_for_each_entry_safe,
  hlist_for_each_entry_srcu,
  hlist_next_entry_rcu,
  hlist_unhashed,
  LIST_POISON1,
} from '../../../kernel/lib/list.js';
import { container_of } from '../../../kernel/lib/container_of.js';
import { lock_map_acquire, lock_map_release, lockdep_map } from '../../../kernel/locking/lockdep.js';
import { type spinlock_t, spin_lock, spin_lock_init, spin_unlock } from '../../../kernel/locking/spinlock.js';
import {
  DEFINE_ON_STACK,
  GFP_ATOMIC,
  GFP_KERNEL,
  fs_reclaim_acquire,
  fs_reclaim_release,
  kfree,
  kmalloc,
  kzalloc,
} from '../../../kernel/mm/slab.js';
import { non_block_end, non_block_start } from '../../../kernel/preempt.js';
import {
  type atomic_t,
  ATOMIC_INIT,
  READ_ONCE,
  WRITE_ONCE,
  __WRITE_ONCE,
  atomic_dec_return,
  atomic_inc,
  atomic_read,
} from '../../../kernel/once.js';
import { RCU_HEAD_INIT, type rcu_head } from '../../../kernel/rcu/update.js';
import {
  type srcu_struct,
  DEFINE_STATIC_SRCU,
  call_srcu,
  srcu_barrier,
  srcu_read_lock,
  srcu_read_lock_held,
  srcu_read_unlock,
  synchronize_srcu,
} from '../../../kernel/rcu/srcutree.js';
import type { mm_struct } from '../include/linux/mm_types.js';
import { mmap_write_lock, mmap_write_unlock } from '../include/linux/mm_types.js';
import { type mmu_notifier_range, mmu_notifier_range_blockable } from '../include/linux/mmu_notifier.js';
import { mm_count_read, mm_users_read, mmdrop, mmgrab } from '../kernel/fork.js';
import { design, model_stats } from '../variants.js';

const EAGAIN = 11;
const EINVAL = 22;

/** struct mmu_notifier_ops (the callbacks the model uses). */
export interface mmu_notifier_ops {
  /** %pS of the ops owner, for the "callback failed" line. */
  readonly name: string;
  readonly release?: (sub: mmu_notifier, mm: mm_struct) => KGen;
  readonly invalidate_range_start?: (sub: mmu_notifier, range: mmu_notifier_range) => KGen<number>;
  readonly invalidate_range_end?: (sub: mmu_notifier, range: mmu_notifier_range) => KGen;
  readonly free_notifier?: (sub: mmu_notifier) => void;
  /** v1: called synchronously from __mmu_notifier_oom_enter() under srcu. */
  readonly oom_enter?: (sub: mmu_notifier, mm: mm_struct) => KGen;
  /** v2/v3: called from an SRCU callback (BH disabled, must not sleep) after an OOM detach. */
  readonly after_oom_unregister?: (sub: mmu_notifier, mm: mm_struct) => KGen;
}

/** v3: oom_state of a subscription. */
export const MMU_NOTIFIER_OOM_NONE = 0;
export const MMU_NOTIFIER_OOM_DETACHED = 1;
export const MMU_NOTIFIER_OOM_DONE = 2;

/** struct mmu_notifier (embedded in its owner, e.g. struct kvm). */
export interface mmu_notifier {
  hlist: hlist_node;
  ops: mmu_notifier_ops;
  mm: mm_struct | null;
  rcu: rcu_head;
  users: number;
  /**
   * v3 only: OOM detach state. NONE -> DETACHED under subscriptions->lock (with the unhash),
   * DETACHED -> DONE in the callback; always WRITE_ONCE, read with READ_ONCE outside the lock.
   */
  oom_state: number;
}

/** A struct mmu_notifier initialiser (all zero). */
export function MMU_NOTIFIER_INIT(ops: mmu_notifier_ops): mmu_notifier {
  return { hlist: HLIST_NODE(), ops, mm: null, rcu: RCU_HEAD_INIT(), users: 0, oom_state: MMU_NOTIFIER_OOM_NONE };
}

/** struct mmu_notifier_subscriptions */
export interface mmu_notifier_subscriptions {
  list: hlist_head;
  has_itree: boolean;
  readonly lock: spinlock_t;
  invalidate_seq: number;
  active_invalidate_ranges: number;
  /**
   * v3 only: OOM-detached subscriptions whose after_oom_unregister has not finished
   * (atomic_t: incremented under the lock, decremented by the callback with release semantics).
   */
  readonly oom_pending: atomic_t;
}

/** v2: the GFP_ATOMIC work item of mmu_notifier_oom_enter(). */
interface mmu_notifier_oom_work {
  sub: mmu_notifier;
  rcu: rcu_head;
}

/* global SRCU for all MMs */
const srcu: srcu_struct = DEFINE_STATIC_SRCU('srcu');
let start_map = new lockdep_map('mmu_notifier_invalidate_range_start');
onBoot(() => {
  start_map = new lockdep_map('mmu_notifier_invalidate_range_start');
});

/** The mmu-notifier SRCU domain (for tests and scenarios that want to read it). */
export function mmu_notifier_srcu(): srcu_struct {
  return srcu;
}

/** __mmu_notifier_invalidate_range_start_map (CONFIG_LOCKDEP) */
export function __mmu_notifier_invalidate_range_start_map(): lockdep_map {
  return start_map;
}

// ------------------------------------------------------------------ release

/** mn_hlist_release(subscriptions, mm) */
const mn_hlist_release = kfunc(function* mn_hlist_release(
  subscriptions: mmu_notifier_subscriptions,
  mm: mm_struct,
): KGen {
  /*
   * SRCU here will block mmu_notifier_unregister until
   * ->release returns.
   */
  const id = yield* srcu_read_lock(srcu);
  for (
    let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
      subscriptions.list,
      'hlist',
      srcu_read_lock_held(srcu),
      'mm/mmu_notifier.c:235',
    );
    subscription;
    subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
  ) {
    /*
     * If ->release runs before mmu_notifier_unregister it must be
     * handled, as it's the only way for the driver to flush all
     * existing sptes and stop the driver from establishing any more
     * sptes before all the pages in the mm are freed.
     */
    const ops = subscription.ops;
    if (ops.release) yield* ops.release(subscription, mm);
  }
  yield* spin_lock(subscriptions.lock);
  while (!hlist_empty(subscriptions.list)) {
    const subscription = hlist_entry<mmu_notifier>(subscriptions.list.first as hlist_node, 'hlist');
    /*
     * We arrived before mmu_notifier_unregister so
     * mmu_notifier_unregister will do nothing other than to wait
     * for ->release to finish and for mmu_notifier_unregister to
     * return.
     */
    hlist_del_init_rcu(subscription.hlist);
  }
  yield* spin_unlock(subscriptions.lock);
  yield* srcu_read_unlock(srcu, id);

  /*
   * synchronize_srcu here prevents mmu_notifier_release from returning to
   * exit_mmap (which would proceed with freeing all pages in the mm)
   * until the ->release method returns, if it was invoked by
   * mmu_notifier_unregister.
   */
  yield* synchronize_srcu(srcu);
});

/** __mmu_notifier_release(mm): called by exit_mmap() when mm_users reached 0. */
export const __mmu_notifier_release = kfunc(function* __mmu_notifier_release(mm: mm_struct): KGen {
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  if (!hlist_empty(subscriptions.list)) yield* mn_hlist_release(subscriptions, mm);
  if (design().oom_hook === 'v3') yield* mmu_notifier_oom_wait(subscriptions);
});

// ------------------------------------------------------------ invalidations

/** mn_hlist_invalidate_range_start() — exact control flow of reference §2.7. */
const mn_hlist_invalidate_range_start = kfunc(function* mn_hlist_invalidate_range_start(
  subscriptions: mmu_notifier_subscriptions,
  range: mmu_notifier_range,
): KGen<number> {
  let ret = 0;
  const id = yield* srcu_read_lock(srcu);
  for (
    let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
      subscriptions.list,
      'hlist',
      srcu_read_lock_held(srcu),
      'mm/mmu_notifier.c:394',
    );
    subscription;
    subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
  ) {
    const ops = subscription.ops;
    if (ops.invalidate_range_start) {
      const blockable = mmu_notifier_range_blockable(range);
      if (!blockable) non_block_start();
      const _ret = yield* ops.invalidate_range_start(subscription, range);
      if (!blockable) non_block_end();
      if (_ret) {
        pr_info(
          `${ops.name}_invalidate_range_start+0x0/0x390 callback failed with ${-_ret} in ${!blockable ? 'non-' : ''}blockable context.`,
        );
        WARN_ON(blockable || _ret !== -EAGAIN, 'mm/mmu_notifier.c:412');
        /*
         * We call all the notifiers on any EAGAIN,
         * there is no way for a notifier to know if
         * its start method failed, thus a start that
         * does EAGAIN can't also do end.
         */
        WARN_ON(Boolean(ops.invalidate_range_end), 'mm/mmu_notifier.c:419');
        ret = _ret;
      }
    }
  }
  if (ret) {
    /*
     * Must be non-blocking to get here.  If there are multiple
     * notifiers and one or more failed start, any that succeeded
     * start are expecting their end to be called.  Do so now.
     */
    for (
      let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
        subscriptions.list,
        'hlist',
        srcu_read_lock_held(srcu),
        'mm/mmu_notifier.c:432',
      );
      subscription;
      subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
    ) {
      if (!subscription.ops.invalidate_range_end) continue;
      yield* subscription.ops.invalidate_range_end(subscription, range);
    }
  }
  yield* srcu_read_unlock(srcu, id);
  return ret;
});

/** __mmu_notifier_invalidate_range_start(range) */
export const __mmu_notifier_invalidate_range_start = kfunc(function* __mmu_notifier_invalidate_range_start(
  range: mmu_notifier_range,
): KGen<number> {
  const subscriptions = range.mm.notifier_subscriptions as mmu_notifier_subscriptions;
  if (!hlist_empty(subscriptions.list)) return yield* mn_hlist_invalidate_range_start(subscriptions, range);
  return 0;
});

/** mn_hlist_invalidate_end() */
const mn_hlist_invalidate_end = kfunc(function* mn_hlist_invalidate_end(
  subscriptions: mmu_notifier_subscriptions,
  range: mmu_notifier_range,
): KGen {
  const id = yield* srcu_read_lock(srcu);
  for (
    let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
      subscriptions.list,
      'hlist',
      srcu_read_lock_held(srcu),
      'mm/mmu_notifier.c:470',
    );
    subscription;
    subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
  ) {
    const ops = subscription.ops;
    if (ops.invalidate_range_end) {
      const blockable = mmu_notifier_range_blockable(range);
      if (!blockable) non_block_start();
      yield* ops.invalidate_range_end(subscription, range);
      if (!blockable) non_block_end();
    }
  }
  yield* srcu_read_unlock(srcu, id);
});

/** __mmu_notifier_invalidate_range_end(range) */
export const __mmu_notifier_invalidate_range_end = kfunc(function* __mmu_notifier_invalidate_range_end(
  range: mmu_notifier_range,
): KGen {
  const subscriptions = range.mm.notifier_subscriptions as mmu_notifier_subscriptions;
  lock_map_acquire(start_map);
  if (!hlist_empty(subscriptions.list)) yield* mn_hlist_invalidate_end(subscriptions, range);
  lock_map_release(start_map);
});

// ------------------------------------------------------------ registration

/** __mmu_notifier_register(subscription, mm): caller holds mmap_lock for write and an mm_users pin. */
export const __mmu_notifier_register = kfunc(function* __mmu_notifier_register(
  subscription: mmu_notifier,
  mm: mm_struct,
): KGen<number> {
  BUG_ON(mm_users_read(mm) <= 0, 'mm/mmu_notifier.c:615');
  if (design().oom_hook === 'v3') {
    /* v3: the embedded rcu_head is used by mmu_notifier_put(); OOM detach needs it too. */
    if (
      WARN_ON_ONCE(
        Boolean(subscription.ops.after_oom_unregister && subscription.ops.free_notifier),
        'mm/mmu_notifier.c:620',
      )
    )
      return -EINVAL;
  }
  /*
   * Subsystems should only register for invalidate_secondary_tlbs() or
   * invalidate_range_start()/end() callbacks, not both. (no such ops here)
   */
  fs_reclaim_acquire(GFP_KERNEL);
  lock_map_acquire(start_map);
  lock_map_release(start_map);
  fs_reclaim_release(GFP_KERNEL);

  let subscriptions = mm.notifier_subscriptions;
  if (!subscriptions) {
    /*
     * kmalloc cannot be called under mm_take_all_locks(), but we
     * know that mm->notifier_subscriptions can't change while we
     * hold the write side of the mmap_lock.
     */
    subscriptions = kzalloc<mmu_notifier_subscriptions>(
      () => ({
        list: HLIST_HEAD(),
        has_itree: false,
        lock: spin_lock_init('&subscriptions->lock'),
        invalidate_seq: 2,
        active_invalidate_ranges: 0,
        oom_pending: ATOMIC_INIT(0),
      }),
      GFP_KERNEL,
      'struct mmu_notifier_subscriptions',
      120,
    );
    if (!subscriptions) return -12;
    // mm_take_all_locks(mm) is not modelled (its only effect here is exclusion with faults, which mmap_lock gives).
    /* Pairs with the mmdrop in mmu_notifier_unregister_* */
    mm.notifier_subscriptions = subscriptions; // smp_store_release()
  }
  mmgrab(mm);
  subscription.mm = mm;
  subscription.users = 1;
  yield* spin_lock(subscriptions.lock);
  hlist_add_head_rcu(subscription.hlist, subscriptions.list);
  yield* spin_unlock(subscriptions.lock);
  return 0;
});

/** mmu_notifier_register(): mmap_write_lock + __mmu_notifier_register. */
export const mmu_notifier_register = kfunc(function* mmu_notifier_register(
  subscription: mmu_notifier,
  mm: mm_struct,
): KGen<number> {
  yield* mmap_write_lock(mm);
  const ret = yield* __mmu_notifier_register(subscription, mm);
  yield* mmap_write_unlock(mm);
  return ret;
});

/**
 * mmu_notifier_unregister(subscription, mm): ->release if still hashed,
 * unhash, synchronize_srcu, mmdrop (reference §2.5).
 * v3: the hashed test and the unhash are one decision under the lock, and a
 * subscription the OOM path detached is waited for (srcu_barrier) before the
 * registration's mm reference is dropped.
 */
export const mmu_notifier_unregister = kfunc(function* mmu_notifier_unregister(
  subscription: mmu_notifier,
  mm: mm_struct,
): KGen {
  BUG_ON(mm_count_read(mm) <= 0, 'mm/mmu_notifier.c:791');
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  const v3 = design().oom_hook === 'v3';
  let hashed: boolean;
  if (v3) {
    /*
     * v3: decide under the lock: mmu_notifier_oom_enter() unhashes the node and
     * queues its callback in one critical section, so after this we either own
     * the removal or the callback is already queued (and srcu_barrier() sees it).
     */
    yield* spin_lock(subscriptions.lock);
    hashed = !hlist_unhashed(subscription.hlist);
    yield* spin_unlock(subscriptions.lock);
  } else {
    hashed = !hlist_unhashed(subscription.hlist);
  }
  if (hashed) {
    /*
     * SRCU here will force exit_mmap to wait for ->release to
     * finish before freeing the pages.
     */
    const id = yield* srcu_read_lock(srcu);
    /*
     * exit_mmap will block in mmu_notifier_release to guarantee
     * that ->release is called before freeing the pages.
     */
    if (subscription.ops.release) yield* subscription.ops.release(subscription, mm);
    yield* srcu_read_unlock(srcu, id);

    yield* spin_lock(subscriptions.lock);
    /*
     * Can not use list_del_rcu() since __mmu_notifier_release
     * can delete it before we hold the lock.
     */
    hlist_del_init_rcu(subscription.hlist);
    yield* spin_unlock(subscriptions.lock);
  }

  /*
   * Wait for any running method to finish, of course including
   * ->release if it was run by mmu_notifier_release instead of us.
   */
  yield* synchronize_srcu(srcu);
  /*
   * v3: and for the OOM cleanup callback, which a grace period does not cover.
   * oom_state is written in the same critical section that unhashes the
   * node, so once it is unhashed (by anyone) the state is final.
   */
  if (v3 && (yield* READ_ONCE(subscription, 'oom_state')) !== MMU_NOTIFIER_OOM_NONE) yield* srcu_barrier(srcu);

  BUG_ON(mm_count_read(mm) <= 0, 'mm/mmu_notifier.c:826');
  yield* mmdrop(mm);
});

/** mmu_notifier_synchronize(): synchronize_srcu(&srcu) in current mainline. */
export const mmu_notifier_synchronize = kfunc(function* mmu_notifier_synchronize(): KGen {
  yield* synchronize_srcu(srcu);
});

/** mmu_notifier_barrier() body (seed v2): srcu_barrier(&srcu). */
export const mmu_notifier_barrier_srcu = kfunc(function* mmu_notifier_barrier(): KGen {
  yield* srcu_barrier(srcu);
});

/** __mmu_notifier_subscriptions_destroy(mm): from __mmdrop(). */
export function __mmu_notifier_subscriptions_destroy(mm: mm_struct): void {
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  BUG_ON(!hlist_empty(subscriptions.list), 'mm/mmu_notifier.c:586');
  kfree(subscriptions);
  mm.notifier_subscriptions = LIST_POISON1;
}

// ------------------------------------------------------------ OOM: v1, v2, v3

/** The exactly-once check of reference §10.1 (a model assertion, not kernel code). */
const oom_callbacks = new WeakMap<object, number>();

function* run_after_oom_unregister(subscription: mmu_notifier): KGen {
  const mm = subscription.mm as mm_struct;
  const n = (oom_callbacks.get(subscription) ?? 0) + 1;
  oom_callbacks.set(subscription, n);
  WARN(n > 1, 'after_oom_unregister called more than once for a subscription', 'mm/mmu_notifier.c:1150');
  model_stats().after_oom_unregister++;
  yield* (subscription.ops.after_oom_unregister as NonNullable<mmu_notifier_ops['after_oom_unregister']>)(
    subscription,
    mm,
  );
}

/**
 * v1: __mmu_notifier_oom_enter(mm) — every subscription's ->oom_enter runs
 * synchronously inside the srcu read section (reference §7.2 Mar 25/28).
 */
const __mmu_notifier_oom_enter_v1 = kfunc(function* __mmu_notifier_oom_enter(mm: mm_struct): KGen<boolean> {
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  const id = yield* srcu_read_lock(srcu);
  for (
    let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
      subscriptions.list,
      'hlist',
      srcu_read_lock_held(srcu),
      'mm/mmu_notifier.c:1110',
    );
    subscription;
    subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
  ) {
    if (subscription.ops.oom_enter) yield* subscription.ops.oom_enter(subscription, mm);
  }
  yield* srcu_read_unlock(srcu, id);
  return false;
});

/** v2: the call_srcu() callback: after a grace period, in the SRCU workqueue with BH disabled. */
function* mmu_notifier_oom_callback_fn(rcu: rcu_head): KGen {
  const work = container_of<mmu_notifier_oom_work>(rcu, 'rcu');
  yield* run_after_oom_unregister(work.sub);
  kfree(work);
}
const mmu_notifier_oom_callback = kfunc(mmu_notifier_oom_callback_fn, 'mmu_notifier_oom_callback');

/** Takes a subscription off the live list with the primitive the design uses. */
function detach(subscription: mmu_notifier): void {
  if (design().detach_primitive === 'hlist_del_init') hlist_del_init(subscription.hlist);
  else hlist_del_init_rcu(subscription.hlist);
  model_stats().detached++;
}

/**
 * v2: mmu_notifier_oom_enter(mm), reconstructed from the cover letter and
 * reference §7.3: detach every subscription with after_oom_unregister onto a
 * stack oom_list, then give each a GFP_ATOMIC work item and call_srcu() it,
 * unlinking it from oom_list with hlist_del_init() so hlist_unhashed() is true.
 */
const __mmu_notifier_oom_enter_v2 = kfunc(function* __mmu_notifier_oom_enter(mm: mm_struct): KGen<boolean> {
  const d = design();
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  const oom_list = DEFINE_ON_STACK(() => HLIST_HEAD(), 'oom_list');
  /** Work items, in oom_list order (a failed allocation leaves a hole). */
  const works = new Map<mmu_notifier, mmu_notifier_oom_work | null>();

  const take = function* (subscription: mmu_notifier): KGen {
    const work = kmalloc<mmu_notifier_oom_work>(
      () => ({ sub: subscription, rcu: RCU_HEAD_INIT() }),
      GFP_ATOMIC,
      'struct mmu_notifier_oom_work',
      32,
    );
    if (!work && d.alloc_fail === 'stay_attached') return; /* allocate first: stays on the live list */
    detach(subscription);
    hlist_add_head(subscription.hlist, oom_list);
    works.set(subscription, work);
  };

  if (d.idempotent_detach) {
    yield* spin_lock(subscriptions.lock);
    for (const subscription of hlist_for_each_entry_safe<mmu_notifier>(subscriptions.list, 'hlist'))
      if (subscription.ops.after_oom_unregister) yield* take(subscription);
    yield* spin_unlock(subscriptions.lock);
  } else {
    /* Collect under srcu, then detach each under the lock without re-checking it is still hashed. */
    const found: mmu_notifier[] = [];
    const id = yield* srcu_read_lock(srcu);
    for (
      let subscription = yield* hlist_for_each_entry_rcu<mmu_notifier>(
        subscriptions.list,
        'hlist',
        srcu_read_lock_held(srcu),
        'mm/mmu_notifier.c:1130',
      );
      subscription;
      subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
    )
      if (subscription.ops.after_oom_unregister) found.push(subscription);
    yield* srcu_read_unlock(srcu, id);
    for (const subscription of found) {
      yield* spin_lock(subscriptions.lock);
      yield* take(subscription);
      yield* spin_unlock(subscriptions.lock);
    }
  }

  for (const subscription of hlist_for_each_entry_safe<mmu_notifier>(oom_list, 'hlist')) {
    const work = works.get(subscription) ?? null;
    if (!work) {
      /* GFP_ATOMIC failed: the after_oom_unregister callback is skipped (cover letter). */
      if (d.alloc_fail === 'detach_no_cb') hlist_del_init(subscription.hlist);
      continue; /* 'stale_oom_list': the node keeps pprev into this frame */
    }
    hlist_del_init(subscription.hlist);
    yield* call_srcu(srcu, work.rcu, mmu_notifier_oom_callback);
  }
  return false;
});

/** v3: the callback, on the rcu_head embedded in struct mmu_notifier. */
function* mmu_notifier_oom_free_rcu_fn(rcu: rcu_head): KGen {
  const subscription = container_of<mmu_notifier>(rcu, 'rcu');
  const subscriptions = (subscription.mm as mm_struct).notifier_subscriptions as mmu_notifier_subscriptions;
  yield* run_after_oom_unregister(subscription);
  yield* WRITE_ONCE(subscription, 'oom_state', MMU_NOTIFIER_OOM_DONE);
  /*
   * atomic_dec_return_release(): the owner's cleanup is complete; pairs with the
   * atomic_read() of the reaper, process_mrelease() and exit_mmap(). The last access
   * to the subscription: after it, the owner may free it.
   */
  yield* atomic_dec_return(subscriptions.oom_pending);
}
const mmu_notifier_oom_free_rcu = kfunc(mmu_notifier_oom_free_rcu_fn, 'mmu_notifier_oom_free_rcu');

/**
 * v3: __mmu_notifier_oom_enter(mm): under subscriptions->lock, each hashed
 * subscription with after_oom_unregister is unhashed (hlist_del_init_rcu), marked
 * DETACHED and its own rcu_head queued with call_srcu(); no allocation. Returns
 * whether any detached subscription's callback has not finished: the reaper
 * then leaves the pages alone (retry) until the owner has zapped its mappings.
 */
const __mmu_notifier_oom_enter_v3 = kfunc(function* __mmu_notifier_oom_enter(mm: mm_struct): KGen<boolean> {
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  /*
   * Fast path: nothing left to detach; report whether cleanup is still in flight.
   * The walk is an SRCU reader: without it, mmu_notifier_unregister()'s
   * synchronize_srcu() would not wait for us and the owner (struct kvm embeds the
   * subscription) could be freed under the walk.
   */
  let candidates = false;
  const id = yield* srcu_read_lock(srcu);
  for (
    let subscription = yield* hlist_for_each_entry_srcu<mmu_notifier>(
      subscriptions.list,
      'hlist',
      srcu_read_lock_held(srcu),
      'mm/mmu_notifier.c:1160',
    );
    subscription;
    subscription = yield* hlist_next_entry_rcu(subscription, 'hlist')
  )
    if (subscription.ops.after_oom_unregister) candidates = true;
  yield* srcu_read_unlock(srcu, id);
  if (!candidates) return (yield* atomic_read(subscriptions.oom_pending)) > 0;
  yield* spin_lock(subscriptions.lock);
  for (const subscription of hlist_for_each_entry_safe<mmu_notifier>(subscriptions.list, 'hlist')) {
    if (!subscription.ops.after_oom_unregister) continue;
    /*
     * Count it before unhashing it (atomic_inc(); smp_mb__after_atomic()): a
     * concurrent fast path that no longer finds the node on the list then sees
     * the count and reports the cleanup as in flight.
     */
    yield* atomic_inc(subscriptions.oom_pending);
    __WRITE_ONCE(subscription, 'oom_state', MMU_NOTIFIER_OOM_DETACHED);
    hlist_del_init_rcu(subscription.hlist);
    model_stats().detached++;
    yield* call_srcu(srcu, subscription.rcu, mmu_notifier_oom_free_rcu);
  }
  yield* spin_unlock(subscriptions.lock);
  /* atomic_read(): a callback may finish while we read it; true means "retry later". */
  return (yield* atomic_read(subscriptions.oom_pending)) > 0;
});

/** v3: exit_mmap() must not free pages a detached owner may still map: wait for the callbacks. */
const mmu_notifier_oom_wait = kfunc(function* mmu_notifier_oom_wait(subscriptions: mmu_notifier_subscriptions): KGen {
  /*
   * Under the lock: the count is raised and the callback queued in one critical
   * section of __mmu_notifier_oom_enter(), so a count seen here is a callback
   * srcu_barrier() waits for. A callback already done needs no barrier.
   */
  yield* spin_lock(subscriptions.lock);
  const pending = (yield* atomic_read(subscriptions.oom_pending)) > 0;
  yield* spin_unlock(subscriptions.lock);
  if (pending) yield* srcu_barrier(srcu);
});

/** __mmu_notifier_oom_enter(mm): the design's OOM hook (none for mainline). */
export function* __mmu_notifier_oom_enter(mm: mm_struct): KGen<boolean> {
  switch (design().oom_hook) {
    case 'v1':
      return yield* __mmu_notifier_oom_enter_v1(mm);
    case 'v2':
      return yield* __mmu_notifier_oom_enter_v2(mm);
    case 'v3':
      return yield* __mmu_notifier_oom_enter_v3(mm);
    default:
      return false;
  }
}
