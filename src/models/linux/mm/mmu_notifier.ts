/**
 * mm/mmu_notifier.c (≈ v6.17: Kingxukai/linux mirror): hlist subscriptions
 * (register/unregister and get/put with free_notifier) and interval notifiers
 * (has_itree, the collision-retry invalidate_seq, the deferred list), plus
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
import {
  HLIST_HEAD,
  HLIST_NODE,
  hlist_del,
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
import { container_of, set_container } from '../../../kernel/lib/container_of.js';
import { INIT_WORK, type work_struct, flush_work, queue_work, system_unbound_wq } from '../../../kernel/workqueue.js';
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
import { might_sleep } from '../../../kernel/sched/core.js';
import {
  DECLARE_WAIT_QUEUE_HEAD,
  type wait_queue_head_t,
  wait_event,
  wake_up_all,
} from '../../../kernel/sched/wait.js';
import {
  type atomic_t,
  ATOMIC_INIT,
  READ_ONCE,
  WRITE_ONCE,
  __WRITE_ONCE,
  smp_load_acquire,
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
import {
  MMU_NOTIFIER_RANGE_BLOCKABLE,
  MMU_NOTIFY_RELEASE,
  type mmu_notifier_range,
  mmu_notifier_range_blockable,
} from '../include/linux/mmu_notifier.js';
import { mm_count_read, mm_users_read, mmdrop, mmgrab } from '../kernel/fork.js';
import { type Design, design, model_stats } from '../variants.js';

const EAGAIN = 11;
const EINVAL = 22;
const ENOMEM = 12;
const EOVERFLOW = 75;
const ULONG_MAX = Number.MAX_SAFE_INTEGER;

/** struct mmu_notifier_ops (the callbacks the model uses). */
export interface mmu_notifier_ops {
  /** %pS of the ops owner, for the "callback failed" line. */
  readonly name: string;
  readonly release?: (sub: mmu_notifier, mm: mm_struct) => KGen;
  readonly invalidate_range_start?: (sub: mmu_notifier, range: mmu_notifier_range) => KGen<number>;
  readonly invalidate_range_end?: (sub: mmu_notifier, range: mmu_notifier_range) => KGen;
  /** get/put users: mmu_notifier_get_locked() allocates with it (an errno < 0 on failure). */
  readonly alloc_notifier?: (mm: mm_struct) => mmu_notifier | number;
  /** get/put users: called from the SRCU callback of mmu_notifier_put(). */
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
  /**
   * v3 only: the work item the SRCU callback queues so that after_oom_unregister runs in process
   * context (INIT_WORK at registration; embedded, so no allocation).
   */
  oom_work: work_struct | null;
}

/** A struct mmu_notifier initialiser (all zero). */
export function MMU_NOTIFIER_INIT(ops: mmu_notifier_ops): mmu_notifier {
  return {
    hlist: HLIST_NODE(),
    ops,
    mm: null,
    rcu: RCU_HEAD_INIT(),
    users: 0,
    oom_state: MMU_NOTIFIER_OOM_NONE,
    oom_work: null,
  };
}

/** struct mmu_interval_notifier_ops */
export interface mmu_interval_notifier_ops {
  /** %pS of the owner (reports). */
  readonly name: string;
  /** Returns false only when the range is not blockable and the driver would have to sleep. */
  readonly invalidate: (sub: mmu_interval_notifier, range: mmu_notifier_range, cur_seq: number) => KGen<boolean>;
}

/** struct mmu_interval_notifier (embedded in its owner, e.g. a userptr BO). */
export interface mmu_interval_notifier {
  /** interval_tree.start / .last (inclusive); in_tree is !RB_EMPTY_NODE(&interval_tree.rb). */
  interval_tree: { start: number; last: number; in_tree: boolean };
  ops: mmu_interval_notifier_ops | null;
  mm: mm_struct | null;
  deferred_item: hlist_node;
  invalidate_seq: number;
}

/** A struct mmu_interval_notifier initialiser (all zero). */
export function MMU_INTERVAL_NOTIFIER_INIT(): mmu_interval_notifier {
  return {
    interval_tree: { start: 0, last: 0, in_tree: false },
    ops: null,
    mm: null,
    deferred_item: HLIST_NODE(),
    invalidate_seq: 0,
  };
}

/** struct mmu_notifier_subscriptions */
export interface mmu_notifier_subscriptions {
  list: hlist_head;
  has_itree: boolean;
  readonly lock: spinlock_t;
  invalidate_seq: number;
  active_invalidate_ranges: number;
  /**
   * The interval tree (rb_root_cached itree): the inserted interval notifiers in start order.
   * Replaced, never mutated in place, and only under the lock while invalidate_seq is even.
   */
  itree: mmu_interval_notifier[];
  readonly wq: wait_queue_head_t;
  deferred_list: hlist_head;
  /**
   * v3 only: OOM-detached subscriptions whose after_oom_unregister has not finished
   * (atomic_t: incremented under the lock, decremented by the callback with release semantics).
   */
  readonly oom_pending: atomic_t;
  /** v3 only: exit_mmap() waits here for oom_pending to reach 0 (woken by the cleanup work). */
  readonly oom_wq: wait_queue_head_t;
}

/** v2: the GFP_ATOMIC work item of mmu_notifier_oom_enter(). */
interface mmu_notifier_oom_work {
  sub: mmu_notifier;
  rcu: rcu_head;
}

/* global SRCU for all MMs */
const srcu: srcu_struct = DEFINE_STATIC_SRCU('srcu');
const start_map = new lockdep_map('mmu_notifier_invalidate_range_start');

/** The mmu-notifier SRCU domain (for tests and scenarios that want to read it). */
export function mmu_notifier_srcu(): srcu_struct {
  return srcu;
}

/** __mmu_notifier_invalidate_range_start_map (CONFIG_LOCKDEP) */
export function __mmu_notifier_invalidate_range_start_map(): lockdep_map {
  return start_map;
}

// ------------------------------------------------------------ interval notifiers

/** mn_itree_is_invalidating(): caller holds subscriptions->lock. */
function mn_itree_is_invalidating(subscriptions: mmu_notifier_subscriptions): boolean {
  return (subscriptions.invalidate_seq & 1) === 1;
}

/** interval_tree_iter_first/next over the model's sorted array: the first overlapping node after `from`. */
function interval_tree_iter(
  itree: readonly mmu_interval_notifier[],
  from: number,
  start: number,
  last: number,
): { node: mmu_interval_notifier; index: number } | null {
  for (let i = from; i < itree.length; i++) {
    const n = itree[i] as mmu_interval_notifier;
    if (n.interval_tree.start <= last && n.interval_tree.last >= start) return { node: n, index: i };
  }
  return null;
}

function interval_tree_insert(node: mmu_interval_notifier, subscriptions: mmu_notifier_subscriptions): void {
  node.interval_tree.in_tree = true;
  const t = [...subscriptions.itree, node];
  t.sort((a, b) => a.interval_tree.start - b.interval_tree.start);
  subscriptions.itree = t;
}

function interval_tree_remove(node: mmu_interval_notifier, subscriptions: mmu_notifier_subscriptions): void {
  node.interval_tree.in_tree = false; /* RB_CLEAR_NODE */
  subscriptions.itree = subscriptions.itree.filter((n) => n !== node);
}

interface itree_cursor {
  sub: mmu_interval_notifier;
  index: number;
}

/** mn_itree_inv_start_range(subscriptions, range, &seq) */
const mn_itree_inv_start_range = kfunc(function* mn_itree_inv_start_range(
  subscriptions: mmu_notifier_subscriptions,
  range: mmu_notifier_range,
): KGen<{ cur: itree_cursor | null; seq: number }> {
  yield* spin_lock(subscriptions.lock);
  subscriptions.active_invalidate_ranges++;
  const node = interval_tree_iter(subscriptions.itree, 0, range.start, range.end - 1);
  if (node) subscriptions.invalidate_seq |= 1;
  const seq = subscriptions.invalidate_seq;
  yield* spin_unlock(subscriptions.lock);
  return { cur: node ? { sub: node.node, index: node.index } : null, seq };
});

/**
 * mn_itree_inv_next(interval_sub, range): no lock — the tree cannot change while
 * invalidate_seq is odd (inserts and removes are deferred to mn_itree_inv_end()).
 */
function mn_itree_inv_next(
  subscriptions: mmu_notifier_subscriptions,
  cur: itree_cursor,
  range: mmu_notifier_range,
): itree_cursor | null {
  const node = interval_tree_iter(subscriptions.itree, cur.index + 1, range.start, range.end - 1);
  return node ? { sub: node.node, index: node.index } : null;
}

/** mn_itree_inv_end(subscriptions) */
const mn_itree_inv_end = kfunc(function* mn_itree_inv_end(subscriptions: mmu_notifier_subscriptions): KGen {
  yield* spin_lock(subscriptions.lock);
  if (--subscriptions.active_invalidate_ranges || !mn_itree_is_invalidating(subscriptions)) {
    yield* spin_unlock(subscriptions.lock);
    return;
  }
  /* Make invalidate_seq even */
  subscriptions.invalidate_seq++;
  /*
   * The inv_end incorporates a deferred mechanism like rtnl_unlock().
   * Adds and removes are queued until the final inv_end happens then
   * they are progressed. This arrangement for tree updates is used to
   * avoid using a blocking lock during invalidate_range_start.
   */
  for (const interval_sub of hlist_for_each_entry_safe<mmu_interval_notifier>(
    subscriptions.deferred_list,
    'deferred_item',
  )) {
    if (!interval_sub.interval_tree.in_tree) interval_tree_insert(interval_sub, subscriptions);
    else interval_tree_remove(interval_sub, subscriptions);
    hlist_del(interval_sub.deferred_item);
  }
  yield* spin_unlock(subscriptions.lock);
  yield* wake_up_all(subscriptions.wq);
});

/**
 * mmu_interval_read_begin(interval_sub): begin a read side critical section against a VA range;
 * sleeps while an invalidation that covers the subscription is in progress.
 */
export const mmu_interval_read_begin = kfunc(function* mmu_interval_read_begin(
  interval_sub: mmu_interval_notifier,
): KGen<number> {
  const subscriptions = (interval_sub.mm as mm_struct).notifier_subscriptions as mmu_notifier_subscriptions;
  yield* spin_lock(subscriptions.lock);
  /* Pairs with the WRITE_ONCE in mmu_interval_set_seq() */
  const seq = yield* READ_ONCE(interval_sub, 'invalidate_seq');
  const is_invalidating = seq === subscriptions.invalidate_seq;
  yield* spin_unlock(subscriptions.lock);
  lock_map_acquire(start_map);
  lock_map_release(start_map);
  if (is_invalidating) yield* wait_event(subscriptions.wq, () => invalidate_seq_moved(subscriptions, seq));
  return seq;
});

/**
 * mmu_interval_read_begin()'s wait_event() condition, READ_ONCE(subscriptions->invalidate_seq) !=
 * seq (module-level: a generator function made per wait keeps the run's world alive through the
 * young GC; docs/architecture.md).
 */
function* invalidate_seq_moved(subscriptions: mmu_notifier_subscriptions, seq: number): KGen<boolean> {
  return (yield* READ_ONCE(subscriptions, 'invalidate_seq')) !== seq;
}

/** mmu_interval_set_seq(interval_sub, cur_seq): from ops->invalidate, under the driver's user_lock. */
export function* mmu_interval_set_seq(interval_sub: mmu_interval_notifier, cur_seq: number): KGen {
  yield* WRITE_ONCE(interval_sub, 'invalidate_seq', cur_seq);
}

/** mmu_interval_read_retry(interval_sub, seq): under the driver's user_lock. */
export function mmu_interval_read_retry(interval_sub: mmu_interval_notifier, seq: number): boolean {
  return interval_sub.invalidate_seq !== seq;
}

/** mn_itree_invalidate(subscriptions, range): -EAGAIN when a non-blockable ->invalidate refuses. */
const mn_itree_invalidate = kfunc(function* mn_itree_invalidate(
  subscriptions: mmu_notifier_subscriptions,
  range: mmu_notifier_range,
): KGen<number> {
  const { cur: first, seq: cur_seq } = yield* mn_itree_inv_start_range(subscriptions, range);
  for (let cur = first; cur; cur = mn_itree_inv_next(subscriptions, cur, range)) {
    const interval_sub = cur.sub;
    model_stats().itree_invalidate++;
    const ret = yield* (interval_sub.ops as mmu_interval_notifier_ops).invalidate(interval_sub, range, cur_seq);
    if (!ret) {
      if (WARN_ON(mmu_notifier_range_blockable(range), 'mm/mmu_notifier.c:370')) continue;
      /*
       * On -EAGAIN the non-blocking caller is not allowed to call
       * invalidate_range_end()
       */
      yield* mn_itree_inv_end(subscriptions);
      model_stats().eagain_itree++;
      return -EAGAIN;
    }
  }
  return 0;
});

/** mn_itree_release(subscriptions, mm): a blockable MMU_NOTIFY_RELEASE of the whole address space. */
const mn_itree_release = kfunc(function* mn_itree_release(
  subscriptions: mmu_notifier_subscriptions,
  mm: mm_struct,
): KGen {
  const range: mmu_notifier_range = {
    flags: MMU_NOTIFIER_RANGE_BLOCKABLE,
    event: MMU_NOTIFY_RELEASE,
    mm,
    start: 0,
    end: ULONG_MAX,
  };
  const { cur: first, seq: cur_seq } = yield* mn_itree_inv_start_range(subscriptions, range);
  for (let cur = first; cur; cur = mn_itree_inv_next(subscriptions, cur, range)) {
    model_stats().itree_invalidate++;
    const ret = yield* (cur.sub.ops as mmu_interval_notifier_ops).invalidate(cur.sub, range, cur_seq);
    WARN_ON(!ret, 'mm/mmu_notifier.c:294');
  }
  yield* mn_itree_inv_end(subscriptions);
});

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
  if (subscriptions.has_itree) yield* mn_itree_release(subscriptions, mm);
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
          `${ops.name}_invalidate_range_start+0x0/0x390 callback failed with ${_ret} in ${!blockable ? 'non-' : ''}blockable context.`,
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
        model_stats().eagain_hlist++;
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
      model_stats().unwind_end++;
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
  if (subscriptions.has_itree) {
    const ret = yield* mn_itree_invalidate(subscriptions, range);
    if (ret) return ret;
  }
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
  if (subscriptions.has_itree) yield* mn_itree_inv_end(subscriptions);
  if (!hlist_empty(subscriptions.list)) yield* mn_hlist_invalidate_end(subscriptions, range);
  lock_map_release(start_map);
});

// ------------------------------------------------------------ registration

/**
 * __mmu_notifier_register(subscription, mm): caller holds mmap_lock for write and an mm_users pin.
 * A NULL subscription registers the mm for itree mode (has_itree).
 */
export const __mmu_notifier_register = kfunc(function* __mmu_notifier_register(
  subscription: mmu_notifier | null,
  mm: mm_struct,
): KGen<number> {
  BUG_ON(mm_users_read(mm) <= 0, 'mm/mmu_notifier.c:615');
  if (subscription && design().oom_hook === 'v3') {
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
        itree: [],
        wq: DECLARE_WAIT_QUEUE_HEAD(),
        deferred_list: HLIST_HEAD(),
        oom_pending: ATOMIC_INIT(0),
        oom_wq: DECLARE_WAIT_QUEUE_HEAD(),
      }),
      GFP_KERNEL,
      'struct mmu_notifier_subscriptions',
      120,
    );
    if (!subscriptions) return -ENOMEM;
    // mm_take_all_locks(mm) is not modelled (its only effect here is exclusion with faults, which mmap_lock gives).
    /* Pairs with the mmdrop in mmu_notifier_unregister_* */
    mm.notifier_subscriptions = subscriptions; // smp_store_release()
  }
  if (subscription) {
    if (design().oom_hook === 'v3' && subscription.ops.after_oom_unregister) {
      /* v3: INIT_WORK(&subscription->oom_work, mmu_notifier_oom_work_fn) */
      subscription.oom_work = INIT_WORK(mmu_notifier_oom_work, 'mmu_notifier_oom_work');
      set_container(subscription.oom_work, subscription, 'oom_work');
    }
    /* Pairs with the mmdrop in mmu_notifier_unregister_* */
    mmgrab(mm);
    subscription.mm = mm;
    subscription.users = 1;
    yield* spin_lock(subscriptions.lock);
    hlist_add_head_rcu(subscription.hlist, subscriptions.list);
    yield* spin_unlock(subscriptions.lock);
  } else subscriptions.has_itree = true;
  BUG_ON(mm_users_read(mm) <= 0, 'mm/mmu_notifier.c:680');
  return 0;
});

/** mmu_notifier_register(): mmap_write_lock + __mmu_notifier_register. */
export const mmu_notifier_register = kfunc(function* mmu_notifier_register(
  subscription: mmu_notifier | null,
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
  if (v3 && (yield* READ_ONCE(subscription, 'oom_state')) !== MMU_NOTIFIER_OOM_NONE) {
    /* the callback has queued the cleanup work once srcu_barrier() returns; then wait for the work */
    yield* srcu_barrier(srcu);
    yield* flush_work(subscription.oom_work as work_struct);
  }

  BUG_ON(mm_count_read(mm) <= 0, 'mm/mmu_notifier.c:826');
  yield* mmdrop(mm);
});

/** find_get_mmu_notifier(mm, ops): an existing subscription of these ops, users++ (under the lock). */
const find_get_mmu_notifier = kfunc(function* find_get_mmu_notifier(
  mm: mm_struct,
  ops: mmu_notifier_ops,
): KGen<mmu_notifier | number | null> {
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  yield* spin_lock(subscriptions.lock);
  for (const subscription of hlist_for_each_entry_safe<mmu_notifier>(subscriptions.list, 'hlist')) {
    if (subscription.ops !== ops) continue;
    let r: mmu_notifier | number = subscription;
    if (subscription.users !== 0xffffffff) subscription.users++;
    else r = -EOVERFLOW;
    yield* spin_unlock(subscriptions.lock);
    return r;
  }
  yield* spin_unlock(subscriptions.lock);
  return null;
});

/**
 * mmu_notifier_get_locked(ops, mm): the single struct mmu_notifier for the mm & ops, allocated
 * with ops->alloc_notifier() the first time. Caller holds mmap_lock for write. Returns an errno
 * (< 0) on failure (ERR_PTR).
 */
export const mmu_notifier_get_locked = kfunc(function* mmu_notifier_get_locked(
  ops: mmu_notifier_ops,
  mm: mm_struct,
): KGen<mmu_notifier | number> {
  if (mm.notifier_subscriptions) {
    const subscription = yield* find_get_mmu_notifier(mm, ops);
    if (subscription !== null) return subscription;
  }
  const subscription = (ops.alloc_notifier as NonNullable<mmu_notifier_ops['alloc_notifier']>)(mm);
  if (typeof subscription === 'number') return subscription; /* IS_ERR */
  subscription.ops = ops;
  const ret = yield* __mmu_notifier_register(subscription, mm);
  if (ret) {
    (subscription.ops.free_notifier as NonNullable<mmu_notifier_ops['free_notifier']>)(subscription);
    return ret;
  }
  return subscription;
});

/** mmu_notifier_get(ops, mm): mmap_write_lock + mmu_notifier_get_locked. */
export const mmu_notifier_get = kfunc(function* mmu_notifier_get(
  ops: mmu_notifier_ops,
  mm: mm_struct,
): KGen<mmu_notifier | number> {
  yield* mmap_write_lock(mm);
  const ret = yield* mmu_notifier_get_locked(ops, mm);
  yield* mmap_write_unlock(mm);
  return ret;
});

/** mmu_notifier_free_rcu(rcu): the SRCU callback of the last put. */
function* mmu_notifier_free_rcu_fn(rcu: rcu_head): KGen {
  const subscription = container_of<mmu_notifier>(rcu, 'rcu');
  const mm = subscription.mm as mm_struct;
  (subscription.ops.free_notifier as NonNullable<mmu_notifier_ops['free_notifier']>)(subscription);
  model_stats().notifier_freed++;
  /* Pairs with the get in __mmu_notifier_register() */
  yield* mmdrop(mm);
}
const mmu_notifier_free_rcu = kfunc(mmu_notifier_free_rcu_fn, 'mmu_notifier_free_rcu');

/**
 * mmu_notifier_put(subscription): drops a get reference; the last one unhashes the
 * subscription and frees it asynchronously (call_srcu → free_notifier, mmdrop).
 */
export const mmu_notifier_put = kfunc(function* mmu_notifier_put(subscription: mmu_notifier): KGen {
  const mm = subscription.mm as mm_struct;
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  yield* spin_lock(subscriptions.lock);
  if (WARN_ON(!subscription.users, 'mm/mmu_notifier.c:878') || --subscription.users) {
    yield* spin_unlock(subscriptions.lock);
    return;
  }
  hlist_del_init_rcu(subscription.hlist);
  yield* spin_unlock(subscriptions.lock);
  yield* call_srcu(srcu, subscription.rcu, mmu_notifier_free_rcu);
});

/** __mmu_interval_notifier_insert(interval_sub, mm, subscriptions, start, length, ops) */
const __mmu_interval_notifier_insert = kfunc(function* __mmu_interval_notifier_insert(
  interval_sub: mmu_interval_notifier,
  mm: mm_struct,
  subscriptions: mmu_notifier_subscriptions,
  start: number,
  length: number,
  ops: mmu_interval_notifier_ops,
): KGen<number> {
  interval_sub.mm = mm;
  interval_sub.ops = ops;
  interval_sub.interval_tree.in_tree = false; /* RB_CLEAR_NODE */
  interval_sub.interval_tree.start = start;
  /*
   * Note that the representation of the intervals in the interval tree
   * considers the ending point as contained in the interval.
   */
  if (length === 0 || start + length - 1 > ULONG_MAX) return -EOVERFLOW;
  interval_sub.interval_tree.last = start + length - 1;
  /* Must call with a mmget() held */
  if (WARN_ON(mm_users_read(mm) <= 0, 'mm/mmu_notifier.c:953')) return -EINVAL;
  /* pairs with mmdrop in mmu_interval_notifier_remove() */
  mmgrab(mm);
  /*
   * If some invalidate_range_start/end region is going on in parallel
   * we don't know what VA ranges are affected, so we must assume this
   * new range is included.
   *
   * If the itree is invalidating then we are not allowed to change
   * it. Retrying until invalidation is done is tricky due to the
   * possibility for live lock, instead defer the add to
   * mn_itree_inv_end() so this algorithm is deterministic.
   *
   * In all cases the value for the interval_sub->invalidate_seq should be
   * odd, see mmu_interval_read_begin()
   */
  yield* spin_lock(subscriptions.lock);
  if (subscriptions.active_invalidate_ranges) {
    if (mn_itree_is_invalidating(subscriptions))
      hlist_add_head(interval_sub.deferred_item, subscriptions.deferred_list);
    else {
      subscriptions.invalidate_seq |= 1;
      interval_tree_insert(interval_sub, subscriptions);
    }
    interval_sub.invalidate_seq = subscriptions.invalidate_seq;
  } else {
    WARN_ON(mn_itree_is_invalidating(subscriptions), 'mm/mmu_notifier.c:982');
    /*
     * The starting seq for a subscription not under invalidation
     * should be odd, not equal to the current invalidate_seq and
     * invalidate_seq should not 'wrap' to the new seq any time
     * soon.
     */
    interval_sub.invalidate_seq = subscriptions.invalidate_seq - 1;
    interval_tree_insert(interval_sub, subscriptions);
  }
  yield* spin_unlock(subscriptions.lock);
  return 0;
});

/** mmu_interval_notifier_insert(interval_sub, mm, start, length, ops): registers the mm for itree mode first. */
export const mmu_interval_notifier_insert = kfunc(function* mmu_interval_notifier_insert(
  interval_sub: mmu_interval_notifier,
  mm: mm_struct,
  start: number,
  length: number,
  ops: mmu_interval_notifier_ops,
): KGen<number> {
  // might_lock(&mm->mmap_lock): the lockdep annotation only.
  let subscriptions = yield* smp_load_acquire(mm, 'notifier_subscriptions');
  if (!subscriptions?.has_itree) {
    const ret = yield* mmu_notifier_register(null, mm);
    if (ret) return ret;
    subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  }
  return yield* __mmu_interval_notifier_insert(interval_sub, mm, subscriptions, start, length, ops);
});

/** mmu_interval_seq_released(subscriptions, seq) */
function* mmu_interval_seq_released(subscriptions: mmu_notifier_subscriptions, seq: number): KGen<boolean> {
  yield* spin_lock(subscriptions.lock);
  const ret = subscriptions.invalidate_seq !== seq;
  yield* spin_unlock(subscriptions.lock);
  return ret;
}

/**
 * mmu_interval_notifier_remove(interval_sub): once it returns, ops callbacks are no longer
 * running and will not be called; may sleep until an invalidation in progress ends.
 */
export const mmu_interval_notifier_remove = kfunc(function* mmu_interval_notifier_remove(
  interval_sub: mmu_interval_notifier,
): KGen {
  const mm = interval_sub.mm as mm_struct;
  const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
  let seq = 0;
  might_sleep('mm/mmu_notifier.c', 1068);
  yield* spin_lock(subscriptions.lock);
  if (mn_itree_is_invalidating(subscriptions)) {
    /*
     * remove is being called after insert put this on the
     * deferred list, but before the deferred list was processed.
     */
    if (!interval_sub.interval_tree.in_tree) {
      hlist_del(interval_sub.deferred_item);
    } else {
      hlist_add_head(interval_sub.deferred_item, subscriptions.deferred_list);
      seq = subscriptions.invalidate_seq;
    }
  } else {
    WARN_ON(!interval_sub.interval_tree.in_tree, 'mm/mmu_notifier.c:1086');
    interval_tree_remove(interval_sub, subscriptions);
  }
  yield* spin_unlock(subscriptions.lock);
  /*
   * The possible sleep on progress in the invalidation requires the
   * caller not hold any locks held by invalidation callbacks.
   */
  lock_map_acquire(start_map);
  lock_map_release(start_map);
  if (seq) yield* wait_event(subscriptions.wq, () => mmu_interval_seq_released(subscriptions, seq));
  /* pairs with mmgrab in mmu_interval_notifier_insert() */
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
 * v2's detach of one subscription onto oom_list with its work item (allocated first). Module-level
 * with its state as arguments: a generator function made per call keeps the run's world alive
 * through the young GC (docs/architecture.md).
 */
function* oom_take_v2(
  subscription: mmu_notifier,
  d: Design,
  oom_list: hlist_head,
  works: Map<mmu_notifier, mmu_notifier_oom_work | null>,
): KGen {
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

  const take = (subscription: mmu_notifier): KGen => oom_take_v2(subscription, d, oom_list, works);

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

/**
 * v3: the cleanup work, in process context (system_unbound_wq): after_oom_unregister may sleep
 * and reschedule (KVM's zap is a page-table walk with cond_resched points), which the SRCU
 * callback (BH disabled) may not.
 */
function* mmu_notifier_oom_work_fn(work: work_struct): KGen {
  const subscription = container_of<mmu_notifier>(work, 'oom_work');
  const subscriptions = (subscription.mm as mm_struct).notifier_subscriptions as mmu_notifier_subscriptions;
  yield* run_after_oom_unregister(subscription);
  yield* WRITE_ONCE(subscription, 'oom_state', MMU_NOTIFIER_OOM_DONE);
  /*
   * atomic_dec_return_release(): the owner's cleanup is complete; pairs with the atomic_read()
   * of the reaper, process_mrelease() and exit_mmap(). The last access to the subscription:
   * after it, only flush_work() in mmu_notifier_unregister() still waits for this function.
   */
  if ((yield* atomic_dec_return(subscriptions.oom_pending)) === 0) yield* wake_up_all(subscriptions.oom_wq);
}
const mmu_notifier_oom_work = kfunc(mmu_notifier_oom_work_fn, 'mmu_notifier_oom_work_fn');

/**
 * v3: the SRCU callback on the rcu_head embedded in struct mmu_notifier (a grace period after
 * the detach: no method of the subscription is running any more). BH disabled: it only queues
 * the cleanup work (queue_work is safe from any context).
 */
function* mmu_notifier_oom_free_rcu_fn(rcu: rcu_head): KGen {
  const subscription = container_of<mmu_notifier>(rcu, 'rcu');
  const work = subscription.oom_work as work_struct;
  /* oom_cleanup_context=srcu_callback (the earlier v3): the cleanup itself, with BH disabled */
  if (design().oom_cleanup_context === 'srcu_callback') yield* mmu_notifier_oom_work(work);
  else yield* queue_work(system_unbound_wq, work);
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

/**
 * v3: exit_mmap() must not free pages a detached owner may still map: wait until every queued
 * cleanup has finished (blockable: exit_mmap is process context and not on the OOM path).
 */
const mmu_notifier_oom_wait = kfunc(function* mmu_notifier_oom_wait(subscriptions: mmu_notifier_subscriptions): KGen {
  yield* wait_event(subscriptions.oom_wq, () => oom_pending_done(subscriptions));
});

/** mmu_notifier_oom_wait()'s condition, !atomic_read(&subscriptions->oom_pending) (module-level: docs/architecture.md). */
function* oom_pending_done(subscriptions: mmu_notifier_subscriptions): KGen<boolean> {
  return (yield* atomic_read(subscriptions.oom_pending)) === 0;
}

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
