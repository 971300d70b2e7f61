/**
 * include/linux/mmu_notifier.h (≈ v6.17): the inline wrappers, and the
 * !CONFIG_MMU_NOTIFIER stubs, chosen per run by the MMU_NOTIFIER config
 * option. Plus the seed's additions: mmu_notifier_oom_enter() (with its
 * stub, the v2 build fix) and mmu_notifier_barrier().
 */
import type { KGen } from '../../../../sim/index.js';
import { IS_ENABLED } from '../../../../kernel/kernel.js';
import { lock_map_acquire, lock_map_release } from '../../../../kernel/locking/lockdep.js';
import { might_sleep } from '../../../../kernel/sched/core.js';
import {
  __mmu_notifier_invalidate_range_end,
  __mmu_notifier_invalidate_range_start,
  __mmu_notifier_oom_enter,
  __mmu_notifier_release,
  __mmu_notifier_subscriptions_destroy,
  __mmu_notifier_invalidate_range_start_map,
  mmu_notifier_barrier_srcu,
} from '../../mm/mmu_notifier.js';
import { model_stats } from '../../variants.js';
import type { mm_struct } from './mm_types.js';

// enum mmu_notifier_event
export const MMU_NOTIFY_UNMAP = 0;
export const MMU_NOTIFY_CLEAR = 1;
export const MMU_NOTIFY_RELEASE = 5;

export const MMU_NOTIFIER_RANGE_BLOCKABLE = 1 << 0;

/** struct mmu_notifier_range (an on-stack struct in the kernel: a plain object here). */
export interface mmu_notifier_range {
  mm: mm_struct;
  start: number;
  end: number;
  flags: number;
  event: number;
}

export function mmu_notifier_range_init(
  event: number,
  flags: number,
  mm: mm_struct,
  start: number,
  end: number,
): mmu_notifier_range {
  return { mm, start, end, flags, event };
}

/** mmu_notifier_range_blockable(); the stub returns true. */
export function mmu_notifier_range_blockable(range: mmu_notifier_range): boolean {
  if (!IS_ENABLED('MMU_NOTIFIER')) return true;
  return (range.flags & MMU_NOTIFIER_RANGE_BLOCKABLE) !== 0;
}

/** mm_has_notifiers(): unlikely(mm->notifier_subscriptions); the stub returns 0. */
export function mm_has_notifiers(mm: mm_struct): boolean {
  if (!IS_ENABLED('MMU_NOTIFIER')) return false;
  return Boolean(mm.notifier_subscriptions);
}

function stub(name: string): void {
  const s = model_stats();
  s.stub_calls[name] = (s.stub_calls[name] ?? 0) + 1;
}

/** mmu_notifier_release(mm) */
export function* mmu_notifier_release(mm: mm_struct): KGen {
  if (!IS_ENABLED('MMU_NOTIFIER')) return stub('mmu_notifier_release');
  if (mm_has_notifiers(mm)) yield* __mmu_notifier_release(mm);
}

/** mmu_notifier_invalidate_range_start(range): blockable. */
export function* mmu_notifier_invalidate_range_start(range: mmu_notifier_range): KGen {
  if (!IS_ENABLED('MMU_NOTIFIER')) return stub('mmu_notifier_invalidate_range_start');
  might_sleep('include/linux/mmu_notifier.h', 443);
  lock_map_acquire(__mmu_notifier_invalidate_range_start_map());
  if (mm_has_notifiers(range.mm)) {
    range.flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
    yield* __mmu_notifier_invalidate_range_start(range);
  }
  lock_map_release(__mmu_notifier_invalidate_range_start_map());
}

/**
 * mmu_notifier_invalidate_range_start_nonblock(range): "mainly intended for OOM
 * handling"; non-zero means the caller must not touch the range (and must not call _end).
 */
export function* mmu_notifier_invalidate_range_start_nonblock(range: mmu_notifier_range): KGen<number> {
  if (!IS_ENABLED('MMU_NOTIFIER')) {
    stub('mmu_notifier_invalidate_range_start_nonblock');
    return 0;
  }
  let ret = 0;
  lock_map_acquire(__mmu_notifier_invalidate_range_start_map());
  if (mm_has_notifiers(range.mm)) {
    range.flags &= ~MMU_NOTIFIER_RANGE_BLOCKABLE;
    ret = yield* __mmu_notifier_invalidate_range_start(range);
  }
  lock_map_release(__mmu_notifier_invalidate_range_start_map());
  return ret;
}

/** mmu_notifier_invalidate_range_end(range) */
export function* mmu_notifier_invalidate_range_end(range: mmu_notifier_range): KGen {
  if (!IS_ENABLED('MMU_NOTIFIER')) return stub('mmu_notifier_invalidate_range_end');
  if (mmu_notifier_range_blockable(range)) might_sleep('include/linux/mmu_notifier.h', 470);
  if (mm_has_notifiers(range.mm)) yield* __mmu_notifier_invalidate_range_end(range);
}

/**
 * mmu_notifier_oom_enter(mm) (seed v1/v2; v3): detach subscriptions that
 * implement the OOM op. Returns (v3) whether detached subscriptions still
 * have cleanup in flight, so the reaper must not free pages yet.
 * !CONFIG_MMU_NOTIFIER: the stub the v2 follow-up added (returns 0).
 */
export function* mmu_notifier_oom_enter(mm: mm_struct): KGen<boolean> {
  if (!IS_ENABLED('MMU_NOTIFIER')) {
    stub('mmu_notifier_oom_enter');
    return false;
  }
  if (!mm_has_notifiers(mm)) return false;
  return yield* __mmu_notifier_oom_enter(mm);
}

/** mmu_notifier_barrier(): srcu_barrier(&srcu) — waits for queued callbacks, not for a grace period. */
export function* mmu_notifier_barrier(): KGen {
  if (!IS_ENABLED('MMU_NOTIFIER')) return stub('mmu_notifier_barrier');
  yield* mmu_notifier_barrier_srcu();
}

/** mmu_notifier_subscriptions_init(mm): mm->notifier_subscriptions = NULL. */
export function mmu_notifier_subscriptions_init(mm: mm_struct): void {
  if (!IS_ENABLED('MMU_NOTIFIER')) return;
  mm.notifier_subscriptions = null;
}

/** mmu_notifier_subscriptions_destroy(mm): if (mm_has_notifiers(mm)) __mmu_notifier_subscriptions_destroy(mm). */
export function mmu_notifier_subscriptions_destroy(mm: mm_struct): void {
  if (!IS_ENABLED('MMU_NOTIFIER')) return;
  if (mm_has_notifiers(mm)) __mmu_notifier_subscriptions_destroy(mm);
}
