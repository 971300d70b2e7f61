/**
 * User pages (mm/page_alloc.c alloc_pages / __free_pages, include/linux/mm.h get_page /
 * put_page / folio_try_get, ≈ v6.17), as KASAN-tracked memory of kind 'page': an access to a
 * freed page is a KASAN use-after-free. No zones, no watermarks: the OOM situation itself is
 * scripted by the scenarios (the allocation that invokes the OOM killer). A page's _refcount is
 * an atomic_t (marked accesses); the mapping holds one reference, reclaim's isolation another;
 * the last put_page() frees it. Pages are not reported to kmemleak (user memory is not slab).
 */
import { type Allocation, allocationOf, machine, marked, release } from '../../../sim/index.js';
import { track_struct } from '../../../kernel/lib/container_of.js';
import type { page } from '../include/linux/mm_types.js';

/** alloc_page(GFP_HIGHUSER_MOVABLE) for a user fault: _refcount 1 and mapcount 1 (the PTE the caller installs). */
export function alloc_page(label = 'page'): page {
  const p = track_struct<page>({ data: 0, _refcount: 1, _mapcount: 1 }, 'page', label, 4096);
  return p;
}

/** __free_page() / free_unref_page() */
export function __free_page(p: page): void {
  const a = allocationOf(p) as Allocation;
  const m = machine();
  if (!a.live) {
    m.emit({ type: 'bad_free', alloc: a, label: '__free_page', task: m.current } as never);
    return;
  }
  release(a);
}

/** get_page(page) / folio_get(): atomic_inc(&page->_refcount); the caller knows the page is live. */
export function get_page(p: page): void {
  marked(() => {
    p._refcount++;
  });
}

/** put_page(page) / folio_put(): the last reference frees the page. */
export function put_page(p: page): void {
  if (marked(() => --p._refcount === 0)) __free_page(p);
}
