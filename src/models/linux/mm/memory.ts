/**
 * Page-table level operations (mm/memory.c, ≈ v6.17): unmap_page_range()
 * (zap_pte_range freeing the pages), unmap_vmas() and a minimal
 * handle_mm_fault() for anonymous faults. The TLB gather is not modelled:
 * pages are freed at once (tlb_finish_mmu would free them a little later,
 * still before any notifier _end, so nothing here depends on the delay).
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import { type mm_struct, type page, type vm_area_struct, PAGE_SHIFT } from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_UNMAP,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import { __free_page, alloc_page } from './page_alloc.js';

/** unmap_page_range(tlb, vma, addr, end, details): clears the PTEs of [addr, end) and frees their pages. */
export const unmap_page_range = kfunc(function* unmap_page_range(vma: vm_area_struct, addr: number, end: number): KGen {
  yield undefined;
  const first = (addr - vma.vm_start) >> PAGE_SHIFT;
  const last = (end - vma.vm_start) >> PAGE_SHIFT;
  const pages = vma.pages;
  for (let i = first; i < last && i < pages.length; i++) {
    const p = pages[i];
    if (p) {
      pages[i] = null;
      __free_page(p);
    }
  }
});

/** unmap_vmas(): every VMA, bracketed by a blockable MMU_NOTIFY_UNMAP invalidation of the whole range. */
export const unmap_vmas = kfunc(function* unmap_vmas(mm: mm_struct): KGen {
  const vmas = mm.vmas;
  if (vmas.length === 0) return;
  const range = mmu_notifier_range_init(MMU_NOTIFY_UNMAP, 0, mm, 0, Number.MAX_SAFE_INTEGER);
  yield* mmu_notifier_invalidate_range_start(range);
  for (const vma of vmas) yield* unmap_page_range(vma, vma.vm_start, vma.vm_end);
  yield* mmu_notifier_invalidate_range_end(range);
});

/**
 * handle_mm_fault() for a read/write fault on an anonymous page: returns the
 * page mapped at addr, faulting a new one in when none is present; null when
 * no VMA covers addr (SIGSEGV / -EFAULT). Caller holds mmap_lock for read.
 */
export function handle_mm_fault(mm: mm_struct, addr: number): page | null {
  for (const vma of mm.vmas) {
    if (addr < vma.vm_start || addr >= vma.vm_end) continue;
    const i = (addr - vma.vm_start) >> PAGE_SHIFT;
    let p = vma.pages[i] ?? null;
    if (!p) {
      p = alloc_page();
      vma.pages[i] = p;
    }
    return p;
  }
  return null;
}
