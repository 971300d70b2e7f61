/**
 * Lockdep annotations (include/linux/lockdep.h): lock classes, the held-lock
 * stack and lock maps. The validator itself lives in check/lockdep.ts and
 * observes the lock_acquire/lock_release events emitted here.
 */
import { type HeldLock, current, locationOf, machine, removeAt } from '../../sim/index.js';
import type { LockClass } from '../events.js';
import { kconfig } from '../kernel.js';

/** Lock classes by type, then name (two look-ups of the strings as given: no key string built per lock). */
const classes = new Map<string, Map<string, LockClass>>();
let nextClass = 1;

/** The lock class of a name (lockdep keys classes by the lock's static init site; we key by name). */
export function lockClass(name: string, type: string, wait: string): LockClass {
  let byName = classes.get(type);
  if (byName === undefined) classes.set(type, (byName = new Map<string, LockClass>()));
  let c = byName.get(name);
  if (!c) {
    c = { id: nextClass++, name, type, wait };
    byName.set(name, c);
  }
  return c;
}

/** Wait-type pairs as lockdep prints them: {inner:outer}. */
export function waitTypeOf(type: string): string {
  switch (type) {
    case 'raw_spinlock':
      return '{2:2}';
    case 'spinlock':
    case 'rwlock':
      return kconfig().PREEMPT_RT ? '{3:3}' : '{3:3}';
    case 'mutex':
    case 'rwsem':
      return '{4:4}';
    default:
      return '{0:0}';
  }
}

/** struct lockdep_map: a pseudo-lock (fs_reclaim, mmu_notifier_invalidate_range_start, srcu, rcu_read_lock). */
export class lockdep_map {
  readonly cls: LockClass;
  /** `name`: the class's name, or the class itself (a caller that keeps it skips the look-up). */
  constructor(name: string | LockClass, type = 'lockdep_map') {
    this.cls = typeof name === 'string' ? lockClass(name, type, '{0:0}') : name;
  }
}

/** A held-lock stack entry, mutable so that released ones are reused (see heldPool). */
class held_lock implements HeldLock {
  lock: object = NO_LOCK;
  name = '';
  at = '';
  read = false;
  step = 0;
}

const NO_LOCK = {};

/**
 * Released entries, reused by later acquisitions (an entry is read only while it is on a task's
 * stack: reports print it at once). A released entry lets go of its lock.
 */
const heldPool: held_lock[] = [];

/** lock_acquire(): pushes on the held-lock stack and tells the validator. */
export function lock_acquire(cls: LockClass, lock: object, read: 0 | 1 | 2, trylock: boolean, sync = false): void {
  const t = current();
  const at = locationOf(t.frames, t.entry);
  const m = machine();
  if (!sync) {
    const h = heldPool.pop() ?? new held_lock();
    h.lock = lock;
    h.name = cls.name;
    h.at = at;
    h.read = read !== 0;
    h.step = m.stepIndex;
    t.held.push(h);
  }
  m.emit({ type: 'lock_acquire', cls, lock, read, trylock, sync, task: t, at } as never);
}

export function lock_acquired(cls: LockClass, lock: object): void {
  machine().emit({ type: 'lock_acquired', cls, lock, task: current() } as never);
}

export function lock_contended(cls: LockClass, lock: object): void {
  machine().emit({ type: 'lock_contended', cls, lock, task: current() } as never);
}

/** lock_release(): removes the innermost matching entry from the held-lock stack. */
export function lock_release(cls: LockClass, lock: object): void {
  const t = current();
  for (let i = t.held.length - 1; i >= 0; i--) {
    const h = t.held[i] as HeldLock;
    if (h.lock === lock) {
      removeAt(t.held, i);
      if (h instanceof held_lock) {
        h.lock = NO_LOCK;
        heldPool.push(h);
      }
      break;
    }
  }
  machine().emit({ type: 'lock_release', cls, lock, task: t } as never);
}

export function lock_map_acquire(map: lockdep_map): void {
  lock_acquire(map.cls, map, 0, false);
}

export function lock_map_acquire_read(map: lockdep_map): void {
  lock_acquire(map.cls, map, 2, false);
}

export function lock_map_release(map: lockdep_map): void {
  lock_release(map.cls, map);
}

/** lock_map_sync(): an empty write acquisition (what __synchronize_srcu does to its srcu map). */
export function lock_map_sync(map: lockdep_map): void {
  lock_acquire(map.cls, map, 0, false, true);
}

export function lock_is_held(lock: object): boolean {
  const held = current().held;
  for (let i = 0; i < held.length; i++) if ((held[i] as { lock: object }).lock === lock) return true;
  return false;
}

/** lockdep_is_held(&lock): whether the current task holds it (the usual `cond` of an RCU walk or dereference). */
export function lockdep_is_held(lock: object): boolean {
  return lock_is_held(lock);
}

export function lockdep_assert_held(lock: object): boolean {
  return lock_is_held(lock);
}
