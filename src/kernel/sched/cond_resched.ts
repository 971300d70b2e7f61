/**
 * cond_resched_rwlock_read() / cond_resched_rwlock_write() (include/linux/sched.h,
 * kernel/sched/core.c __cond_resched_rwlock_read/_write, ≈ v6.17): the resched point of a walk
 * that holds an rwlock_t. The macro's first act is
 * __might_resched(__FILE__, __LINE__, PREEMPT_LOCK_RESCHED_OFFSETS): legal only with exactly the
 * held lock's contribution to the context — PREEMPT_LOCK_OFFSET (1) on !PREEMPT_RT, where the
 * lock disables preemption, and one RCU read-side nesting level on PREEMPT_RT, where rt_read_lock()
 * / rt_write_lock() imply rcu_read_lock(). Anything more (BH disabled, an RCU reader, irqs off,
 * non_block) is "BUG: sleeping function called from invalid context".
 *
 * __cond_resched_rwlock_*() then drops the lock when it is contended (rwlock_needbreak()) or a
 * reschedule is due (should_resched(PREEMPT_LOCK_OFFSET)), calls _cond_resched() and retakes it.
 * The model always drops and retakes it: the unlock and the lock are scheduling points, so the
 * explorer decides whether a waiter or another task runs in between (need_resched() and
 * contention are not state the model can know; every outcome is explored). Returns 1, as the
 * kernel does when it dropped the lock.
 */
import type { KGen } from '../../sim/index.js';
import { kconfig } from '../kernel.js';
import { type rwlock_t, read_lock, read_unlock, write_lock, write_unlock } from '../locking/rwlock.js';
import { MIGHT_RESCHED_RCU_SHIFT, __might_resched } from './core.js';

/** include/linux/preempt.h: PREEMPT_LOCK_OFFSET (0 on PREEMPT_RT: its locks do not disable preemption). */
export function PREEMPT_LOCK_OFFSET(): number {
  return kconfig().PREEMPT_RT ? 0 : 1;
}

/** include/linux/sched.h: PREEMPT_LOCK_RESCHED_OFFSETS. */
export function PREEMPT_LOCK_RESCHED_OFFSETS(): number {
  return kconfig().PREEMPT_RT ? PREEMPT_LOCK_OFFSET() + (1 << MIGHT_RESCHED_RCU_SHIFT) : PREEMPT_LOCK_OFFSET();
}

/** cond_resched_rwlock_write(lock) at a given call site: caller holds lock for write. */
export function* cond_resched_rwlock_write(lock: rwlock_t, file: string, line: number): KGen<number> {
  __might_resched(file, line, PREEMPT_LOCK_RESCHED_OFFSETS());
  yield* write_unlock(lock);
  yield* write_lock(lock);
  return 1;
}

/** cond_resched_rwlock_read(lock) at a given call site: caller holds lock for read. */
export function* cond_resched_rwlock_read(lock: rwlock_t, file: string, line: number): KGen<number> {
  __might_resched(file, line, PREEMPT_LOCK_RESCHED_OFFSETS());
  yield* read_unlock(lock);
  yield* read_lock(lock);
  return 1;
}
