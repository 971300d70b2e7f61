/** struct mutex (kernel/locking/mutex.c): sleeping, might_sleep() on every lock. */
import { type KGen, current, markInternal } from '../../sim/index.js';
import { might_sleep } from '../sched/core.js';
import { LockCore, acquire, release, tryAcquire } from './lock.js';

markInternal('mutex_lock', 'mutex_unlock', 'mutex_trylock', 'mutex_lock_killable');

export class mutex extends LockCore {
  constructor(name: string) {
    super(name, 'mutex');
  }
  sleeps(): boolean {
    return true;
  }
}

export function mutex_init(name: string): mutex {
  return new mutex(name);
}

/** DEFINE_MUTEX(name) */
export const DEFINE_MUTEX = mutex_init;

export function* mutex_lock(m: mutex): KGen {
  const t = current();
  t.frames.push('mutex_lock');
  might_sleep('kernel/locking/mutex.c', 283);
  yield* acquire(m, false);
  t.frames.pop();
}

/** mutex_lock_killable(): no signals are modelled, so it always succeeds (returns 0). */
export function* mutex_lock_killable(m: mutex): KGen<number> {
  const t = current();
  t.frames.push('mutex_lock_killable');
  might_sleep('kernel/locking/mutex.c', 283);
  yield* acquire(m, false);
  t.frames.pop();
  return 0;
}

export function* mutex_unlock(m: mutex): KGen {
  const t = current();
  t.frames.push('mutex_unlock');
  yield* release(m, false);
  t.frames.pop();
}

export function* mutex_trylock(m: mutex): KGen<boolean> {
  const t = current();
  t.frames.push('mutex_trylock');
  const ok = yield* tryAcquire(m, false);
  t.frames.pop();
  return ok;
}

export function mutex_is_locked(m: mutex): boolean {
  return m.is_locked();
}
