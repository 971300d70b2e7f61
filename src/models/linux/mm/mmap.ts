/**
 * exit_mmap() (mm/mmap.c, ≈ v6.17), in the order of reference §3.6:
 * mmu_notifier_release → mmap_read_lock → unmap_vmas → mmap_read_unlock →
 * set MMF_OOM_SKIP → mmap_write_lock → free_pgtables / remove VMAs → mmap_write_unlock.
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import {
  MMF_OOM_SKIP,
  type mm_struct,
  mm_set_bit,
  mmap_read_lock,
  mmap_read_unlock,
  mmap_write_lock,
  mmap_write_unlock,
} from '../include/linux/mm_types.js';
import { mmu_notifier_release } from '../include/linux/mmu_notifier.js';
import { unmap_vmas } from './memory.js';

export const exit_mmap = kfunc(function* exit_mmap(mm: mm_struct): KGen {
  /* mm's last user has gone, and its about to be pulled down */
  yield* mmu_notifier_release(mm);
  yield* mmap_read_lock(mm);
  yield* unmap_vmas(mm);
  yield* mmap_read_unlock(mm);
  /*
   * Set MMF_OOM_SKIP to hide this task from the oom killer/reaper
   * because the memory has been already freed.
   */
  mm_set_bit(mm, MMF_OOM_SKIP);
  yield* mmap_write_lock(mm);
  // free_pgtables(); remove_vma() for each VMA
  mm.vmas = [];
  yield* mmap_write_unlock(mm);
});
