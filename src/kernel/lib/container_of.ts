/**
 * container_of() (include/linux/container_of.h) for simulated memory.
 *
 * JavaScript has no pointer arithmetic, so the kernel layer remembers, for
 * every object embedded in a struct, which struct and which member it is.
 * Allocators in this layer (kmalloc & co., DEFINE_ON_STACK, track_struct)
 * register the members of the objects they create; container_of(ptr, member)
 * then reads like the C.
 */
import { type Allocation, Slot, allocationOf, rawOf, setTrackedTag, track, trackedTag } from '../../sim/index.js';

interface Parent {
  readonly container: object;
  readonly member: string;
}

/**
 * The parent of an untracked embedded object. A tracked one keeps its parent in its own slot
 * (sim/memory.ts trackedTag()). Neither is a global WeakMap: its values would keep every run's
 * structs alive through the young-generation GC (sim/slot.ts).
 */
const parents = new Slot<Parent>('container_of parent');

function setParent(obj: object, p: Parent): void {
  if (!setTrackedTag(obj, p)) parents.set(obj, p);
}

function parentOf(ptr: object): Parent | undefined {
  return (trackedTag(ptr) as Parent | undefined) ?? parents.get(ptr);
}

function plain(v: unknown): v is object {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Records that `obj` is `container->member` (for objects built outside register_members). */
export function set_container(obj: object, container: object, member: string): void {
  setParent(obj, { container, member });
}

/**
 * Registers every embedded struct of `obj` (recursively) so container_of()
 * finds its way back. For a tracked object only members in the same
 * allocation count (pointers to other allocations are not members).
 */
export function register_members(obj: object): void {
  registerMembers(obj, allocationOf(obj));
}

/** register_members() of `obj`, whose allocation is `a` (a member's is its container's). */
function registerMembers(obj: object, a: Allocation | undefined): void {
  const raw = rawOf(obj) as Record<string, unknown>;
  const keys = Object.keys(raw);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = raw[k];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) continue;
    // allocationOf(v) is undefined for an untracked v: one look-up answers both questions.
    const member = a ? allocationOf(v) === a : plain(v);
    if (!member) continue;
    setParent(v, { container: obj, member: k });
    registerMembers(v, a);
  }
}

/** track() plus register_members(): places a struct in simulated memory so container_of() works on it. */
export function track_struct<T extends object>(obj: T, kind: string, label: string, size?: number): T {
  // What register_members() would set on each member, set by track() as it wraps them (a member's
  // look-ups through its proxy were most of a small struct's allocation).
  return track(obj, kind, label, size, memberParent);
}

function memberParent(container: object, member: string): Parent {
  return { container, member };
}

/** container_of(ptr, type, member): the struct whose `member` is `ptr`. */
export function container_of<T extends object>(ptr: object, member: string): T {
  const p = parentOf(ptr);
  if (!p)
    throw new Error(
      `container_of: object is not a registered member '${member}' (allocate the struct with kmalloc/DEFINE_ON_STACK/track_struct)`,
    );
  if (p.member !== member) throw new Error(`container_of: object is member '${p.member}', not '${member}'`);
  return p.container as T;
}

/** The member name an embedded object was registered under, if any (for diagnostics). */
export function member_name(ptr: object): string | undefined {
  return parentOf(ptr)?.member;
}

/** The registered container of an embedded object, if any. */
export function container_or_null<T extends object>(ptr: object, member: string): T | null {
  const p = parentOf(ptr);
  return p && p.member === member ? (p.container as T) : null;
}

/** The struct an embedded object is a member of, whatever the member (kmemleak: an interior pointer). */
export function container_entry(ptr: object): object | undefined {
  return parentOf(ptr)?.container;
}
