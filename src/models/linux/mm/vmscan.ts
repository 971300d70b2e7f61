/**
 * mm/vmscan.c (≈ v6.17): kswapd reclaiming one isolated anonymous folio —
 * shrink_folio_list() → try_to_unmap() (blockable secondary-MMU invalidations, no mmap_lock)
 * → the isolation reference dropped (the folio is freed once nothing maps it). LRU scanning,
 * swap-out, writeback and the folio lock are not modelled: the folio was isolated (its
 * reference taken) by the caller while it was mapped, as isolate_lru_folios() does under the
 * lru_lock.
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import { kthread_run } from '../../../kernel/sched/core.js';
import type { anon_vma, page } from '../include/linux/mm_types.js';
import { put_page } from './page_alloc.js';
import { try_to_unmap } from './rmap.js';

/** shrink_folio_list() for one isolated anonymous folio. */
const shrink_folio_list = kfunc(function* shrink_folio_list(folio: page, av: anon_vma): KGen {
  yield* try_to_unmap(folio, av);
  /* free_unref_folios(): drop the isolation reference */
  put_page(folio);
});

/** The "kswapd0" kthread reclaiming `folio` (isolated by the caller with get_page()). */
export function kswapd_reclaim(folio: page, av: anon_vma): void {
  kthread_run(() => kswapd(folio, av), 'kswapd0');
}

/**
 * kswapd() reduced to the one folio (module-level, the folio its argument: a generator function
 * made per thread would keep the run's world alive through the young GC; docs/architecture.md).
 */
function* kswapd(folio: page, av: anon_vma): KGen {
  yield* shrink_folio_list(folio, av);
}
