/**
 * User pages (mm/page_alloc.c alloc_pages / __free_pages, ≈ v6.17), as
 * KASAN-tracked memory of kind 'page': an access to a freed page is a
 * KASAN use-after-free. No zones, no watermarks: the OOM situation itself is
 * scripted by the scenarios (the allocation that invokes the OOM killer).
 * Pages are not reported to kmemleak (user memory is not slab).
 */
import { type Allocation, allocationOf, machine, release } from '../../../sim/index.js';
import { track_struct } from '../../../kernel/lib/container_of.js';
import type { page } from '../include/linux/mm_types.js';

/** alloc_page(GFP_HIGHUSER_MOVABLE) for a user fault. */
export function alloc_page(label = 'page'): page {
  const p = track_struct<page>({ data: 0 }, 'page', label, 4096);
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
