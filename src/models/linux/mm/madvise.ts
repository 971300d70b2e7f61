/**
 * madvise(MADV_DONTNEED) (mm/madvise.c, ≈ v6.17): under mmap_read_lock,
 * zap_page_range_single() with a blockable MMU_NOTIFY_CLEAR invalidation —
 * the everyday (non-OOM) invalidation a VMM's balloon driver causes.
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import { type mm_struct, PAGE_SIZE, find_vma, mmap_read_lock, mmap_read_unlock } from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_CLEAR,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import { tlb_finish_mmu, tlb_gather_mmu, unmap_page_range } from './memory.js';

const EINVAL = 22;

/** zap_page_range_single(vma, address, size, details) (mm/memory.c) */
const zap_page_range_single = kfunc(function* zap_page_range_single(mm: mm_struct, start: number, end: number): KGen {
  const vma = find_vma(mm, start);
  if (!vma) return;
  const range = mmu_notifier_range_init(MMU_NOTIFY_CLEAR, 0, mm, start, end);
  const tlb = tlb_gather_mmu(mm);
  yield* mmu_notifier_invalidate_range_start(range);
  yield* unmap_page_range(tlb, vma, start, end);
  yield* mmu_notifier_invalidate_range_end(range);
  tlb_finish_mmu(tlb);
});

/** do_madvise(mm, start, len, MADV_DONTNEED) */
export const madvise_dontneed = kfunc(function* madvise_dontneed(
  mm: mm_struct,
  start: number,
  pages: number,
): KGen<number> {
  yield* mmap_read_lock(mm);
  if (!find_vma(mm, start)) {
    yield* mmap_read_unlock(mm);
    return -EINVAL;
  }
  yield* zap_page_range_single(mm, start, start + pages * PAGE_SIZE);
  yield* mmap_read_unlock(mm);
  return 0;
});
