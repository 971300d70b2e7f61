/**
 * Doubly linked lists and hash lists with real links (include/linux/list.h,
 * include/linux/rculist.h, include/linux/poison.h).
 *
 * Nodes are objects embedded in tracked structs, so every link read and
 * write goes through simulated memory (footprints, KASAN). hlist_node.pprev
 * is a real "pointer to the pointer that points at me": a field reference
 * {base, field} naming the head's `first` or the previous node's `next`; a
 * write through it writes that field of that (tracked) object, so writing
 * through a stale pprev into a dead stack frame reaches KASAN.
 *
 * The plain iteration helpers (list_for_each_entry, hlist_for_each_entry,
 * the _safe variants) are generators for for...of that read `next` lazily,
 * one node at a time, when the loop asks for the next entry; they are for
 * walks the update-side lock protects, so a node fetch is no scheduling point.
 * The _rcu walks are different: every node fetch is rcu_dereference(), a
 * marked read and a scheduling point, so another CPU may unlink and free the
 * node a reader stands on between two fetches (see "rculist.h: readers"
 * below). A concurrent hlist_del_init() that NULLs `next` truncates a walk
 * that stands on that node, while hlist_del_init_rcu() (which keeps `next`)
 * lets it continue.
 *
 * A list_head whose links are both null is an empty, initialised head
 * (LIST_HEAD_INIT): a tracked struct cannot contain a self-reference before
 * it is tracked (see docs/fidelity/kernel.md).
 */
import { type KGen, rawOf } from '../../sim/index.js';
import { kconfig } from '../kernel.js';
import { __READ_ONCE, __WRITE_ONCE, READ_ONCE } from '../once.js';
import { RCU_LOCKDEP_WARN, rcu_read_lock_any_held } from '../rcu/update.js';
import { container_of } from './container_of.js';

// ---------------------------------------------------------------- poison

/** The Oops raised when LIST_POISON1/2 is dereferenced. */
export class GeneralProtectionFault extends TypeError {
  readonly address: bigint;
  constructor(address: bigint) {
    super(`general protection fault, probably for non-canonical address 0x${address.toString(16)}`);
    this.name = 'GeneralProtectionFault';
    this.address = address;
  }
}

const poisons = new WeakMap<object, bigint>();

function poison(address: bigint): never {
  const p = new Proxy(Object.freeze(Object.create(null)) as object, {
    get(_t, key) {
      if (typeof key === 'symbol') return undefined;
      throw new GeneralProtectionFault(address);
    },
    set() {
      throw new GeneralProtectionFault(address);
    },
    has() {
      throw new GeneralProtectionFault(address);
    },
  });
  poisons.set(p, address);
  return p as never;
}

/** include/linux/poison.h (POISON_POINTER_DELTA = 0xdead000000000000 on x86_64). */
export const LIST_POISON1: never = poison(0xdead000000000100n);
export const LIST_POISON2: never = poison(0xdead000000000122n);

/** Whether a link value is one of the list poisons. */
export function is_poison(v: unknown): boolean {
  return typeof v === 'object' && v !== null && poisons.has(v);
}

/** Dereferencing a poison (or NULL) pointer: the Oops the kernel would take. */
function deref<T extends object>(p: T | null | undefined): T {
  if (p === null || p === undefined)
    throw new TypeError('BUG: kernel NULL pointer dereference, address: 0000000000000000');
  const a = poisons.get(p);
  if (a !== undefined) throw new GeneralProtectionFault(a);
  return p;
}

/** container_of for list entries: a poison pointer Oopses here, as the first access through it would. */
function entry<T extends object>(ptr: object, member: string): T {
  return container_of<T>(deref(ptr), member);
}

// ---------------------------------------------------------------- list_head

export interface list_head {
  next: list_head | null;
  prev: list_head | null;
}

/** LIST_HEAD_INIT / LIST_HEAD(): an empty head (null links mean "points at itself"). */
export function LIST_HEAD(): list_head {
  return { next: null, prev: null };
}
export const LIST_HEAD_INIT = LIST_HEAD;

export function INIT_LIST_HEAD(list: list_head): void {
  __WRITE_ONCE(list, 'next', list);
  __WRITE_ONCE(list, 'prev', list);
}

const nx = (h: list_head): list_head => deref(h).next ?? h;
const pv = (h: list_head): list_head => deref(h).prev ?? h;

function __list_add(n: list_head, prev: list_head, next: list_head): void {
  next.prev = n;
  n.next = next;
  n.prev = prev;
  __WRITE_ONCE(prev, 'next', n);
}

/** list_add(new, head): insert after head (stack). */
export function list_add(n: list_head, head: list_head): void {
  __list_add(n, head, nx(head));
}

/** list_add_tail(new, head): insert before head (queue). */
export function list_add_tail(n: list_head, head: list_head): void {
  __list_add(n, pv(head), head);
}

/**
 * __list_add_rcu(): new->next and new->prev first, then the publication
 * rcu_assign_pointer(list_next_rcu(prev), new) (a marked store), then next->prev.
 * The whole update is one step (the updater holds the update-side lock; SC memory):
 * a reader's node fetch sees the list before or after it.
 */
function __list_add_rcu(n: list_head, prev: list_head, next: list_head): void {
  n.next = next;
  n.prev = prev;
  __WRITE_ONCE(prev, 'next', n); // rcu_assign_pointer(list_next_rcu(prev), new)
  next.prev = n;
}

/** list_add_rcu(new, head): insert after head, publishing new with rcu_assign_pointer(). */
export function list_add_rcu(n: list_head, head: list_head): void {
  __list_add_rcu(n, head, nx(head));
}

/** list_add_tail_rcu(new, head): insert before head, publishing new with rcu_assign_pointer(). */
export function list_add_tail_rcu(n: list_head, head: list_head): void {
  __list_add_rcu(n, pv(head), head);
}

/** __list_del(): next->prev = prev; WRITE_ONCE(prev->next, next) (readers may be walking). */
function __list_del(prev: list_head, next: list_head): void {
  next.prev = prev;
  __WRITE_ONCE(prev, 'next', next);
}

function __list_del_entry(e: list_head): void {
  __list_del(pv(e), nx(e));
}

/** list_del(): unlinks and poisons next = LIST_POISON1, prev = LIST_POISON2. */
export function list_del(e: list_head): void {
  __list_del_entry(e);
  e.next = LIST_POISON1;
  e.prev = LIST_POISON2;
}

/** list_del_rcu(): unlinks, prev = LIST_POISON2, next kept for readers standing on it. */
export function list_del_rcu(e: list_head): void {
  __list_del_entry(e);
  e.prev = LIST_POISON2;
}

/** list_del_init(): unlinks and re-initialises the entry (empty, points at itself). */
export function list_del_init(e: list_head): void {
  __list_del_entry(e);
  INIT_LIST_HEAD(e);
}

/** list_replace(old, new): new takes old's place (old's links are left as they were). */
export function list_replace(old: list_head, n: list_head): void {
  const next = nx(old);
  const prev = pv(old);
  n.next = next;
  next.prev = n;
  n.prev = prev;
  __WRITE_ONCE(prev, 'next', n);
}

/** list_replace_init(old, new): list_replace(), then INIT_LIST_HEAD(old). */
export function list_replace_init(old: list_head, n: list_head): void {
  list_replace(old, n);
  INIT_LIST_HEAD(old);
}

/**
 * list_replace_rcu(old, new) (include/linux/rculist.h): new's links first, then the publication
 * rcu_assign_pointer(list_next_rcu(new->prev), new) (a marked store), then new->next->prev = new
 * and old->prev = LIST_POISON2; old->next is kept, so a reader standing on old continues to the
 * rest of the list. One step (the update-side lock held): a reader's node fetch sees old or new.
 */
export function list_replace_rcu(old: list_head, n: list_head): void {
  const next = nx(old);
  const prev = pv(old);
  n.next = next;
  n.prev = prev;
  __WRITE_ONCE(prev, 'next', n); // rcu_assign_pointer(list_next_rcu(new->prev), new)
  next.prev = n;
  old.prev = LIST_POISON2;
}

/** list_move_tail(): delete from one list, add as another's tail. */
export function list_move_tail(e: list_head, head: list_head): void {
  __list_del_entry(e);
  list_add_tail(e, head);
}

export function list_move(e: list_head, head: list_head): void {
  __list_del_entry(e);
  list_add(e, head);
}

/** list_empty(): READ_ONCE(head->next) == head. */
export function list_empty(head: list_head): boolean {
  const n = __READ_ONCE(deref(head), 'next');
  return n === null || n === head;
}

export function list_is_head(l: list_head, head: list_head): boolean {
  return l === head;
}

/** list_entry(ptr, type, member) */
export function list_entry<T extends object>(ptr: list_head, member: string): T {
  return entry<T>(ptr, member);
}

/** list_first_entry(): the head must not be empty. */
export function list_first_entry<T extends object>(head: list_head, member: string): T {
  return entry<T>(nx(head), member);
}

export function list_first_entry_or_null<T extends object>(head: list_head, member: string): T | null {
  const n = nx(head);
  return n === head ? null : entry<T>(n, member);
}

/** list_for_each(pos, head): yields the nodes, reading each `next` when the loop advances. */
export function* list_for_each(head: list_head): Generator<list_head, void, undefined> {
  for (let p = nx(head); p !== head; p = nx(p)) yield p;
}

/** list_for_each_entry(pos, head, member) */
export function* list_for_each_entry<T extends object>(head: list_head, member: string): Generator<T, void, undefined> {
  for (let p = nx(head); p !== head; p = nx(p)) yield entry<T>(p, member);
}

/** list_for_each_entry_safe(): `next` is read before the body runs, so the body may delete the entry. */
export function* list_for_each_entry_safe<T extends object>(
  head: list_head,
  member: string,
): Generator<T, void, undefined> {
  let p = nx(head);
  while (p !== head) {
    const n = nx(p);
    yield entry<T>(p, member);
    p = n;
  }
}

// ---------------------------------------------------------------- hlist

/** A pointer to the link field that points at a node: &head->first or &prev->next. */
export class hlist_pprev {
  readonly base: hlist_head | hlist_node;
  readonly field: 'first' | 'next';
  constructor(base: hlist_head | hlist_node, field: 'first' | 'next') {
    this.base = base;
    this.field = field;
  }
  /** *pprev */
  get(): hlist_node | null {
    const b = deref(this.base) as unknown as Record<string, hlist_node | null>;
    return b[this.field] ?? null;
  }
  /** *pprev = v (a write into the object holding the link: KASAN sees it). */
  set(v: hlist_node | null): void {
    const b = deref(this.base) as unknown as Record<string, hlist_node | null>;
    b[this.field] = v;
  }
  /** WRITE_ONCE(*pprev, v): the same write, marked (RCU readers may be fetching it). */
  set_once(v: hlist_node | null): void {
    const b = deref(this.base) as unknown as Record<string, hlist_node | null>;
    __WRITE_ONCE(b, this.field, v);
  }
}

export interface hlist_head {
  first: hlist_node | null;
}

export interface hlist_node {
  next: hlist_node | null;
  pprev: hlist_pprev | null;
}

/** HLIST_HEAD / HLIST_HEAD_INIT: an empty head. */
export function HLIST_HEAD(): hlist_head {
  return { first: null };
}
export const HLIST_HEAD_INIT = HLIST_HEAD;

export function INIT_HLIST_HEAD(h: hlist_head): void {
  h.first = null;
}

/** An unhashed node (next = pprev = NULL), for struct initialisers. */
export function HLIST_NODE(): hlist_node {
  return { next: null, pprev: null };
}

export function INIT_HLIST_NODE(n: hlist_node): void {
  n.next = null;
  n.pprev = null;
}

/** hlist_unhashed(): !h->pprev. */
export function hlist_unhashed(n: hlist_node): boolean {
  return !deref(n).pprev;
}

/** hlist_unhashed_lockless(): !READ_ONCE(h->pprev) (a marked read, no scheduling point of its own). */
export function hlist_unhashed_lockless(n: hlist_node): boolean {
  return !__READ_ONCE(deref(n), 'pprev');
}

/** hlist_empty(): !READ_ONCE(h->first) (a marked read, no scheduling point of its own). */
export function hlist_empty(h: hlist_head): boolean {
  return !__READ_ONCE(deref(h), 'first');
}

/** hlist_add_head(n, h): WRITE_ONCE()s, as the kernel's (for the lockless readers above). */
export function hlist_add_head(n: hlist_node, h: hlist_head): void {
  const first = deref(h).first;
  __WRITE_ONCE(n, 'next', first);
  if (first) __WRITE_ONCE(first, 'pprev', new hlist_pprev(n, 'next'));
  __WRITE_ONCE(h, 'first', n);
  __WRITE_ONCE(n, 'pprev', new hlist_pprev(h, 'first'));
}

/**
 * hlist_add_head_rcu(): the same links, n fully set up before it is published with
 * rcu_assign_pointer(hlist_first_rcu(h), n) (a marked store). One step, as __list_add_rcu().
 */
export function hlist_add_head_rcu(n: hlist_node, h: hlist_head): void {
  const first = deref(h).first;
  n.next = first;
  __WRITE_ONCE(n, 'pprev', new hlist_pprev(h, 'first'));
  __WRITE_ONCE(deref(h), 'first', n); // rcu_assign_pointer(hlist_first_rcu(h), n)
  if (first) __WRITE_ONCE(first, 'pprev', new hlist_pprev(n, 'next'));
}

/** hlist_add_before(n, next) */
export function hlist_add_before(n: hlist_node, next: hlist_node): void {
  const pprev = deref(next).pprev as hlist_pprev;
  __WRITE_ONCE(n, 'pprev', pprev);
  __WRITE_ONCE(n, 'next', next);
  __WRITE_ONCE(next, 'pprev', new hlist_pprev(n, 'next'));
  pprev.set_once(n);
}

/** hlist_add_behind(n, prev) */
export function hlist_add_behind(n: hlist_node, prev: hlist_node): void {
  const next = deref(prev).next;
  __WRITE_ONCE(n, 'next', next);
  __WRITE_ONCE(prev, 'next', n);
  __WRITE_ONCE(n, 'pprev', new hlist_pprev(prev, 'next'));
  if (next) __WRITE_ONCE(next, 'pprev', new hlist_pprev(n, 'next'));
}

/** __hlist_del(): *pprev = next; if (next) next->pprev = pprev. `n->next` is left intact. */
export function __hlist_del(n: hlist_node): void {
  const next = deref(n).next;
  const pprev = deref(n.pprev);
  pprev.set_once(next); // WRITE_ONCE(*pprev, next)
  if (next) __WRITE_ONCE(deref(next), 'pprev', pprev); // WRITE_ONCE(next->pprev, pprev)
}

/** hlist_del(): __hlist_del, then next = LIST_POISON1, pprev = LIST_POISON2. */
export function hlist_del(n: hlist_node): void {
  __hlist_del(n);
  n.next = LIST_POISON1;
  n.pprev = LIST_POISON2;
}

/** hlist_del_rcu(): __hlist_del, pprev = LIST_POISON2; next kept (readers may stand on n). */
export function hlist_del_rcu(n: hlist_node): void {
  __hlist_del(n);
  __WRITE_ONCE(n, 'pprev', LIST_POISON2); // WRITE_ONCE(n->pprev, LIST_POISON2)
}

/** hlist_del_init(): if hashed, __hlist_del and INIT_HLIST_NODE (next and pprev NULL). */
export function hlist_del_init(n: hlist_node): void {
  if (!hlist_unhashed(n)) {
    __hlist_del(n);
    INIT_HLIST_NODE(n);
  }
}

/** hlist_del_init_rcu(): if hashed, __hlist_del and pprev = NULL; next kept. */
export function hlist_del_init_rcu(n: hlist_node): void {
  if (!hlist_unhashed(n)) {
    __hlist_del(n);
    __WRITE_ONCE(n, 'pprev', null); // WRITE_ONCE(n->pprev, NULL)
  }
}

/**
 * hlist_replace_rcu(old, new) (include/linux/rculist.h): new->next = old->next,
 * WRITE_ONCE(new->pprev, old->pprev), the publication rcu_assign_pointer(*new->pprev, new), then
 * next->pprev = &new->next and WRITE_ONCE(old->pprev, LIST_POISON2); old->next is kept for a reader
 * standing on old. One step: a reader's fetch of the link sees old or new, never a half-linked new.
 */
export function hlist_replace_rcu(old: hlist_node, n: hlist_node): void {
  const next = deref(old).next;
  const pprev = deref(old.pprev);
  n.next = next;
  __WRITE_ONCE(n, 'pprev', pprev);
  pprev.set_once(n); // rcu_assign_pointer(*(struct hlist_node __rcu **)new->pprev, new)
  if (next) __WRITE_ONCE(next, 'pprev', new hlist_pprev(n, 'next'));
  __WRITE_ONCE(old, 'pprev', LIST_POISON2);
}

/** hlist_move_list(old, new): moves a whole list to another head. */
export function hlist_move_list(old: hlist_head, nw: hlist_head): void {
  const first = deref(old).first;
  nw.first = first;
  if (first) first.pprev = new hlist_pprev(nw, 'first');
  old.first = null;
}

/** hlist_entry(ptr, type, member) */
export function hlist_entry<T extends object>(ptr: hlist_node, member: string): T {
  return entry<T>(ptr, member);
}

/** hlist_entry_safe(): NULL stays NULL. */
export function hlist_entry_safe<T extends object>(ptr: hlist_node | null, member: string): T | null {
  return ptr ? entry<T>(ptr, member) : null;
}

/** hlist_for_each(pos, head): the nodes, each `next` read when the loop advances. */
export function* hlist_for_each(h: hlist_head): Generator<hlist_node, void, undefined> {
  for (let p = deref(h).first; p; p = deref(p).next) yield p;
}

/**
 * hlist_for_each_entry(pos, head, member):
 *   for (pos = hlist_entry_safe(head->first); pos; pos = hlist_entry_safe(pos->member.next))
 * `pos->member.next` is read when the loop advances (after the body).
 */
export function* hlist_for_each_entry<T extends object>(h: hlist_head, member: string): Generator<T, void, undefined> {
  for (let p = deref(h).first; p; p = deref(p).next) yield entry<T>(p, member);
}

/** hlist_for_each_entry_safe(pos, n, head, member): `next` is read before the body, so the body may delete pos. */
export function* hlist_for_each_entry_safe<T extends object>(
  h: hlist_head,
  member: string,
): Generator<T, void, undefined> {
  let p = deref(h).first;
  while (p) {
    const n = deref(p).next;
    yield entry<T>(p, member);
    p = n;
  }
}

// ---------------------------------------------------------------- rculist.h: readers

/*
 * RCU list walks (include/linux/rculist.h). In the kernel every node fetch of
 * an _rcu walk is rcu_dereference() — a marked READ_ONCE — and another CPU may
 * unlink and free the node a reader stands on between two fetches. So here
 * each fetch is a KGen (used with yield*): a scheduling point, then a marked
 * read of the link. A for...of body cannot yield from inside its iterator, so
 * a walk is written as the C macro's own for loop, its initialiser and its
 * increment being calls:
 *
 *   for (
 *     let pos = yield* hlist_for_each_entry_rcu<T>(head, 'member', cond);
 *     pos;
 *     pos = yield* hlist_next_entry_rcu(pos, 'member')
 *   ) { ... }
 *
 *   for (
 *     let pos = yield* list_for_each_entry_rcu<T>(head, 'member', cond);
 *     pos;
 *     pos = yield* list_next_entry_rcu(pos, head, 'member')
 *   ) { ... }
 *
 * The initialiser is the macro (same name, same arguments after pos): the
 * lockdep check __list_check_rcu(cond) / __list_check_srcu(cond), then the
 * first entry. The increment fetches pos->member.next. Both return null at
 * the end of the list (where the kernel compares &pos->member with head);
 * break, continue and return work as in C. `&pos->member` is an address, not
 * an access: the increment reaches the node without reading pos's struct, so
 * the first access to a freed node is the fetch of its `next` (KASAN reports it
 * in the walking function).
 *
 * The lockdep check (CONFIG_PROVE_RCU + CONFIG_PROVE_RCU_LIST) runs once, in
 * the initialiser, as in the kernel: RCU_LOCKDEP_WARN(!cond &&
 * !rcu_read_lock_any_held(), "RCU-list traversed in non-reader section!") for
 * the _rcu walks, RCU_LOCKDEP_WARN(!cond, "RCU-list traversed without holding
 * the required lock!") for the _srcu ones. `cond` is evaluated by the caller
 * when the walk starts (the macro's for-initialiser), e.g.
 * srcu_read_lock_held(srcu) or lockdep_is_held(lock). `site` is the
 * "file:line" the kernel's __FILE__/__LINE__ would give (the walk's own
 * source line); without one, the line of the check in rculist.h is used.
 */

const RCULIST_CHECK_RCU = 'include/linux/rculist.h:65';
const RCULIST_CHECK_SRCU = 'include/linux/rculist.h:71';

/** __list_check_rcu(dummy, cond): with PROVE_RCU_LIST, a walk outside any RCU reader and without cond is suspicious. */
function __list_check_rcu(cond: boolean | undefined, site: string): void {
  if (!kconfig().PROVE_RCU_LIST) return;
  RCU_LOCKDEP_WARN(!cond && !rcu_read_lock_any_held(), site, 'RCU-list traversed in non-reader section!');
}

/** __list_check_srcu(cond): with PROVE_RCU_LIST, a walk without cond (srcu_read_lock_held(ssp), a lock) is suspicious. */
function __list_check_srcu(cond: boolean, site: string): void {
  if (!kconfig().PROVE_RCU_LIST) return;
  RCU_LOCKDEP_WARN(!cond, site, 'RCU-list traversed without holding the required lock!');
}

/** &pos->member: the embedded node, without an access to pos's struct (address arithmetic in C). */
function member_of<N extends object>(pos: object, member: string): N {
  const n = (rawOf(pos) as Record<string, unknown>)[member];
  if (typeof n !== 'object' || n === null) throw new Error(`list: entry has no member '${member}'`);
  return n as N;
}

/** list_entry_rcu(ptr, type, member) on a fetched link: NULL stays NULL. */
function entry_or_null<T extends object>(p: object | null, member: string): T | null {
  return p ? entry<T>(p, member) : null;
}

// ---- list_head

/** list_first_or_null_rcu(head, type, member): READ_ONCE(head->next), NULL when the list is empty. */
export function* list_first_or_null_rcu<T extends object>(head: list_head, member: string): KGen<T | null> {
  const n = (yield* READ_ONCE(deref(head), 'next')) ?? head;
  return n === head ? null : entry<T>(n, member);
}

/** list_next_or_null_rcu(head, ptr, type, member): READ_ONCE(ptr->next), NULL at the end of the list. */
export function* list_next_or_null_rcu<T extends object>(
  head: list_head,
  ptr: list_head,
  member: string,
): KGen<T | null> {
  const n = (yield* READ_ONCE(deref(ptr), 'next')) ?? ptr;
  return n === head ? null : entry<T>(n, member);
}

/** rcu_dereference_raw(list_next_rcu(list)): the marked fetch of list->next (a scheduling point). */
export function* list_next_rcu(list: list_head): KGen<list_head> {
  return (yield* READ_ONCE(deref(list), 'next')) ?? list;
}

/**
 * list_for_each_entry_rcu(pos, head, member, cond...): the loop's initialiser: __list_check_rcu(cond),
 * then pos = list_entry_rcu(head->next) (null when empty). Advance with list_next_entry_rcu().
 */
export function* list_for_each_entry_rcu<T extends object>(
  head: list_head,
  member: string,
  cond?: boolean,
  site: string = RCULIST_CHECK_RCU,
): KGen<T | null> {
  __list_check_rcu(cond, site);
  return yield* list_first_or_null_rcu<T>(head, member);
}

/** list_for_each_entry_srcu(pos, head, member, cond): __list_check_srcu(cond), then the first entry. */
export function* list_for_each_entry_srcu<T extends object>(
  head: list_head,
  member: string,
  cond: boolean,
  site: string = RCULIST_CHECK_SRCU,
): KGen<T | null> {
  __list_check_srcu(cond, site);
  return yield* list_first_or_null_rcu<T>(head, member);
}

/** The increment of an _rcu/_srcu list walk: pos = list_entry_rcu(pos->member.next), null at head. */
export function* list_next_entry_rcu<T extends object>(pos: T, head: list_head, member: string): KGen<T | null> {
  return yield* list_next_or_null_rcu<T>(head, member_of<list_head>(pos, member), member);
}

/** list_for_each_entry_continue_rcu(pos, head, member): the first entry after pos (its loop's initialiser). */
export const list_for_each_entry_continue_rcu = list_next_entry_rcu;

// ---- hlist

/** rcu_dereference_raw(hlist_first_rcu(head)): the marked fetch of head->first (a scheduling point). */
export function* hlist_first_rcu(h: hlist_head): KGen<hlist_node | null> {
  return yield* READ_ONCE(deref(h), 'first');
}

/** rcu_dereference_raw(hlist_next_rcu(node)): the marked fetch of node->next (a scheduling point). */
export function* hlist_next_rcu(n: hlist_node): KGen<hlist_node | null> {
  return yield* READ_ONCE(deref(n), 'next');
}

/**
 * hlist_for_each_entry_rcu(pos, head, member, cond...): the loop's initialiser: __list_check_rcu(cond),
 * then pos = hlist_entry_safe(rcu_dereference_raw(hlist_first_rcu(head))). Advance with hlist_next_entry_rcu().
 */
export function* hlist_for_each_entry_rcu<T extends object>(
  h: hlist_head,
  member: string,
  cond?: boolean,
  site: string = RCULIST_CHECK_RCU,
): KGen<T | null> {
  __list_check_rcu(cond, site);
  return entry_or_null<T>(yield* hlist_first_rcu(h), member);
}

/** hlist_for_each_entry_srcu(pos, head, member, cond): __list_check_srcu(cond), then the first entry. */
export function* hlist_for_each_entry_srcu<T extends object>(
  h: hlist_head,
  member: string,
  cond: boolean,
  site: string = RCULIST_CHECK_SRCU,
): KGen<T | null> {
  __list_check_srcu(cond, site);
  return entry_or_null<T>(yield* hlist_first_rcu(h), member);
}

/**
 * The increment of an _rcu/_srcu hlist walk:
 * pos = hlist_entry_safe(rcu_dereference_raw(hlist_next_rcu(&pos->member))).
 */
export function* hlist_next_entry_rcu<T extends object>(pos: T, member: string): KGen<T | null> {
  return entry_or_null<T>(yield* hlist_next_rcu(member_of<hlist_node>(pos, member)), member);
}

/** hlist_for_each_entry_continue_rcu(pos, member): the first entry after pos (its loop's initialiser). */
export const hlist_for_each_entry_continue_rcu = hlist_next_entry_rcu;
