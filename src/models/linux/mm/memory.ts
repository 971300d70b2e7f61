/**
 * Page-table level operations (mm/memory.c, ≈ v6.17): unmap_page_range()
 * (zap_pte_range freeing the pages), unmap_vmas() and a minimal
 * handle_mm_fault() for anonymous faults. The TLB gather is not modelled:
 * pages are freed at once (tlb_finish_mmu would free them a little later,
 * still before any notifier _end, so nothing here depends on the delay).
 */
import { type KGen, kfunc, markedRead, markedWrite } from '../../../sim/index.js';
import {
  type mm_struct,
  type page,
  type vm_area_struct,
  PAGE_SHIFT,
  add_mm_counter,
} from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_UNMAP,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import { __free_page, alloc_page } from './page_alloc.js';

/** ptep_get(ptep): READ_ONCE(*ptep) (marked, no scheduling point: the caller's step). */
function ptep_get(pages: (page | null)[], i: number): page | null {
  return markedRead(pages, i) ?? null;
}

/** set_pte_at() / ptep_get_and_clear()'s store: a WRITE_ONCE-like marked store. */
function set_pte(pages: (page | null)[], i: number, p: page | null): void {
  markedWrite(pages, i, p);
}

/**
 * unmap_page_range(tlb, vma, addr, end, details): clears the PTEs of [addr, end) and frees
 * their pages (zap_pte_range: ptep_get, ptep_get_and_clear_full, add_mm_rss_vec under the PTE
 * lock; the whole walk is one step here, which stands for the PTE lock). `mm` is tlb->mm.
 */
export const unmap_page_range = kfunc(function* unmap_page_range(
  mm: mm_struct,
  vma: vm_area_struct,
  addr: number,
  end: number,
): KGen {
  yield undefined;
  const first = (addr - vma.vm_start) >> PAGE_SHIFT;
  const last = (end - vma.vm_start) >> PAGE_SHIFT;
  const pages = vma.pages;
  let rss = 0;
  for (let i = first; i < last && i < pages.length; i++) {
    const p = ptep_get(pages, i);
    if (p) {
      set_pte(pages, i, null);
      rss--;
      __free_page(p);
    }
  }
  if (rss) add_mm_counter(mm, rss);
});

/** unmap_vmas(): every VMA, bracketed by a blockable MMU_NOTIFY_UNMAP invalidation of the whole range. */
export const unmap_vmas = kfunc(function* unmap_vmas(mm: mm_struct): KGen {
  const vmas = mm.vmas;
  if (vmas.length === 0) return;
  const range = mmu_notifier_range_init(MMU_NOTIFY_UNMAP, 0, mm, 0, Number.MAX_SAFE_INTEGER);
  yield* mmu_notifier_invalidate_range_start(range);
  for (const vma of vmas) yield* unmap_page_range(mm, vma, vma.vm_start, vma.vm_end);
  yield* mmu_notifier_invalidate_range_end(range);
});

/**
 * handle_mm_fault() for a read/write fault on an anonymous page: returns the
 * page mapped at addr, faulting a new one in when none is present; null when
 * no VMA covers addr (SIGSEGV / -EFAULT). Caller holds mmap_lock for read. do_anonymous_page
 * reads the PTE with ptep_get() and installs it with set_pte_at() under the PTE lock (one step here).
 */
export function handle_mm_fault(mm: mm_struct, addr: number): page | null {
  for (const vma of mm.vmas) {
    if (addr < vma.vm_start || addr >= vma.vm_end) continue;
    const i = (addr - vma.vm_start) >> PAGE_SHIFT;
    let p = ptep_get(vma.pages, i);
    if (!p) {
      p = alloc_page();
      set_pte(vma.pages, i, p);
      add_mm_counter(mm, 1);
    }
    return p;
  }
  return null;
}
