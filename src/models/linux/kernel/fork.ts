/**
 * mm_struct lifetime (kernel/fork.c, include/linux/sched/mm.h; ≈ v6.17):
 * mm_alloc, mmgrab/mmdrop/__mmdrop, mmget/mmput/get_task_mm.
 * mm_users / mm_count are atomic_t in the kernel: here fields of the tracked mm whose every
 * access is marked (KCSAN does not report atomics, and a marked decrement-and-test orders the
 * last mmdrop's __mmdrop after every earlier one, as the kernel's fully ordered
 * atomic_dec_and_test does). Each update is part of one step, so it is indivisible; the helpers
 * add no scheduling point of their own.
 */
import type { KGen } from '../../../sim/index.js';
import { BUG_ON, WARN_ON } from '../../../kernel/bug.js';
import { init_rwsem } from '../../../kernel/locking/rwsem.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../../kernel/mm/slab.js';
import { kfunc, marked, markedRead } from '../../../sim/index.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { set_mmdrop, task_lock, task_unlock } from '../include/linux/sched.js';
import { mmu_notifier_subscriptions_destroy, mmu_notifier_subscriptions_init } from '../include/linux/mmu_notifier.js';
import { exit_mmap } from '../mm/mmap.js';

/** mm_alloc(): a new address space with the given VMAs (mm_users = mm_count = 1). */
export const mm_alloc = kfunc(function* mm_alloc(owner: string, vmas: () => vm_area_struct[]): KGen<mm_struct> {
  const mm = kzalloc<mm_struct>(
    () => {
      const v = vmas();
      let rss = 0;
      for (const vma of v) for (const p of vma.pages) if (p) rss++;
      return {
        mm_users: 1,
        mm_count: 1,
        flags: 0,
        rss_stat: rss,
        notifier_subscriptions: null,
        vmas: v,
        mmap_lock: init_rwsem('&mm->mmap_lock'),
        owner,
      };
    },
    GFP_KERNEL,
    'struct mm_struct',
    1408,
  ) as mm_struct;
  mmu_notifier_subscriptions_init(mm);
  return mm;
});

/** mmgrab(): atomic_inc(&mm->mm_count) */
export function mmgrab(mm: mm_struct): void {
  marked(() => {
    mm.mm_count++;
  });
}

/** atomic_read(&mm->mm_count) (marked, no scheduling point), e.g. for a BUG_ON. */
export function mm_count_read(mm: mm_struct): number {
  return markedRead(mm, 'mm_count');
}

/** atomic_read(&mm->mm_users) (marked, no scheduling point). */
export function mm_users_read(mm: mm_struct): number {
  return markedRead(mm, 'mm_users');
}

/** __mmdrop(): frees the mm_struct (kernel/fork.c). */
export function __mmdrop(mm: mm_struct): void {
  mmu_notifier_subscriptions_destroy(mm);
  kfree(mm);
}

/** mmdrop(): if (atomic_dec_and_test(&mm->mm_count)) __mmdrop(mm). */
export const mmdrop = kfunc(function* mmdrop(mm: mm_struct): KGen {
  WARN_ON(mm_count_read(mm) <= 0, 'include/linux/sched/mm.h:52', 'mm_count underflow');
  if (marked(() => --mm.mm_count === 0)) __mmdrop(mm);
});

set_mmdrop(mmdrop);

/** mmget(): atomic_inc(&mm->mm_users) */
export function mmget(mm: mm_struct): void {
  marked(() => {
    mm.mm_users++;
  });
}

/** mmget_not_zero() */
export function mmget_not_zero(mm: mm_struct): boolean {
  return marked(() => {
    if (mm.mm_users === 0) return false;
    mm.mm_users++;
    return true;
  });
}

/** __mmput(): exit_mmap(), then mmdrop() (kernel/fork.c). */
const __mmput = kfunc(function* __mmput(mm: mm_struct): KGen {
  yield* exit_mmap(mm);
  yield* mmdrop(mm);
});

/** mmput(): if (atomic_dec_and_test(&mm->mm_users)) __mmput(mm). */
export const mmput = kfunc(function* mmput(mm: mm_struct): KGen {
  yield undefined;
  BUG_ON(mm_users_read(mm) <= 0, 'kernel/fork.c:1140');
  if (marked(() => --mm.mm_users === 0)) yield* __mmput(mm);
});

/** get_task_mm(): task_lock; mm = task->mm; mmget; task_unlock. */
export function* get_task_mm(p: task_struct): KGen<mm_struct | null> {
  yield* task_lock(p);
  const mm = p.mm;
  if (mm) mmget(mm);
  yield* task_unlock(p);
  return mm;
}
