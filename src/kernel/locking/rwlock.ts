/**
 * rwlock_t (include/linux/rwlock.h; PREEMPT_RT: kernel/locking/spinlock_rt.c
 * rt_read_lock/rt_write_lock, sleeping, with rtlock_might_resched()).
 */
import { type KGen, current, markInternal } from '../../sim/index.js';
import { kconfig } from '../kernel.js';
import {
  local_irq_disable,
  local_irq_enable,
  migrate_disable,
  migrate_enable,
  preempt_disable,
  preempt_enable,
} from '../preempt.js';
import { rcu_read_lock, rcu_read_unlock } from '../rcu/update.js';
import { LockCore, acquire, release } from './lock.js';
import { rtlock_might_resched } from './spinlock.js';

markInternal(
  'rt_read_lock',
  'rt_write_lock',
  'rt_read_unlock',
  'rt_write_unlock',
  '_raw_read_lock',
  '_raw_write_lock',
  '_raw_read_unlock',
  '_raw_write_unlock',
);

export class rwlock_t extends LockCore {
  constructor(name: string) {
    super(name, 'rwlock');
  }
  sleeps(): boolean {
    return kconfig().PREEMPT_RT;
  }
}

export function rwlock_init(name: string): rwlock_t {
  return new rwlock_t(name);
}

function* lockRw(l: rwlock_t, shared: boolean): KGen {
  const t = current();
  if (kconfig().PREEMPT_RT) {
    t.frames.push(shared ? 'rt_read_lock' : 'rt_write_lock');
    rtlock_might_resched('kernel/locking/spinlock_rt.c', shared ? 232 : 241);
    yield* acquire(l, shared);
    rcu_read_lock();
    migrate_disable();
  } else {
    t.frames.push(shared ? '_raw_read_lock' : '_raw_write_lock');
    preempt_disable();
    yield* acquire(l, shared);
  }
  t.frames.pop();
}

function* unlockRw(l: rwlock_t, shared: boolean): KGen {
  const t = current();
  if (kconfig().PREEMPT_RT) {
    t.frames.push(shared ? 'rt_read_unlock' : 'rt_write_unlock');
    yield* release(l, shared);
    migrate_enable();
    rcu_read_unlock();
  } else {
    t.frames.push(shared ? '_raw_read_unlock' : '_raw_write_unlock');
    yield* release(l, shared);
    preempt_enable();
  }
  t.frames.pop();
}

export const read_lock = (l: rwlock_t): KGen => lockRw(l, true);
export const write_lock = (l: rwlock_t): KGen => lockRw(l, false);
export const read_unlock = (l: rwlock_t): KGen => unlockRw(l, true);
export const write_unlock = (l: rwlock_t): KGen => unlockRw(l, false);

export function* read_lock_irq(l: rwlock_t): KGen {
  if (!kconfig().PREEMPT_RT) local_irq_disable();
  yield* lockRw(l, true);
}
export function* read_unlock_irq(l: rwlock_t): KGen {
  yield* unlockRw(l, true);
  if (!kconfig().PREEMPT_RT) local_irq_enable();
}
export function* write_lock_irq(l: rwlock_t): KGen {
  if (!kconfig().PREEMPT_RT) local_irq_disable();
  yield* lockRw(l, false);
}
export function* write_unlock_irq(l: rwlock_t): KGen {
  yield* unlockRw(l, false);
  if (!kconfig().PREEMPT_RT) local_irq_enable();
}
