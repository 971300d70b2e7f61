/**
 * drivers/gpu/drm/amd/amdgpu/amdgpu_hmm.c (≈ v6.17): a userptr BO's mmu_interval_notifier.
 * amdgpu_hmm_invalidate_gfx() refuses every non-blockable invalidation (returns false, so
 * mn_itree_invalidate() gives -EAGAIN: the OOM reaper cannot reap a range a GPU userptr covers),
 * and under adev->notifier_lock bumps the notifier's seq and waits for the GPU to be done with
 * the BO (dma_resv_wait_timeout: the GPU is idle in the model; the BO is marked invalidated).
 */
import { type KGen, kfunc } from '../../../../../../../sim/index.js';
import { mutex_init, mutex_lock, mutex_unlock, type mutex } from '../../../../../../../kernel/locking/mutex.js';
import { container_of } from '../../../../../../../kernel/lib/container_of.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../../../../../../kernel/mm/slab.js';
import type { mm_struct } from '../../../../../include/linux/mm_types.js';
import { type mmu_notifier_range, mmu_notifier_range_blockable } from '../../../../../include/linux/mmu_notifier.js';
import {
  MMU_INTERVAL_NOTIFIER_INIT,
  type mmu_interval_notifier,
  type mmu_interval_notifier_ops,
  mmu_interval_notifier_insert,
  mmu_interval_notifier_remove,
  mmu_interval_set_seq,
} from '../../../../../mm/mmu_notifier.js';

/** struct amdgpu_device (the part used). */
export interface amdgpu_device {
  readonly notifier_lock: mutex;
}

/** struct amdgpu_bo (the userptr parts). */
export interface amdgpu_bo {
  adev: amdgpu_device;
  notifier: mmu_interval_notifier;
  size: number;
  /** amdgpu_vm_bo_invalidate() calls (the BO must be revalidated before the GPU uses it again). */
  invalidated: number;
}

export function amdgpu_device_init(): amdgpu_device {
  return { notifier_lock: mutex_init('&adev->notifier_lock') };
}

/** amdgpu_bo_create() of a userptr BO (AMDGPU_GEM_USERPTR): a slab object here. */
export function amdgpu_bo_create_userptr(adev: amdgpu_device, size: number): amdgpu_bo | null {
  return kzalloc<amdgpu_bo>(
    () => ({ adev, notifier: MMU_INTERVAL_NOTIFIER_INIT(), size, invalidated: 0 }),
    GFP_KERNEL,
    'struct amdgpu_bo',
    1024,
  );
}

/** amdgpu_hmm_invalidate_gfx(mni, range, cur_seq) */
const amdgpu_hmm_invalidate_gfx = kfunc(function* amdgpu_hmm_invalidate_gfx(
  mni: mmu_interval_notifier,
  range: mmu_notifier_range,
  cur_seq: number,
): KGen<boolean> {
  const bo = container_of<amdgpu_bo>(mni, 'notifier');
  const adev = bo.adev;
  if (!mmu_notifier_range_blockable(range)) return false;
  yield* mutex_lock(adev.notifier_lock);
  yield* mmu_interval_set_seq(mni, cur_seq);
  bo.invalidated++; /* amdgpu_vm_bo_invalidate(bo, false) */
  // dma_resv_wait_timeout(bo->tbo.base.resv, DMA_RESV_USAGE_BOOKKEEP, false, MAX_SCHEDULE_TIMEOUT)
  yield* mutex_unlock(adev.notifier_lock);
  return true;
});

const amdgpu_hmm_gfx_ops: mmu_interval_notifier_ops = Object.freeze({
  name: 'amdgpu_hmm_invalidate_gfx',
  invalidate: amdgpu_hmm_invalidate_gfx,
});

/** amdgpu_hmm_register(bo, addr): mmu_interval_notifier_insert over the BO's user range. */
export const amdgpu_hmm_register = kfunc(function* amdgpu_hmm_register(
  bo: amdgpu_bo,
  mm: mm_struct,
  addr: number,
): KGen<number> {
  return yield* mmu_interval_notifier_insert(bo.notifier, mm, addr, bo.size, amdgpu_hmm_gfx_ops);
});

/** amdgpu_hmm_unregister(bo): at the BO's destruction. */
export const amdgpu_hmm_unregister = kfunc(function* amdgpu_hmm_unregister(bo: amdgpu_bo): KGen {
  if (!bo.notifier.mm) return;
  yield* mmu_interval_notifier_remove(bo.notifier);
  bo.notifier.mm = null;
});

/** The BO's last reference (amdgpu_bo_destroy → amdgpu_hmm_unregister, then the free). */
export const amdgpu_bo_unref = kfunc(function* amdgpu_bo_unref(bo: amdgpu_bo): KGen {
  yield* amdgpu_hmm_unregister(bo);
  kfree(bo);
});
