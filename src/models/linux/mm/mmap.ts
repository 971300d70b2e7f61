/**
 * exit_mmap() (mm/mmap.c, ≈ v6.17), in the order of reference §3.6:
 * mmu_notifier_release → mmap_read_lock → unmap_vmas → mmap_read_unlock →
 * set MMF_OOM_SKIP → mmap_write_lock → free_pgtables, tlb_finish_mmu (the zapped pages are
 * freed here) → remove VMAs → mmap_write_unlock.
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
import { tlb_finish_mmu, tlb_gather_mmu, unmap_vmas } from './memory.js';
import { down_write, up_write } from '../../../kernel/locking/rwsem.js';
import type { vm_area_struct } from '../include/linux/mm_types.js';

/**
 * unlink_anon_vmas(vma) (mm/rmap.c): the VMA leaves its anon_vma's tree under anon_vma_lock_write(),
 * so an rmap walker (reclaim's try_to_unmap) holding the lock for read keeps the VMA — and its
 * vm_mm, freed only after exit_mmap() — alive.
 */
const unlink_anon_vmas = kfunc(function* unlink_anon_vmas(vma: vm_area_struct): KGen {
  const av = vma.anon_vma;
  if (!av) return;
  yield* down_write(av.rwsem);
  av.vmas = av.vmas.filter((v) => v !== vma);
  yield* up_write(av.rwsem);
  vma.anon_vma = null;
});

export const exit_mmap = kfunc(function* exit_mmap(mm: mm_struct): KGen {
  /* mm's last user has gone, and its about to be pulled down */
  yield* mmu_notifier_release(mm);
  yield* mmap_read_lock(mm);
  const tlb = tlb_gather_mmu(mm); /* tlb_gather_mmu_fullmm() */
  /* update_hiwater_rss(mm); */
  yield* unmap_vmas(tlb);
  yield* mmap_read_unlock(mm);
  /*
   * Set MMF_OOM_SKIP to hide this task from the oom killer/reaper
   * because the memory has been already freed.
   */
  mm_set_bit(mm, MMF_OOM_SKIP);
  yield* mmap_write_lock(mm);
  // free_pgtables(): unlink_anon_vmas() for each VMA, under the anon_vma's rwsem for write
  for (const vma of mm.vmas) yield* unlink_anon_vmas(vma);
  tlb_finish_mmu(tlb);
  // remove_vma() for each VMA
  mm.vmas = [];
  yield* mmap_write_unlock(mm);
});
