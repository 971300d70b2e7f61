/**
 * struct mm_struct, struct vm_area_struct and struct page, coarse enough for
 * the OOM reaper (include/linux/mm_types.h, include/linux/mm.h,
 * include/linux/mmap_lock.h; ≈ v6.17).
 *
 * A VMA keeps its pages as an array of page-sized slots (the page table,
 * flattened); a page is KASAN-tracked memory of kind 'page'.
 */
import { type KGen, marked, markedRead } from '../../../../sim/index.js';
import {
  type rw_semaphore,
  down_read,
  down_read_killable,
  down_read_trylock,
  down_write,
  init_rwsem,
  up_read,
  up_write,
} from '../../../../kernel/locking/rwsem.js';
import type { mmu_notifier_subscriptions } from '../../mm/mmu_notifier.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

// include/linux/mm.h vm_flags
export const VM_SHARED = 0x00000008;
export const VM_PFNMAP = 0x00000400;
export const VM_HUGETLB = 0x00400000;

// include/linux/mm_types.h MMF_* bits (≈ v6.17)
export const MMF_OOM_SKIP = 21;
export const MMF_UNSTABLE = 22;
export const MMF_OOM_REAP_QUEUED = 25;

/**
 * struct page: the contents of one user page, its refcount (atomic_t _refcount) and its
 * mapcount (atomic_t _mapcount + 1: the PTEs that map it; folio_mapped() is mapcount > 0). Both
 * counters are accessed marked.
 */
export interface page {
  data: number;
  _refcount: number;
  _mapcount: number;
}

/**
 * struct anon_vma (the parts used): the rmap root of anonymous pages. Not tracked memory: its
 * SLAB_TYPESAFE_BY_RCU lifetime and refcount are not modelled; `vmas` is read and written only
 * under `rwsem` (so the lock's footprint orders every access to it).
 */
export class anon_vma {
  /** anon_vma->root->rwsem: the rmap walk takes it for read, unlink_anon_vmas() for write. */
  readonly rwsem: rw_semaphore;
  /** The VMAs the anon_vma's interval tree (rb_root) reaches (anon_vma_chain). */
  vmas: vm_area_struct[];
  constructor(vma: vm_area_struct) {
    this.rwsem = init_rwsem('&anon_vma->rwsem');
    this.vmas = [vma];
  }
}

/** folio_mapped(folio): atomic_read of the mapcount. */
export function folio_mapped(folio: page): boolean {
  return markedRead(folio, '_mapcount') > 0;
}

/** The PTE that mapped `folio` was cleared (folio_remove_rmap_pte: atomic_dec of the mapcount). */
export function folio_remove_rmap_pte(folio: page): void {
  marked(() => {
    folio._mapcount--;
  });
}

export interface vm_area_struct {
  vm_start: number;
  vm_end: number;
  vm_flags: number;
  /** vma_is_anonymous(): no vm_ops / vm_file. */
  anon: boolean;
  /** The page table of this VMA, one slot per page (null = not present). */
  pages: (page | null)[];
  /** vma->anon_vma (anonymous VMAs the rmap can reach; null otherwise). */
  anon_vma?: anon_vma | null;
  /** vma->vm_mm */
  vm_mm?: mm_struct;
}

export interface mm_struct {
  /** mm_users (atomic_t): users of the address space (threads, get_task_mm). */
  mm_users: number;
  /** mm_count (atomic_t): references to the struct (mmgrab). */
  mm_count: number;
  /** mm->flags (MMF_* bits; set_bit/test_bit: atomic, so every access is marked) */
  flags: number;
  /**
   * get_mm_rss(): mm->rss_stat (percpu_counter, MM_ANONPAGES + MM_FILEPAGES + MM_SHMEMPAGES
   * folded into one), updated and read marked (this_cpu ops / percpu_counter_read_positive).
   */
  rss_stat: number;
  /** mm->notifier_subscriptions (NULL until the first registration; LIST_POISON1 after __mmdrop). */
  notifier_subscriptions: mmu_notifier_subscriptions | null;
  /** The VMA tree, flattened. */
  vmas: vm_area_struct[];
  /** mm->mmap_lock */
  readonly mmap_lock: rw_semaphore;
  /** mm->owner's comm (diagnostics). */
  owner: string;
}

export function test_bit(nr: number, flags: number): boolean {
  return (flags & (1 << nr)) !== 0;
}

/** set_bit(nr, &mm->flags): an atomic RMW (marked, no scheduling point of its own). */
export function mm_set_bit(mm: mm_struct, nr: number): void {
  marked(() => {
    mm.flags |= 1 << nr;
  });
}

/** test_and_set_bit(nr, &mm->flags): an atomic RMW (marked). */
export function mm_test_and_set_bit(mm: mm_struct, nr: number): boolean {
  return marked(() => {
    const was = test_bit(nr, mm.flags);
    mm.flags |= 1 << nr;
    return was;
  });
}

/** test_bit(nr, &mm->flags): a READ_ONCE-like read (marked). */
export function mm_test_bit(mm: mm_struct, nr: number): boolean {
  return test_bit(nr, markedRead(mm, 'flags'));
}

/** get_mm_rss(mm) (include/linux/mm.h): the summed rss counters, read marked. */
export function get_mm_rss(mm: mm_struct): number {
  return Math.max(0, markedRead(mm, 'rss_stat'));
}

/** add_mm_counter(mm, member, value): percpu_counter_add (marked). */
export function add_mm_counter(mm: mm_struct, value: number): void {
  marked(() => {
    mm.rss_stat += value;
  });
}

/** vma_is_anonymous() */
export function vma_is_anonymous(vma: vm_area_struct): boolean {
  return vma.anon;
}

/** find_vma(mm, addr) (the first VMA with vm_end > addr, if it contains addr). */
export function find_vma(mm: mm_struct, addr: number): vm_area_struct | null {
  for (const v of mm.vmas) if (addr >= v.vm_start && addr < v.vm_end) return v;
  return null;
}

// include/linux/mmap_lock.h

export function* mmap_read_lock(mm: mm_struct): KGen {
  yield* down_read(mm.mmap_lock);
}

export function* mmap_read_lock_killable(mm: mm_struct): KGen<number> {
  return yield* down_read_killable(mm.mmap_lock);
}

export function* mmap_read_trylock(mm: mm_struct): KGen<boolean> {
  return yield* down_read_trylock(mm.mmap_lock);
}

export function* mmap_read_unlock(mm: mm_struct): KGen {
  yield* up_read(mm.mmap_lock);
}

export function* mmap_write_lock(mm: mm_struct): KGen {
  yield* down_write(mm.mmap_lock);
}

export function* mmap_write_unlock(mm: mm_struct): KGen {
  yield* up_write(mm.mmap_lock);
}
