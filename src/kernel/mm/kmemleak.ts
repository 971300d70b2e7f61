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
import { machine } from '../../sim/index.js';

const ROOTS = Symbol('kmemleak-roots');

/** The scan roots of the running machine, in registration order. */
export function kmemleak_roots(): Set<object> {
  const m = machine();
  let s = m.ext.get(ROOTS) as Set<object> | undefined;
  if (!s) m.ext.set(ROOTS, (s = new Set()));
  return s;
}

/** Registers static or per-CPU kernel data (or a timer base entry) as a scan root. */
export function kmemleak_add_root(obj: object): void {
  kmemleak_roots().add(obj);
}

/** Removes a root registered with kmemleak_add_root() (a timer that fired or was cancelled). */
export function kmemleak_del_root(obj: object): void {
  kmemleak_roots().delete(obj);
}
