/**
 * The common core of every lock: ownership, the two acquisition modes the
 * machine can wait on, and the dependency-tracking accesses the explorer sees.
 */
import {
  type Acquirable,
  type KGen,
  type Task,
  ACCESS_ACQUIRE,
  ACCESS_ACQUIRE_SHARED,
  ACCESS_RELEASE,
  current,
  machine,
} from '../../sim/index.js';
import type { LockClass } from '../events.js';
import { lock_acquire, lock_acquired, lock_contended, lock_release, lockClass, waitTypeOf } from './lockdep.js';

class Mode implements Acquirable {
  readonly id: number;
  readonly lock: LockCore;
  readonly shared: boolean;
  constructor(lock: LockCore, shared: boolean) {
    this.lock = lock;
    this.shared = shared;
    this.id = lock.id;
  }
  canAcquire(t: Task): boolean {
    return this.shared ? this.lock.canShare(t) : this.lock.canOwn(t);
  }
  owners(): readonly Task[] {
    return this.lock.holders();
  }
  get sleeping(): boolean {
    return this.lock.sleeps();
  }
  describe(): string {
    return `${this.lock.cls.name}${this.shared ? ' (read)' : ''}`;
  }
}

export abstract class LockCore {
  readonly id: number;
  readonly cls: LockClass;
  owner: Task | null = null;
  readonly readers: Task[] = [];
  readonly excl: Mode;
  readonly shared: Mode;

  constructor(name: string, type: string) {
    this.id = machine().newId();
    this.cls = lockClass(name, type, waitTypeOf(type));
    this.excl = new Mode(this, false);
    this.shared = new Mode(this, true);
  }

  /** Whether a waiter sleeps (mutex, rwsem, spinlock_t on PREEMPT_RT) or spins. */
  abstract sleeps(): boolean;

  canOwn(_t: Task): boolean {
    return this.owner === null && this.readers.length === 0;
  }

  canShare(_t: Task): boolean {
    return this.owner === null;
  }

  holders(): readonly Task[] {
    return this.owner ? [this.owner] : this.readers;
  }

  is_locked(): boolean {
    return this.owner !== null || this.readers.length > 0;
  }
}

/**
 * Acquires a lock: lockdep annotation first (as the kernel does before
 * spinning or sleeping), then wait until the lock is free, then take it.
 */
export function* acquire(l: LockCore, shared: boolean, read: 0 | 1 | 2 = shared ? 1 : 0): KGen {
  lock_acquire(l.cls, l, read, false);
  const t = current();
  const mode = shared ? l.shared : l.excl;
  if (!mode.canAcquire(t)) lock_contended(l.cls, l);
  yield mode;
  take(l, t, shared);
  lock_acquired(l.cls, l);
}

function take(l: LockCore, t: Task, shared: boolean): void {
  machine().access(l.id, shared ? ACCESS_ACQUIRE_SHARED : ACCESS_ACQUIRE);
  if (shared) l.readers.push(t);
  else l.owner = t;
}

/** Trylock: a visible step that succeeds only if the lock is free now. */
export function* tryAcquire(l: LockCore, shared: boolean): KGen<boolean> {
  yield undefined;
  const t = current();
  const m = machine();
  const ok = shared ? l.canShare(t) : l.canOwn(t);
  m.access(l.id, ok && shared ? ACCESS_ACQUIRE_SHARED : ACCESS_ACQUIRE);
  if (!ok) return false;
  lock_acquire(l.cls, l, shared ? 1 : 0, true);
  if (shared) l.readers.push(t);
  else l.owner = t;
  lock_acquired(l.cls, l);
  return true;
}

/** Releases a lock: a visible step. */
export function* release(l: LockCore, shared: boolean): KGen {
  yield undefined;
  const t = current();
  machine().access(l.id, ACCESS_RELEASE);
  if (shared) {
    const i = l.readers.indexOf(t);
    if (i >= 0) l.readers.splice(i, 1);
    else l.readers.pop();
  } else {
    l.owner = null;
  }
  lock_release(l.cls, l);
}
