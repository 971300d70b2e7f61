/**
 * GFP flags (include/linux/gfp_types.h, include/linux/gfp.h) and the
 * allocation-context annotations every allocator runs first
 * (include/linux/sched/mm.h: might_alloc(); mm/page_alloc.c: fs_reclaim_acquire/release).
 *
 * Bit values follow the classic ___GFP_* layout; nothing depends on the exact numbers.
 */
import { lock_map_acquire, lock_map_release, lockdep_map } from '../locking/lockdep.js';
import { might_sleep } from '../sched/core.js';

export type gfp_t = number;

export const __GFP_DMA = 0x01;
export const __GFP_HIGHMEM = 0x02;
export const __GFP_DMA32 = 0x04;
export const __GFP_MOVABLE = 0x08;
export const __GFP_RECLAIMABLE = 0x10;
export const __GFP_HIGH = 0x20;
export const __GFP_IO = 0x40;
export const __GFP_FS = 0x80;
export const __GFP_ZERO = 0x100;
export const __GFP_DIRECT_RECLAIM = 0x400;
export const __GFP_KSWAPD_RECLAIM = 0x800;
export const __GFP_WRITE = 0x1000;
export const __GFP_NOWARN = 0x2000;
export const __GFP_RETRY_MAYFAIL = 0x4000;
export const __GFP_NOFAIL = 0x8000;
export const __GFP_NORETRY = 0x10000;
export const __GFP_MEMALLOC = 0x20000;
export const __GFP_COMP = 0x40000;
export const __GFP_NOMEMALLOC = 0x80000;
export const __GFP_HARDWALL = 0x100000;
export const __GFP_THISNODE = 0x200000;
export const __GFP_ACCOUNT = 0x400000;
export const __GFP_NOLOCKDEP = 0x800000;

export const __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;

/** gfpflags_allow_blocking(): whether the allocation may enter direct reclaim (and so sleep). */
export function gfpflags_allow_blocking(gfp: gfp_t): boolean {
  return (gfp & __GFP_DIRECT_RECLAIM) !== 0;
}

// Composite names first (largest first), then single bits: the way %pGg prints a mask.
const COMPOSITES: readonly [string, number][] = [
  ['GFP_KERNEL_ACCOUNT', GFP_KERNEL_ACCOUNT],
  ['GFP_USER', GFP_USER],
  ['GFP_KERNEL', GFP_KERNEL],
  ['GFP_NOFS', GFP_NOFS],
  ['GFP_ATOMIC', GFP_ATOMIC],
  ['GFP_NOIO', GFP_NOIO],
  ['GFP_NOWAIT', GFP_NOWAIT],
];
const BITS: readonly [string, number][] = [
  ['__GFP_DMA', __GFP_DMA],
  ['__GFP_HIGHMEM', __GFP_HIGHMEM],
  ['__GFP_DMA32', __GFP_DMA32],
  ['__GFP_MOVABLE', __GFP_MOVABLE],
  ['__GFP_RECLAIMABLE', __GFP_RECLAIMABLE],
  ['__GFP_HIGH', __GFP_HIGH],
  ['__GFP_IO', __GFP_IO],
  ['__GFP_FS', __GFP_FS],
  ['__GFP_ZERO', __GFP_ZERO],
  ['__GFP_DIRECT_RECLAIM', __GFP_DIRECT_RECLAIM],
  ['__GFP_KSWAPD_RECLAIM', __GFP_KSWAPD_RECLAIM],
  ['__GFP_WRITE', __GFP_WRITE],
  ['__GFP_NOWARN', __GFP_NOWARN],
  ['__GFP_RETRY_MAYFAIL', __GFP_RETRY_MAYFAIL],
  ['__GFP_NOFAIL', __GFP_NOFAIL],
  ['__GFP_NORETRY', __GFP_NORETRY],
  ['__GFP_MEMALLOC', __GFP_MEMALLOC],
  ['__GFP_COMP', __GFP_COMP],
  ['__GFP_NOMEMALLOC', __GFP_NOMEMALLOC],
  ['__GFP_HARDWALL', __GFP_HARDWALL],
  ['__GFP_THISNODE', __GFP_THISNODE],
  ['__GFP_ACCOUNT', __GFP_ACCOUNT],
  ['__GFP_NOLOCKDEP', __GFP_NOLOCKDEP],
];

/** The mask as the kernel's %pGg prints it, e.g. "GFP_KERNEL|__GFP_ZERO". */
export function gfp_name(gfp: gfp_t): string {
  const parts: string[] = [];
  let rest = gfp;
  for (const [name, v] of COMPOSITES) {
    if ((rest & v) === v) {
      parts.push(name);
      rest &= ~v;
      break;
    }
  }
  for (const [name, v] of BITS) {
    if (rest & v) {
      parts.push(name);
      rest &= ~v;
    }
  }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : '0';
}

/** __fs_reclaim_map (mm/page_alloc.c): lockdep's view of "this context may enter FS reclaim" (its class only: one for the thread's life). */
export const fs_reclaim_map = new lockdep_map('fs_reclaim');

/** mm/page_alloc.c: __need_reclaim() */
function __need_reclaim(gfp: gfp_t): boolean {
  if (!(gfp & __GFP_DIRECT_RECLAIM)) return false;
  if (gfp & __GFP_NOLOCKDEP) return false;
  return true;
}

/** fs_reclaim_acquire(): only allocations that may recurse into the filesystem (__GFP_FS) take the map. */
export function fs_reclaim_acquire(gfp: gfp_t): void {
  if (__need_reclaim(gfp) && gfp & __GFP_FS) lock_map_acquire(fs_reclaim_map);
}

export function fs_reclaim_release(gfp: gfp_t): void {
  if (__need_reclaim(gfp) && gfp & __GFP_FS) lock_map_release(fs_reclaim_map);
}

/** might_alloc() (include/linux/sched/mm.h): the lockdep and might_sleep annotations of an allocation. */
export function might_alloc(gfp: gfp_t): void {
  fs_reclaim_acquire(gfp);
  fs_reclaim_release(gfp);
  if (gfpflags_allow_blocking(gfp)) might_sleep('include/linux/sched/mm.h', 321);
}
