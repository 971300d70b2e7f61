/**
 * Page-table level operations (mm/memory.c, mm/mmu_gather.c, ≈ v6.17):
 * tlb_gather_mmu()/tlb_finish_mmu(), unmap_page_range() (zap_pte_range:
 * PTEs cleared, pages batched in the mmu_gather), unmap_vmas() and a minimal
 * handle_mm_fault() for anonymous faults. As in the kernel, the zapped pages
 * are freed by tlb_finish_mmu() (tlb_flush_mmu → free_pages_and_swap_cache),
 * which every caller runs after mmu_notifier_invalidate_range_end(): a
 * secondary MMU that still maps a zapped page between its _end and the
 * caller's tlb_finish_mmu() sees a live page.
 */
import { type KGen, kfunc, markedRead, markedWrite } from '../../../sim/index.js';
import {
  type mm_struct,
  type page,
  type vm_area_struct,
  PAGE_SHIFT,
  add_mm_counter,
  folio_remove_rmap_pte,
} from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_UNMAP,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import { alloc_page, put_page } from './page_alloc.js';

/** ptep_get(ptep): READ_ONCE(*ptep) (marked, no scheduling point: the caller's step). */
function ptep_get(pages: (page | null)[], i: number): page | null {
  return markedRead(pages, i) ?? null;
}

/** set_pte_at() / ptep_get_and_clear()'s store: a WRITE_ONCE-like marked store. */
function set_pte(pages: (page | null)[], i: number, p: page | null): void {
  markedWrite(pages, i, p);
}

/** struct mmu_gather (the parts used): the pages zapped and not yet freed. */
export interface mmu_gather {
  readonly mm: mm_struct;
  pages: page[];
}

/** tlb_gather_mmu(tlb, mm) / tlb_gather_mmu_fullmm(tlb, mm) */
export function tlb_gather_mmu(mm: mm_struct): mmu_gather {
  return { mm, pages: [] };
}

/**
 * tlb_finish_mmu(tlb): the TLB flush, then the batched pages are freed (tlb_flush_mmu_free →
 * free_pages_and_swap_cache). No scheduling point of its own: the caller's step.
 */
export function tlb_finish_mmu(tlb: mmu_gather): void {
  const pages = tlb.pages;
  tlb.pages = [];
  for (const p of pages) put_page(p); /* the mapping's reference */
}

/**
 * unmap_page_range(tlb, vma, addr, end, details): clears the PTEs of [addr, end) and gathers
 * their pages in `tlb` (zap_pte_range: ptep_get, ptep_get_and_clear_full, add_mm_rss_vec,
 * __tlb_remove_page under the PTE lock; the whole walk is one step here, which stands for the
 * PTE lock). The pages are freed by tlb_finish_mmu().
 */
export const unmap_page_range = kfunc(function* unmap_page_range(
  tlb: mmu_gather,
  vma: vm_area_struct,
  addr: number,
  end: number,
): KGen {
  const mm = tlb.mm;
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
      folio_remove_rmap_pte(p);
      tlb.pages.push(p); /* __tlb_remove_page() */
    }
  }
  if (rss) add_mm_counter(mm, rss);
});

/**
 * unmap_vmas(tlb, ...): every VMA, bracketed by a blockable MMU_NOTIFY_UNMAP invalidation of the
 * whole range; the pages stay in `tlb` until the caller's tlb_finish_mmu().
 */
export const unmap_vmas = kfunc(function* unmap_vmas(tlb: mmu_gather): KGen {
  const mm = tlb.mm;
  const vmas = mm.vmas;
  if (vmas.length === 0) return;
  const range = mmu_notifier_range_init(MMU_NOTIFY_UNMAP, 0, mm, 0, Number.MAX_SAFE_INTEGER);
  yield* mmu_notifier_invalidate_range_start(range);
  for (const vma of vmas) yield* unmap_page_range(tlb, vma, vma.vm_start, vma.vm_end);
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
      // folio_add_new_anon_rmap(): the VMA is reachable from its anon_vma (set up at mmap here).
      set_pte(vma.pages, i, p);
      add_mm_counter(mm, 1);
    }
    return p;
  }
  return null;
}
