/**
 * Hash lists whose end is a "nulls" marker instead of NULL (include/linux/list_nulls.h,
 * include/linux/rculist_nulls.h), for lockless lookups in SLAB_TYPESAFE_BY_RCU caches
 * (Documentation/RCU/rculist_nulls.rst): an object can be freed and reused on another chain while
 * a reader walks it, so the reader can end on another chain's end; the marker says which chain it
 * ended on (get_nulls_value()), and the reader restarts when it is not the one it started on.
 *
 * As in kernel/lib/list.ts, nodes are embedded in tracked structs and every link read and write
 * goes through simulated memory; pprev is a real "pointer to the pointer that points at me" (the
 * head's `first` or the previous node's `next`). A nulls marker is an odd pointer in C
 * (NULLS_MARKER(v) = 1 | v << 1); here it is one object per value, so markers compare like
 * pointers; the walks here fault on it as the kernel's near-NULL dereference would (a read of a
 * field through it gives undefined, so the next dereference faults; a write faults at once).
 *
 * The reader walk has a scheduling point per node fetch, like the other _rcu walks: every fetch
 * is rcu_dereference_raw(), a marked READ_ONCE. rculist_nulls.h has no lockdep condition (no
 * __list_check_rcu()), so neither has this one. Written as the C macro's for loop:
 *
 *   let pos = yield* hlist_nulls_for_each_entry_rcu<T>(head, 'member');
 *   for (; !is_a_nulls(pos); pos = yield* hlist_nulls_next_entry_rcu(pos, 'member')) { ... }
 *   if (get_nulls_value(pos) !== slot) goto begin;
 *
 * The entry walk gives the entry or, at the end, the marker (the C macro's `pos` at the end).
 */
import type { KGen } from '../../sim/index.js';
import { rawOf } from '../../sim/index.js';
import { __READ_ONCE, __WRITE_ONCE, READ_ONCE } from '../once.js';
import { container_of } from './container_of.js';
import { LIST_POISON2, is_poison } from './list.js';

// ---------------------------------------------------------------- the marker

declare const NULLS_BRAND: unique symbol;
/** A nulls marker: the end of an hlist_nulls chain, carrying a value (usually the chain's slot). */
export interface hlist_nulls_marker {
  readonly [NULLS_BRAND]: true;
}

const markerValue = new WeakMap<object, number>();
const markers = new Map<number, hlist_nulls_marker>();

function nullsFault(v: number): never {
  const addr = (1 + v * 2).toString(16).padStart(16, '0');
  throw new TypeError(`Cannot read properties of null (nulls marker 0x${addr} dereferenced)`);
}

/** NULLS_MARKER(value): the marker for `value` (the same object for the same value). */
export function NULLS_MARKER(value: number): hlist_nulls_marker {
  let mk = markers.get(value);
  if (!mk) {
    const p = new Proxy(Object.freeze(Object.create(null)) as object, {
      // A read through the marker gives garbage (undefined: the next dereference faults); a write faults.
      get() {
        return undefined;
      },
      set() {
        return nullsFault(value);
      },
    });
    markerValue.set(p, value);
    mk = p as hlist_nulls_marker;
    markers.set(value, mk);
  }
  return mk;
}

/** is_a_nulls(ptr): whether a link (or a walk's position) is a nulls marker (the chain's end). */
export function is_a_nulls(ptr: unknown): ptr is hlist_nulls_marker {
  return typeof ptr === 'object' && ptr !== null && markerValue.has(ptr);
}

/** get_nulls_value(ptr): the value a nulls marker carries. */
export function get_nulls_value(ptr: hlist_nulls_marker): number {
  const v = markerValue.get(ptr as object);
  if (v === undefined) throw new Error('get_nulls_value: not a nulls marker');
  return v;
}

// ---------------------------------------------------------------- the structs

/** &head->first or &prev->next. */
export class hlist_nulls_pprev {
  readonly base: hlist_nulls_head | hlist_nulls_node;
  readonly field: 'first' | 'next';
  constructor(base: hlist_nulls_head | hlist_nulls_node, field: 'first' | 'next') {
    this.base = base;
    this.field = field;
  }
  /** *pprev */
  get(): hlist_nulls_node | hlist_nulls_marker {
    return (this.base as unknown as Record<string, hlist_nulls_node | hlist_nulls_marker>)[this.field] as
      | hlist_nulls_node
      | hlist_nulls_marker;
  }
  /** WRITE_ONCE(*pprev, v) */
  set_once(v: hlist_nulls_node | hlist_nulls_marker): void {
    __WRITE_ONCE(this.base as unknown as Record<string, unknown>, this.field, v);
  }
}

export interface hlist_nulls_head {
  first: hlist_nulls_node | hlist_nulls_marker;
}

export interface hlist_nulls_node {
  next: hlist_nulls_node | hlist_nulls_marker;
  pprev: hlist_nulls_pprev | null;
}

/** HLIST_NULLS_HEAD_INIT(nulls): an empty chain ending in NULLS_MARKER(nulls). */
export function HLIST_NULLS_HEAD_INIT(nulls: number): hlist_nulls_head {
  return { first: NULLS_MARKER(nulls) };
}

/** INIT_HLIST_NULLS_HEAD(ptr, nulls): ptr->first = NULLS_MARKER(nulls). */
export function INIT_HLIST_NULLS_HEAD(h: hlist_nulls_head, nulls: number): void {
  h.first = NULLS_MARKER(nulls);
}

/** An unhashed node (next = NULLS_MARKER(0), pprev = NULL), for struct initialisers. */
export function HLIST_NULLS_NODE(): hlist_nulls_node {
  return { next: NULLS_MARKER(0), pprev: null };
}

function node(n: hlist_nulls_node | hlist_nulls_marker): hlist_nulls_node {
  if (is_a_nulls(n)) return nullsFault(get_nulls_value(n));
  return n;
}

/** hlist_nulls_entry(ptr, type, member): container_of(). */
export function hlist_nulls_entry<T extends object>(ptr: hlist_nulls_node, member: string): T {
  return container_of<T>(node(ptr), member);
}

/** hlist_nulls_entry_safe(ptr, type, member): NULL for a marker. */
export function hlist_nulls_entry_safe<T extends object>(
  ptr: hlist_nulls_node | hlist_nulls_marker,
  member: string,
): T | null {
  return is_a_nulls(ptr) ? null : container_of<T>(ptr, member);
}

/** hlist_nulls_unhashed(h): !h->pprev. */
export function hlist_nulls_unhashed(n: hlist_nulls_node): boolean {
  return !n.pprev;
}

/** hlist_nulls_unhashed_lockless(h): !READ_ONCE(h->pprev). */
export function hlist_nulls_unhashed_lockless(n: hlist_nulls_node): boolean {
  return !__READ_ONCE(n, 'pprev');
}

/** hlist_nulls_empty(h): is_a_nulls(READ_ONCE(h->first)). */
export function hlist_nulls_empty(h: hlist_nulls_head): boolean {
  return is_a_nulls(__READ_ONCE(h, 'first'));
}

// ---------------------------------------------------------------- update side (the lock held)

/** hlist_nulls_add_head(n, h) (list_nulls.h) */
export function hlist_nulls_add_head(n: hlist_nulls_node, h: hlist_nulls_head): void {
  const first = h.first;
  n.next = first;
  __WRITE_ONCE(n, 'pprev', new hlist_nulls_pprev(h, 'first'));
  h.first = n;
  if (!is_a_nulls(first)) __WRITE_ONCE(first, 'pprev', new hlist_nulls_pprev(n, 'next'));
}

/** __hlist_nulls_del(n): WRITE_ONCE(*pprev, next); if next is a node, WRITE_ONCE(next->pprev, pprev). */
function __hlist_nulls_del(n: hlist_nulls_node): void {
  const next = n.next;
  const pprev = n.pprev;
  if (pprev === null || is_poison(pprev))
    throw new TypeError('Cannot read properties of null (hlist_nulls node is not hashed)');
  pprev.set_once(next);
  if (!is_a_nulls(next)) __WRITE_ONCE(next, 'pprev', pprev);
}

/** hlist_nulls_del(n): __hlist_nulls_del(), then WRITE_ONCE(n->pprev, LIST_POISON2); next kept. */
export function hlist_nulls_del(n: hlist_nulls_node): void {
  __hlist_nulls_del(n);
  __WRITE_ONCE(n, 'pprev', LIST_POISON2);
}

/** hlist_nulls_del_rcu(n) (rculist_nulls.h): the same; `next` is kept for readers standing on n. */
export function hlist_nulls_del_rcu(n: hlist_nulls_node): void {
  __hlist_nulls_del(n);
  __WRITE_ONCE(n, 'pprev', LIST_POISON2);
}

/** hlist_nulls_del_init_rcu(n): if hashed, __hlist_nulls_del() and WRITE_ONCE(n->pprev, NULL). */
export function hlist_nulls_del_init_rcu(n: hlist_nulls_node): void {
  if (!hlist_nulls_unhashed(n)) {
    __hlist_nulls_del(n);
    __WRITE_ONCE(n, 'pprev', null);
  }
}

/**
 * hlist_nulls_add_head_rcu(n, h): WRITE_ONCE(n->next, first), WRITE_ONCE(n->pprev, &h->first),
 * the publication rcu_assign_pointer(hlist_nulls_first_rcu(h), n), then first->pprev. One step
 * (the update-side lock held): a reader's fetch of h->first sees the chain before or after.
 */
export function hlist_nulls_add_head_rcu(n: hlist_nulls_node, h: hlist_nulls_head): void {
  const first = h.first;
  __WRITE_ONCE(n, 'next', first);
  __WRITE_ONCE(n, 'pprev', new hlist_nulls_pprev(h, 'first'));
  __WRITE_ONCE(h, 'first', n); // rcu_assign_pointer(hlist_nulls_first_rcu(h), n)
  if (!is_a_nulls(first)) __WRITE_ONCE(first, 'pprev', new hlist_nulls_pprev(n, 'next'));
}

/** hlist_nulls_add_tail_rcu(n, h): after the last node (a write-side walk), or at the head when empty. */
export function hlist_nulls_add_tail_rcu(n: hlist_nulls_node, h: hlist_nulls_head): void {
  let last: hlist_nulls_node | null = null;
  for (let i = h.first; !is_a_nulls(i); i = i.next) last = i;
  if (last) {
    __WRITE_ONCE(n, 'next', last.next);
    n.pprev = new hlist_nulls_pprev(last, 'next');
    __WRITE_ONCE(last, 'next', n); // rcu_assign_pointer(hlist_nulls_next_rcu(last), n)
  } else hlist_nulls_add_head_rcu(n, h);
}

/** hlist_nulls_for_each_entry(tpos, pos, head, member): the update side's walk (no scheduling point). */
export function* hlist_nulls_for_each_entry<T extends object>(
  h: hlist_nulls_head,
  member: string,
): Generator<T, void, undefined> {
  for (let p = h.first; !is_a_nulls(p); p = p.next) yield container_of<T>(p, member);
}

// ---------------------------------------------------------------- rculist_nulls.h: readers

/** rcu_dereference_raw(hlist_nulls_first_rcu(head)): the marked fetch of head->first (a scheduling point). */
export function* hlist_nulls_first_rcu(h: hlist_nulls_head): KGen<hlist_nulls_node | hlist_nulls_marker> {
  return yield* READ_ONCE(h, 'first');
}

/** rcu_dereference_raw(hlist_nulls_next_rcu(node)): the marked fetch of node->next (a scheduling point). */
export function* hlist_nulls_next_rcu(n: hlist_nulls_node): KGen<hlist_nulls_node | hlist_nulls_marker> {
  return yield* READ_ONCE(node(n), 'next');
}

/** &pos->member without an access to pos's struct (address arithmetic in C). */
function member_of(pos: object, member: string): hlist_nulls_node {
  const n = (rawOf(pos) as Record<string, unknown>)[member];
  if (typeof n !== 'object' || n === null) throw new Error(`list_nulls: entry has no member '${member}'`);
  return n as hlist_nulls_node;
}

function entry_or_nulls<T extends object>(
  p: hlist_nulls_node | hlist_nulls_marker,
  member: string,
): T | hlist_nulls_marker {
  return is_a_nulls(p) ? p : container_of<T>(p, member);
}

/**
 * hlist_nulls_for_each_entry_rcu(tpos, pos, head, member): the loop's initialiser: the first
 * entry, or the chain's nulls marker when it is empty. Advance with hlist_nulls_next_entry_rcu().
 */
export function* hlist_nulls_for_each_entry_rcu<T extends object>(
  h: hlist_nulls_head,
  member: string,
): KGen<T | hlist_nulls_marker> {
  return entry_or_nulls<T>(yield* hlist_nulls_first_rcu(h), member);
}

/** The increment: rcu_dereference_raw(hlist_nulls_next_rcu(&tpos->member)): the next entry, or the marker. */
export function* hlist_nulls_next_entry_rcu<T extends object>(tpos: T, member: string): KGen<T | hlist_nulls_marker> {
  return entry_or_nulls<T>(yield* READ_ONCE(member_of(tpos, member), 'next'), member);
}
