/**
 * kmemleak's scan areas (mm/kmemleak.c): what the scan starts from besides the live tasks' stacks.
 *
 * The kernel scans the data and bss sections, the per-CPU areas and every task's stack for pointers
 * into allocated objects. Kernel state that lives in such memory here lives in JavaScript objects
 * (a workqueue's worklists, the timer bases, SRCU's per-CPU srcu_data, RCU's callback lists,
 * DEFINE_STATIC objects): the kernel layer registers each one as a root while it holds references
 * (kmemleak_add_root / kmemleak_del_root), and check/kmemleak.ts scans from them. Registration
 * only says where a scan starts; it never marks an object as referenced by itself.
 */
import { machine, removeAt, RunSlot } from '../../sim/index.js';

const ROOTS = new RunSlot('kmemleak-roots', () => new Roots());

/** Past this many roots, a Set (an array's look-ups would grow with the count). */
const SMALL_ROOTS = 32;

/**
 * The scan roots of one machine, in registration order, each once: an array while there are few (a
 * run has a handful; a Set cost every boot ~300 ns for its six: identity hashes, growth), a Set
 * once there are many.
 */
class Roots {
  list: object[] | null = [];
  set: Set<object> | null = null;

  add(obj: object): void {
    const l = this.list;
    if (l === null) {
      (this.set as Set<object>).add(obj);
      return;
    }
    if (l.includes(obj)) return;
    l.push(obj);
    if (l.length > SMALL_ROOTS) {
      this.set = new Set(l);
      this.list = null;
    }
  }

  delete(obj: object): void {
    const l = this.list;
    if (l === null) {
      (this.set as Set<object>).delete(obj);
      return;
    }
    const i = l.lastIndexOf(obj);
    if (i >= 0) removeAt(l, i);
  }

  values(): Iterable<object> {
    return this.list ?? (this.set as Set<object>);
  }
}

function roots(): Roots {
  const m = machine();
  return m.ext.of(ROOTS);
}

/** The scan roots of the running machine, in registration order. */
export function kmemleak_roots(): Iterable<object> {
  return roots().values();
}

/** Registers static or per-CPU kernel data (or a timer base entry) as a scan root. */
export function kmemleak_add_root(obj: object): void {
  roots().add(obj);
}

/** Removes a root registered with kmemleak_add_root() (a timer that fired or was cancelled). */
export function kmemleak_del_root(obj: object): void {
  roots().delete(obj);
}
