/**
 * drivers/gpu/drm/radeon/radeon_mn.c as of v5.4 — the last hlist mmu_notifier user in the
 * tree whose invalidate_range_start could fail with -EAGAIN (converted to an interval notifier
 * in v5.5 by "drm/radeon: use mmu_range_notifier_insert"). Mainline ≈ v6.17 has no hlist
 * subscriber that returns -EAGAIN; this one stands for any driver that follows the documented
 * protocol (reference §10.14: a start that can fail has no end). It is a get/put user:
 * mmu_notifier_get() with ->alloc_notifier, mmu_notifier_put() → ->free_notifier from an SRCU
 * callback. One userptr BO (its GPU binding is a flag; the pages the GPU uses are pinned by
 * get_user_pages in the kernel, so a stale binding is incoherence, not a use-after-free, and the
 * model gives the GPU no access of its own).
 */
import { type KGen, kfunc } from '../../../../../../sim/index.js';
import {
  mutex_init,
  mutex_lock,
  mutex_trylock,
  mutex_unlock,
  type mutex,
} from '../../../../../../kernel/locking/mutex.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../../../../../kernel/mm/slab.js';
import { container_of } from '../../../../../../kernel/lib/container_of.js';
import type { mm_struct } from '../../../../include/linux/mm_types.js';
import {
  MMU_NOTIFY_UNMAP,
  type mmu_notifier_range,
  mmu_notifier_range_blockable,
} from '../../../../include/linux/mmu_notifier.js';
import {
  MMU_NOTIFIER_INIT,
  type mmu_notifier,
  type mmu_notifier_ops,
  mmu_notifier_get,
  mmu_notifier_put,
} from '../../../../mm/mmu_notifier.js';

const EAGAIN = 11;
const ENOMEM = 12;

/** struct radeon_mn */
export interface radeon_mn {
  mn: mmu_notifier;
  /** objects protected by lock */
  readonly lock: mutex;
  /** rb_root_cached objects: the registered userptr BOs (interval tree nodes, one BO each). */
  objects: radeon_bo[];
}

/** struct radeon_bo (the userptr parts). */
export interface radeon_bo {
  addr: number;
  size: number;
  /** bo->tbo.ttm->state == tt_bound: the GPU maps the user pages. */
  bound: boolean;
  /** bo->tbo.base.resv (its ww_mutex, taken by radeon_bo_reserve). */
  readonly resv: mutex;
  mn: radeon_mn | null;
}

/** A userptr BO (radeon_gem_userptr_ioctl → radeon_ttm_tt_pin_userptr: bound to the GTT). */
export function radeon_bo_create_userptr(addr: number, size: number): radeon_bo {
  return { addr, size, bound: true, resv: mutex_init('reservation_ww_class_mutex'), mn: null };
}

/**
 * radeon_mn_invalidate_range_start(mn, range): block for all BOs between start and end to be
 * idle and unmap them by moving them into the system domain again. -EAGAIN when not blockable
 * and the lock is contended or a BO is in the range.
 */
const radeon_mn_invalidate_range_start = kfunc(function* radeon_mn_invalidate_range_start(
  mn: mmu_notifier,
  range: mmu_notifier_range,
): KGen<number> {
  const rmn = container_of<radeon_mn>(mn, 'mn');
  let ret = 0;
  /* notification is exclusive, but interval is inclusive */
  const end = range.end - 1;
  /* TODO we should be able to split locking for interval tree and the tear down. */
  if (mmu_notifier_range_blockable(range)) yield* mutex_lock(rmn.lock);
  else if (!(yield* mutex_trylock(rmn.lock))) return -EAGAIN;
  for (const bo of rmn.objects) {
    if (bo.addr > end || bo.addr + bo.size - 1 < range.start) continue;
    if (!mmu_notifier_range_blockable(range)) {
      ret = -EAGAIN;
      break;
    }
    if (!bo.bound) continue;
    yield* mutex_lock(bo.resv); /* radeon_bo_reserve(bo, true) */
    // dma_resv_wait_timeout_rcu(): the GPU is idle in the model.
    bo.bound = false; /* radeon_ttm_placement_from_domain(CPU); ttm_bo_validate() */
    yield* mutex_unlock(bo.resv);
  }
  yield* mutex_unlock(rmn.lock);
  return ret;
});

/** radeon_mn_release(mn, mm): a non-blockable (flags 0) invalidation of everything. */
const radeon_mn_release = kfunc(function* radeon_mn_release(mn: mmu_notifier, mm: mm_struct): KGen {
  const range: mmu_notifier_range = { mm, start: 0, end: Number.MAX_SAFE_INTEGER, flags: 0, event: MMU_NOTIFY_UNMAP };
  yield* radeon_mn_invalidate_range_start(mn, range);
});

/** radeon_mn_alloc_notifier(mm) */
function radeon_mn_alloc_notifier(_mm: mm_struct): mmu_notifier | number {
  const rmn = kzalloc<radeon_mn>(
    () => ({ mn: MMU_NOTIFIER_INIT(radeon_mn_ops), lock: mutex_init('&rmn->lock'), objects: [] }),
    GFP_KERNEL,
    'struct radeon_mn',
    96,
  );
  if (!rmn) return -ENOMEM;
  return rmn.mn;
}

/** radeon_mn_free_notifier(mn): from mmu_notifier_free_rcu (an SRCU callback). */
function radeon_mn_free_notifier(mn: mmu_notifier): void {
  kfree(container_of<radeon_mn>(mn, 'mn'));
}

export const radeon_mn_ops: mmu_notifier_ops = Object.freeze({
  name: 'radeon_mn',
  release: radeon_mn_release,
  invalidate_range_start: radeon_mn_invalidate_range_start,
  alloc_notifier: radeon_mn_alloc_notifier,
  free_notifier: radeon_mn_free_notifier,
});

/** radeon_mn_register(bo, addr): registers a BO for notifier updates (current->mm). */
export const radeon_mn_register = kfunc(function* radeon_mn_register(bo: radeon_bo, mm: mm_struct): KGen<number> {
  const mn = yield* mmu_notifier_get(radeon_mn_ops, mm);
  if (typeof mn === 'number') return mn; /* IS_ERR */
  const rmn = container_of<radeon_mn>(mn, 'mn');
  yield* mutex_lock(rmn.lock);
  // The interval-tree node merge and its kmalloc(GFP_KERNEL): one BO per node here.
  bo.mn = rmn;
  rmn.objects = [...rmn.objects, bo];
  yield* mutex_unlock(rmn.lock);
  return 0;
});

/** radeon_mn_unregister(bo): at the BO's free (the DRM file's release). */
export const radeon_mn_unregister = kfunc(function* radeon_mn_unregister(bo: radeon_bo): KGen {
  const rmn = bo.mn;
  if (!rmn) return;
  yield* mutex_lock(rmn.lock);
  rmn.objects = rmn.objects.filter((b) => b !== bo);
  yield* mutex_unlock(rmn.lock);
  yield* mmu_notifier_put(rmn.mn);
  bo.mn = null;
});
