/**
 * raw_spinlock_t and spinlock_t (include/linux/spinlock.h,
 * kernel/locking/spinlock.c, kernel/locking/spinlock_rt.c).
 *
 * raw_spinlock_t always spins with preemption disabled. spinlock_t does the
 * same on !PREEMPT_RT; on PREEMPT_RT it is an rtmutex-based sleeping lock
 * whose every acquisition first calls rtlock_might_resched(), then takes
 * rcu_read_lock() and migrate_disable() for the held section.
 */
import { type KGen, current, markInternal } from '../../sim/index.js';
import { kconfig } from '../kernel.js';
import {
  local_irq_disable,
  local_irq_restore,
  local_irq_save,
  local_irq_enable,
  migrate_disable,
  migrate_enable,
  preempt_disable,
  preempt_enable,
} from '../preempt.js';
import { rcu_preempt_depth, rcu_read_lock, rcu_read_unlock } from '../rcu/update.js';
import { MIGHT_RESCHED_RCU_SHIFT, __might_resched } from '../sched/core.js';
import { LockCore, acquire, release, tryAcquire } from './lock.js';

markInternal(
  '_raw_spin_lock',
  '_raw_spin_unlock',
  '_raw_spin_trylock',
  'rt_spin_lock',
  'rt_spin_unlock',
  'rt_spin_trylock',
);

export class raw_spinlock_t extends LockCore {
  constructor(name: string) {
    super(name, 'raw_spinlock');
  }
  sleeps(): boolean {
    return false;
  }
}

export class spinlock_t extends LockCore {
  constructor(name: string) {
    super(name, 'spinlock');
  }
  sleeps(): boolean {
    return kconfig().PREEMPT_RT;
  }
}

export function raw_spin_lock_init(name: string): raw_spinlock_t {
  return new raw_spinlock_t(name);
}

export function spin_lock_init(name: string): spinlock_t {
  return new spinlock_t(name);
}

/** kernel/locking/spinlock_rt.c: rtlock_might_resched() */
export function rtlock_might_resched(file: string, line: number): void {
  __might_resched(file, line, rcu_preempt_depth() << MIGHT_RESCHED_RCU_SHIFT, true);
}

function* spin(l: LockCore, fn: string): KGen {
  const t = current();
  t.frames.push(fn);
  preempt_disable();
  yield* acquire(l, false);
  t.frames.pop();
}

function* unspin(l: LockCore, fn: string): KGen {
  const t = current();
  t.frames.push(fn);
  yield* release(l, false);
  preempt_enable();
  t.frames.pop();
}

export function* raw_spin_lock(l: raw_spinlock_t): KGen {
  yield* spin(l, '_raw_spin_lock');
}

export function* raw_spin_unlock(l: raw_spinlock_t): KGen {
  yield* unspin(l, '_raw_spin_unlock');
}

export function* raw_spin_lock_irq(l: raw_spinlock_t): KGen {
  local_irq_disable();
  yield* spin(l, '_raw_spin_lock');
}

export function* raw_spin_unlock_irq(l: raw_spinlock_t): KGen {
  yield* unspin(l, '_raw_spin_unlock');
  local_irq_enable();
}

export function* raw_spin_lock_irqsave(l: raw_spinlock_t): KGen<boolean> {
  const flags = local_irq_save();
  yield* spin(l, '_raw_spin_lock');
  return flags;
}

export function* raw_spin_unlock_irqrestore(l: raw_spinlock_t, flags: boolean): KGen {
  yield* unspin(l, '_raw_spin_unlock');
  local_irq_restore(flags);
}

/** rt_spin_lock(): kernel/locking/spinlock_rt.c */
function* rt_spin_lock(l: spinlock_t): KGen {
  const t = current();
  t.frames.push('rt_spin_lock');
  rtlock_might_resched('kernel/locking/spinlock_rt.c', 48);
  yield* acquire(l, false);
  rcu_read_lock();
  migrate_disable();
  t.frames.pop();
}

function* rt_spin_unlock(l: spinlock_t): KGen {
  const t = current();
  t.frames.push('rt_spin_unlock');
  yield* release(l, false);
  migrate_enable();
  rcu_read_unlock();
  t.frames.pop();
}

export function* spin_lock(l: spinlock_t): KGen {
  if (kconfig().PREEMPT_RT) yield* rt_spin_lock(l);
  else yield* spin(l, '_raw_spin_lock');
}

export function* spin_unlock(l: spinlock_t): KGen {
  if (kconfig().PREEMPT_RT) yield* rt_spin_unlock(l);
  else yield* unspin(l, '_raw_spin_unlock');
}

/** spin_lock_irq(): on PREEMPT_RT interrupts stay enabled. */
export function* spin_lock_irq(l: spinlock_t): KGen {
  if (kconfig().PREEMPT_RT) yield* rt_spin_lock(l);
  else {
    local_irq_disable();
    yield* spin(l, '_raw_spin_lock');
  }
}

export function* spin_unlock_irq(l: spinlock_t): KGen {
  if (kconfig().PREEMPT_RT) yield* rt_spin_unlock(l);
  else {
    yield* unspin(l, '_raw_spin_unlock');
    local_irq_enable();
  }
}

export function* spin_lock_irqsave(l: spinlock_t): KGen<boolean> {
  if (kconfig().PREEMPT_RT) {
    yield* rt_spin_lock(l);
    return false;
  }
  const flags = local_irq_save();
  yield* spin(l, '_raw_spin_lock');
  return flags;
}

export function* spin_unlock_irqrestore(l: spinlock_t, flags: boolean): KGen {
  if (kconfig().PREEMPT_RT) yield* rt_spin_unlock(l);
  else {
    yield* unspin(l, '_raw_spin_unlock');
    local_irq_restore(flags);
  }
}

export function* spin_trylock(l: spinlock_t): KGen<boolean> {
  const t = current();
  if (kconfig().PREEMPT_RT) {
    t.frames.push('rt_spin_trylock');
    const ok = yield* tryAcquire(l, false);
    if (ok) {
      rcu_read_lock();
      migrate_disable();
    }
    t.frames.pop();
    return ok;
  }
  t.frames.push('_raw_spin_trylock');
  preempt_disable();
  const ok = yield* tryAcquire(l, false);
  if (!ok) preempt_enable();
  t.frames.pop();
  return ok;
}

export function spin_is_locked(l: LockCore): boolean {
  return l.is_locked();
}

export function assert_spin_locked(l: LockCore): boolean {
  return l.owner === current();
}
