/**
 * mm/rmap.c (≈ v6.17): try_to_unmap() of an anonymous folio through its anon_vma —
 * rmap_walk_anon() under anon_vma_lock_read(), try_to_unmap_one() for each VMA that maps it,
 * each bracketed by a *blockable* MMU_NOTIFY_CLEAR invalidation of the page's range. The walker
 * holds no mmap_lock and no mm_users reference: the anon_vma lock keeps the VMA (and so its
 * mm) alive against exit_mmap()'s unlink_anon_vmas(). This is how reclaim runs secondary-MMU
 * invalidations on an mm while the OOM reaper or exit_mmap() works on it.
 */
import { type KGen, kfunc, markedRead, markedWrite } from '../../../sim/index.js';
import { down_read, up_read } from '../../../kernel/locking/rwsem.js';
import {
  type anon_vma,
  type mm_struct,
  PAGE_SHIFT,
  PAGE_SIZE,
  type page,
  type vm_area_struct,
  add_mm_counter,
  folio_mapped,
  folio_remove_rmap_pte,
} from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_CLEAR,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import { put_page } from './page_alloc.js';

/**
 * try_to_unmap_one(folio, vma, address): the PTE walk (page_vma_mapped_walk under the PTE lock,
 * one step here), ptep_clear_flush(), the rss counter, and the mapping's folio_put().
 */
const try_to_unmap_one = kfunc(function* try_to_unmap_one(folio: page, vma: vm_area_struct): KGen<boolean> {
  const mm = vma.vm_mm as mm_struct;
  /* vma_address(): where the folio is mapped (the model's folio->index is its PTE slot) */
  let i = -1;
  for (let j = 0; j < vma.pages.length; j++) if (markedRead(vma.pages, j) === folio) i = j;
  if (i < 0) return true; /* not mapped here (any more) */
  const address = vma.vm_start + (i << PAGE_SHIFT);
  const range = mmu_notifier_range_init(MMU_NOTIFY_CLEAR, 0, mm, address, address + PAGE_SIZE);
  yield* mmu_notifier_invalidate_range_start(range);
  yield undefined; /* page_vma_mapped_walk(): the PTE lock */
  let unmapped = false;
  if ((markedRead(vma.pages, i) ?? null) === folio) {
    markedWrite(vma.pages, i, null); /* ptep_clear_flush() */
    add_mm_counter(mm, -1);
    folio_remove_rmap_pte(folio);
    unmapped = true;
  }
  yield* mmu_notifier_invalidate_range_end(range);
  if (unmapped) put_page(folio); /* folio_put(): the mapping's reference */
  return true;
});

/**
 * try_to_unmap(folio, flags): rmap_walk_anon() over the folio's anon_vma. As
 * folio_lock_anon_vma_read(): only while the folio is mapped, checked again under the lock —
 * "if the folio is still mapped, then this anon_vma is still its anon_vma, and holding the
 * mutex ensures that it will not go away" (nor its VMAs, nor their mm).
 */
export const try_to_unmap = kfunc(function* try_to_unmap(folio: page, av: anon_vma): KGen {
  if (!folio_mapped(folio)) return;
  yield* down_read(av.rwsem); /* anon_vma_lock_read() (down_read_trylock first in the kernel) */
  if (!folio_mapped(folio)) {
    yield* up_read(av.rwsem);
    return;
  }
  for (const vma of [...av.vmas]) {
    if (!(yield* try_to_unmap_one(folio, vma))) break;
  }
  yield* up_read(av.rwsem);
});
