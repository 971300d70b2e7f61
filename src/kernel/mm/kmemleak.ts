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
import { machine, removeAt } from '../../sim/index.js';

const ROOTS = Symbol('kmemleak-roots');

/**
 * The scan roots of the running machine, in registration order, each once. An array, not a Set:
 * a run has a few dozen roots at most, and a Set cost every boot ~300 ns for its six (identity
 * hashes, growth).
 */
function roots(): object[] {
  const m = machine();
  let s = m.ext.get(ROOTS) as object[] | undefined;
  if (!s) m.ext.set(ROOTS, (s = []));
  return s;
}

/** The scan roots of the running machine, in registration order. */
export function kmemleak_roots(): readonly object[] {
  return roots();
}

/** Registers static or per-CPU kernel data (or a timer base entry) as a scan root. */
export function kmemleak_add_root(obj: object): void {
  const s = roots();
  if (!s.includes(obj)) s.push(obj);
}

/** Removes a root registered with kmemleak_add_root() (a timer that fired or was cancelled). */
export function kmemleak_del_root(obj: object): void {
  const s = roots();
  const i = s.lastIndexOf(obj);
  if (i >= 0) removeAt(s, i);
}
