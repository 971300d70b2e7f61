/**
 * The common core of every lock: ownership, the two acquisition modes the
 * machine can wait on, and the dependency-tracking accesses the explorer sees.
 *
 * Footprint, all on the lock's id: an acquisition is ACCESS_ACQUIRE (exclusive) or
 * ACCESS_ACQUIRE_SHARED, a release ACCESS_RELEASE (what a blocked acquirer waits for; it
 * proceeds only after it). Code that looks at the lock without waiting for it (a trylock,
 * *_is_locked()) can also run before or after a release, so it records ACCESS_ACQUIRE (it races
 * with every acquisition: it could have come before it) and ACCESS_READ (a trylock that fails
 * because of the task's own hold only ACCESS_READ: nothing another task does changes it), and a release that
 * leaves the lock free also records ACCESS_WRITE: a failed trylock races with the release that
 * would have let it succeed. Releases are ordered after each other through the acquisitions between
 * them and nothing but these lookers reads the word, so plain lock/unlock programs get no
 * extra races (DPOR stays optimal on them).
 */
import {
  type Acquirable,
  type KGen,
  type Task,
  ACCESS_ACQUIRE,
  ACCESS_ACQUIRE_SHARED,
  ACCESS_READ,
  ACCESS_RELEASE,
  ACCESS_WRITE,
  current,
  machine,
  removeAt,
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

  /** Whether anyone holds the lock (spin_is_locked() and friends): a look at its state. */
  is_locked(): boolean {
    const m = machine();
    m.access(this.id, ACCESS_ACQUIRE);
    m.access(this.id, ACCESS_READ);
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
  // The outcome reads the lock's state: it races with the release that frees it (a failure
  // could have been a success) and, through its acquisition, with the acquisitions that take it.
  m.access(l.id, ACCESS_READ);
  const ok = shared ? l.canShare(t) : l.canOwn(t);
  if (!ok) {
    // A trylock that fails because of the task's own hold fails whatever other tasks do: it has
    // no acquisition to race with. Recording one would also make it the lock's last exclusive
    // acquisition, in front of the task's real one, so a later acquirer by another task would race
    // with this failure (a reversal that cannot run: the other task blocks behind the hold)
    // instead of with the acquisition it has to go before (the bounded differential on an rwsem
    // write trylock followed by a read trylock in the section).
    if (!heldBy(l, t, shared)) m.access(l.id, ACCESS_ACQUIRE);
    return false;
  }
  lock_acquire(l.cls, l, shared ? 1 : 0, true);
  take(l, t, shared);
  lock_acquired(l.cls, l);
  return true;
}

/** Whether t's own hold keeps it from taking l (in the mode asked): then no other task can change that. */
function heldBy(l: LockCore, t: Task, shared: boolean): boolean {
  return l.owner === t || (!shared && l.readers.includes(t));
}

/** Releases a lock: a visible step. */
export function* release(l: LockCore, shared: boolean): KGen {
  yield undefined;
  const t = current();
  const m = machine();
  m.access(l.id, ACCESS_RELEASE);
  if (shared) {
    const i = l.readers.indexOf(t);
    if (i >= 0) removeAt(l.readers, i);
    else l.readers.pop();
  } else {
    l.owner = null;
  }
  // The lock is free again: its state word changes (a trylock now succeeds).
  if (l.owner === null && l.readers.length === 0) m.access(l.id, ACCESS_WRITE);
  lock_release(l.cls, l);
}
