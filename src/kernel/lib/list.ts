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
 * Iteration helpers are generators that read `next` lazily, one node at a
 * time, when the loop asks for the next entry: a concurrent hlist_del_init()
 * that NULLs `next` truncates a walk that stands on that node, while
 * hlist_del_init_rcu() (which keeps `next`) lets it continue.
 *
 * A list_head whose links are both null is an empty, initialised head
 * (LIST_HEAD_INIT): a tracked struct cannot contain a self-reference before
 * it is tracked (see docs/fidelity/kernel.md).
 */
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
  list.next = list;
  list.prev = list;
}

const nx = (h: list_head): list_head => deref(h).next ?? h;
const pv = (h: list_head): list_head => deref(h).prev ?? h;

function __list_add(n: list_head, prev: list_head, next: list_head): void {
  next.prev = n;
  n.next = next;
  n.prev = prev;
  prev.next = n;
}

/** list_add(new, head): insert after head (stack). */
export function list_add(n: list_head, head: list_head): void {
  __list_add(n, head, nx(head));
}

/** list_add_tail(new, head): insert before head (queue). */
export function list_add_tail(n: list_head, head: list_head): void {
  __list_add(n, pv(head), head);
}

/** list_add_rcu(): as list_add; the publication order is not modelled separately (SC memory). */
export const list_add_rcu = list_add;
export const list_add_tail_rcu = list_add_tail;

function __list_del(prev: list_head, next: list_head): void {
  next.prev = prev;
  prev.next = next;
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
  const n = deref(head).next;
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

/** list_for_each_entry_rcu(): as list_for_each_entry (the lockdep condition is not checked). */
export function* list_for_each_entry_rcu<T extends object>(
  head: list_head,
  member: string,
  _cond?: unknown,
): Generator<T, void, undefined> {
  yield* list_for_each_entry<T>(head, member);
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

/** hlist_unhashed_lockless(): !READ_ONCE(h->pprev). */
export const hlist_unhashed_lockless = hlist_unhashed;

/** hlist_empty(): !READ_ONCE(h->first). */
export function hlist_empty(h: hlist_head): boolean {
  return !deref(h).first;
}

/** hlist_add_head(n, h) */
export function hlist_add_head(n: hlist_node, h: hlist_head): void {
  const first = deref(h).first;
  n.next = first;
  if (first) first.pprev = new hlist_pprev(n, 'next');
  h.first = n;
  n.pprev = new hlist_pprev(h, 'first');
}

/** hlist_add_head_rcu(): the same links, with n fully set up before it is published (SC memory). */
export function hlist_add_head_rcu(n: hlist_node, h: hlist_head): void {
  const first = deref(h).first;
  n.next = first;
  n.pprev = new hlist_pprev(h, 'first');
  h.first = n; // rcu_assign_pointer(hlist_first_rcu(h), n)
  if (first) first.pprev = new hlist_pprev(n, 'next');
}

/** hlist_add_before(n, next) */
export function hlist_add_before(n: hlist_node, next: hlist_node): void {
  const pprev = deref(next).pprev as hlist_pprev;
  n.pprev = pprev;
  n.next = next;
  next.pprev = new hlist_pprev(n, 'next');
  pprev.set(n);
}

/** hlist_add_behind(n, prev) */
export function hlist_add_behind(n: hlist_node, prev: hlist_node): void {
  const next = deref(prev).next;
  n.next = next;
  prev.next = n;
  n.pprev = new hlist_pprev(prev, 'next');
  if (next) next.pprev = new hlist_pprev(n, 'next');
}

/** __hlist_del(): *pprev = next; if (next) next->pprev = pprev. `n->next` is left intact. */
export function __hlist_del(n: hlist_node): void {
  const next = deref(n).next;
  const pprev = deref(n.pprev);
  pprev.set(next); // WRITE_ONCE(*pprev, next)
  if (next) deref(next).pprev = pprev;
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
  n.pprev = LIST_POISON2;
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
    n.pprev = null; // WRITE_ONCE(n->pprev, NULL)
  }
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

/** hlist_for_each_entry_rcu(pos, head, member, cond): reads via rcu_dereference (the lockdep condition is not checked). */
export function* hlist_for_each_entry_rcu<T extends object>(
  h: hlist_head,
  member: string,
  _cond?: unknown,
): Generator<T, void, undefined> {
  for (let p = deref(h).first; p; p = deref(p).next) yield entry<T>(p, member);
}

/** hlist_for_each_entry_srcu(): as _rcu. */
export const hlist_for_each_entry_srcu = hlist_for_each_entry_rcu;

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
