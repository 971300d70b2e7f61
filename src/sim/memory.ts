/**
 * Simulated memory: objects whose every field access is observed.
 *
 * track() wraps a freshly built object (and every plain object or array
 * literal nested in it, which is "embedded" in the same allocation) in
 * proxies that record each field read and write in the running step's
 * footprint, and call the machine's bad-access hook when the allocation is no
 * longer live. Values that are already tracked objects (pointers to other
 * allocations), frozen objects (static tables) and class instances (locks and
 * other primitives) are stored as references and never embedded.
 */
import { ACCESS_READ, ACCESS_WRITE } from './strategy.js';
import { type Machine, machine } from './machine.js';
import { RunSlot } from './slot.js';

export interface Allocation {
  readonly id: number;
  /** Kind of memory: slab, vmalloc, stack, static, page, ... */
  readonly kind: string;
  /** Type of the object, e.g. "struct kvm". */
  readonly label: string;
  readonly addr: number;
  readonly size: number;
  live: boolean;
  readonly allocPid: number;
  readonly allocComm: string;
  readonly allocFrames: readonly string[];
  readonly allocStep: number;
  freePid: number;
  freeComm: string;
  freeFrames: readonly string[];
  freeStep: number;
  /** Free-form flags for upper layers (e.g. kmemleak_not_leak). */
  readonly flags: Record<string, unknown>;
}

export type BadAccessHook = (a: Allocation, offset: number, field: string, write: boolean) => void;

/**
 * How an access is instrumented, for KCSAN: a plain C access, a marked one (READ_ONCE,
 * WRITE_ONCE, rcu_dereference, smp_load_acquire, ...: see marked()), or one KCSAN must not see
 * (data_race(): see unchecked()).
 */
export const ACCESS_PLAIN = 0;
export const ACCESS_MARKED = 1;
export const ACCESS_UNCHECKED = 2;

/**
 * One field access, as an access observer sees it. The observer gets the same object for every
 * access (it is overwritten by the next one): copy what you keep.
 */
export interface FieldAccess {
  /** The field's access id (its footprint entry is id * 8 + ACCESS_READ/WRITE). */
  readonly id: number;
  readonly write: boolean;
  /** ACCESS_PLAIN, ACCESS_MARKED or ACCESS_UNCHECKED. */
  readonly mode: number;
  /** The value before the access (for a read: the value read). */
  readonly before: unknown;
  /** The value after the access (for a read: the value read). */
  readonly after: unknown;
  readonly alloc: Allocation;
  /** The tracked object (or embedded object) the field belongs to. */
  readonly obj: object;
  readonly field: string;
  /** Offset of the field in its allocation (computed when asked for). */
  readonly offset: number;
}

/**
 * Called after every field access of tracked memory, right after its footprint entry was recorded
 * (so an observer can pair the two), with machine().current as the accessing task; and for each
 * footprint entry release() records (as an unchecked write of the now dead allocation).
 */
export type AccessObserver = (a: FieldAccess) => void;

const BAD_ACCESS = new RunSlot<BadAccessHook>('bad-access');
const ACCESS_OBSERVER = new RunSlot<AccessObserver>('access-observer');
const ADDR = new RunSlot('next-addr', () => new AddrState());

/**
 * The field positions of one key list (Object.keys() order): shared by every object wrapped with the
 * same keys in the same order, found through a trie of key lists, so that wrapping an object builds
 * no map of its own (a Map per tracked object was ~280 bytes per model step).
 */
interface Shape {
  readonly index: ReadonlyMap<string, number>;
  readonly keys: readonly string[];
}

class ShapeNode {
  readonly next = new Map<string, ShapeNode>();
  shape: Shape | null = null;
}

const shapeRoot = new ShapeNode();
/** Key lists longer than this get a Shape of their own (the trie stays small). */
const MAX_SHARED_KEYS = 32;

function newShape(keys: readonly string[]): Shape {
  const index = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) index.set(keys[i] as string, i);
  return { index, keys };
}

function shapeOf(keys: readonly string[]): Shape {
  if (keys.length > MAX_SHARED_KEYS) return newShape(keys);
  let n = shapeRoot;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    let c = n.next.get(k);
    if (c === undefined) n.next.set(k, (c = new ShapeNode()));
    n = c;
  }
  if (n.shape === null) n.shape = newShape(keys.slice());
  return n.shape;
}

/**
 * A tracked object's metadata, which is also its proxy's handler (TrackedHandler below): one object
 * per tracked object, and a trap reads the metadata from `this`. Its fields' ids: the keys it was
 * wrapped with have firstId + their position (consecutive ids, handed out at the wrap), keys first
 * touched later get one each when first touched (in `late`, in that order).
 */
interface Meta {
  readonly alloc: Allocation;
  readonly target: object;
  readonly base: number;
  readonly shape: Shape;
  readonly firstId: number;
  /**
   * The later keys and their ids, flat: [key, id, key, id, ...] in the order they were touched (an
   * array's `length`, a member added after the wrap: one or two per object, so a scan beats a Map,
   * which cost ~200 bytes per object that had any).
   */
  late: (string | number)[] | null;
  /** The proxy (the tracked object itself). */
  proxy: object;
  /** The layer above's slot (trackedTag()). */
  tag: unknown;
}

function fieldIdOf(meta: Meta, key: string): number | undefined {
  const i = meta.shape.index.get(key);
  if (i !== undefined) return meta.firstId + i;
  const late = meta.late;
  if (late !== null) for (let j = 0; j < late.length; j += 2) if (late[j] === key) return late[j + 1] as number;
  return undefined;
}

/** The instrumentation of the accesses being made now (marked() / unchecked() set it around theirs). */
let accessMode = ACCESS_PLAIN;

/**
 * Runs fn with its field accesses marked (READ_ONCE and friends). fn must not yield: the mark
 * covers exactly the accesses it makes before returning. Inside unchecked(), accesses stay unchecked.
 */
export function marked<T>(fn: () => T): T {
  const prev = accessMode;
  if (prev === ACCESS_PLAIN) accessMode = ACCESS_MARKED;
  try {
    return fn();
  } finally {
    accessMode = prev;
  }
}

/** Runs fn with its field accesses invisible to KCSAN (data_race()). fn must not yield. */
export function unchecked<T>(fn: () => T): T {
  const prev = accessMode;
  accessMode = ACCESS_UNCHECKED;
  try {
    return fn();
  } finally {
    accessMode = prev;
  }
}

/** A marked read of obj[field] (READ_ONCE without the scheduling point), without a closure. */
export function markedRead<T extends object, K extends keyof T>(obj: T, field: K): T[K] {
  const prev = accessMode;
  if (prev === ACCESS_PLAIN) accessMode = ACCESS_MARKED;
  try {
    return obj[field];
  } finally {
    accessMode = prev;
  }
}

/** A marked write of obj[field] (WRITE_ONCE without the scheduling point), without a closure. */
export function markedWrite<T extends object, K extends keyof T>(obj: T, field: K, v: T[K]): void {
  const prev = accessMode;
  if (prev === ACCESS_PLAIN) accessMode = ACCESS_MARKED;
  try {
    obj[field] = v;
  } finally {
    accessMode = prev;
  }
}

/** Installs (or with null removes) the machine's access observer (KCSAN). */
export function setAccessObserver(m: Machine, fn: AccessObserver | null): void {
  if (fn) m.ext.set(ACCESS_OBSERVER, fn);
  else m.ext.delete(ACCESS_OBSERVER);
  observedMachine = null;
}

/** The machine's access observer, if any (to chain another after it). */
export function getAccessObserver(m: Machine): AccessObserver | null {
  return m.ext.get(ACCESS_OBSERVER) ?? null;
}

// The observer of the machine last seen, cached so that an access costs one comparison when no
// observer is installed.
let observedMachine: Machine | null = null;
let observer: AccessObserver | null = null;

function observerOf(m: Machine): AccessObserver | null {
  if (m !== observedMachine) {
    observedMachine = m;
    observer = m.ext.get(ACCESS_OBSERVER) ?? null;
  }
  return observer;
}

/** The record passed to observers, reused for every access. */
class AccessRecord implements FieldAccess {
  id = 0;
  write = false;
  mode = ACCESS_PLAIN;
  before: unknown = undefined;
  after: unknown = undefined;
  alloc = undefined as unknown as Allocation;
  obj: object = {};
  field = '';
  meta = undefined as unknown as Meta;
  get offset(): number {
    return offsetOf(this.meta, this.field);
  }
}

const record = new AccessRecord();

function observe(
  fn: AccessObserver,
  id: number,
  meta: Meta,
  key: string,
  write: boolean,
  before: unknown,
  after: unknown,
  mode = accessMode,
): void {
  const r = record;
  r.id = id;
  r.write = write;
  r.mode = mode;
  r.before = before;
  r.after = after;
  r.alloc = meta.alloc;
  r.obj = meta.proxy;
  r.field = key;
  r.meta = meta;
  fn(r);
}

/**
 * A tracked object's metadata is read through its proxy (`proxy[META]`, answered by the get trap,
 * never an access), and an allocation's list of metadata is a symbol-keyed property of the
 * allocation record: no WeakMap. Global WeakMaps keyed by every run's objects made each young-
 * generation GC walk their ephemeron tables (scavenges of 10-50 ms, ~40% of an exploration's time).
 */
const META = Symbol('tracked-meta');

/**
 * The allocation record track() makes: an Allocation with its wrapped objects' metadata in a private
 * slot (release() visits them). A class, not a literal given a hidden property: defining a
 * non-enumerable property on each record cost ~200 ns an allocation.
 */
class AllocationRecord implements Allocation {
  readonly id: number;
  readonly kind: string;
  readonly label: string;
  readonly addr: number;
  readonly size: number;
  live = true;
  readonly allocPid: number;
  readonly allocComm: string;
  readonly allocFrames: readonly string[];
  readonly allocStep: number;
  freePid = 0;
  freeComm = '';
  freeFrames: readonly string[] = [];
  freeStep = -1;
  readonly flags: Record<string, unknown> = {};
  /** Every object wrapped in this allocation, in wrap order. */
  readonly #metas: Meta[] = [];

  constructor(
    id: number,
    kind: string,
    label: string,
    addr: number,
    size: number,
    allocPid: number,
    allocComm: string,
    allocFrames: readonly string[],
    allocStep: number,
  ) {
    this.id = id;
    this.kind = kind;
    this.label = label;
    this.addr = addr;
    this.size = size;
    this.allocPid = allocPid;
    this.allocComm = allocComm;
    this.allocFrames = allocFrames;
    this.allocStep = allocStep;
  }

  static metas(a: Allocation): Meta[] | undefined {
    return #metas in a ? (a as AllocationRecord).#metas : undefined;
  }
}

function metaOfAny(obj: unknown): Meta | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  return (obj as { [META]?: Meta })[META];
}

const metaOf = { get: metaOfAny, has: (obj: unknown): boolean => metaOfAny(obj) !== undefined };

export function setBadAccessHook(m: Machine, hook: BadAccessHook): void {
  m.ext.set(BAD_ACCESS, hook);
}

/** The allocation a tracked object (or an object embedded in one) belongs to. */
export function allocationOf(obj: object): Allocation | undefined {
  return metaOf.get(obj)?.alloc;
}

/** The unproxied object behind a tracked one, for diagnostics that must not count as accesses. */
export function rawOf<T extends object>(obj: T): T {
  return (metaOf.get(obj)?.target as T | undefined) ?? obj;
}

/**
 * One slot per tracked object (or embedded object) for the layer above, read and written without
 * an access: data about the object that lives and dies with it, without a WeakMap (see META).
 * Undefined for an untracked object or an unset slot.
 */
export function trackedTag(obj: object): unknown {
  return metaOf.get(obj)?.tag;
}

/** Sets obj's slot (trackedTag()); false, setting nothing, when obj is not tracked. */
export function setTrackedTag(obj: object, v: unknown): boolean {
  const meta = metaOf.get(obj);
  if (meta === undefined) return false;
  meta.tag = v;
  return true;
}

export function isTracked(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && metaOf.has(obj);
}

/** The offset of a field in the allocation of a tracked object (8 x its position, like KASAN's). */
export function fieldOffset(obj: object, field: string): number | undefined {
  const meta = metaOf.get(obj);
  return meta ? offsetOf(meta, field) : undefined;
}

/** The simulated address of a field of a tracked object. */
export function fieldAddress(obj: object, field: string): number | undefined {
  const meta = metaOf.get(obj);
  return meta ? meta.alloc.addr + offsetOf(meta, field) : undefined;
}

/** The simulated address of a tracked object (or of an object embedded in one). */
export function addressOf(obj: object): number | undefined {
  const meta = metaOf.get(obj);
  return meta ? meta.alloc.addr + meta.base : undefined;
}

function embeddable(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (metaOf.has(v) || Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null || Array.isArray(v);
}

function offsetOf(meta: Meta, key: string | symbol): number {
  const keys = Object.keys(meta.target);
  const i = typeof key === 'string' ? keys.indexOf(key) : -1;
  return meta.base + 8 * (i < 0 ? keys.length : i);
}

/** The field id of the last touch() (its caller passes it on to observe()). */
let touchedId = 0;

function touch(meta: Meta, key: string, kind: number): Machine {
  const m = machine();
  let id = fieldIdOf(meta, key);
  if (id === undefined) {
    id = m.newId();
    if (meta.late === null) meta.late = [key, id];
    else meta.late.push(key, id);
  }
  m.access(id, kind);
  if (!meta.alloc.live) {
    const hook = m.ext.get(BAD_ACCESS);
    hook?.(meta.alloc, offsetOf(meta, key), key, kind === ACCESS_WRITE);
  }
  // Set last: the bad-access hook may make accesses of its own.
  touchedId = id;
  return m;
}

/**
 * The proxy handler of one tracked object, and its metadata (Meta): the traps are shared through
 * the class's prototype (a proxy calls its traps with the handler as `this`), so a tracked object
 * costs one small record, and a trap finds the metadata without a load.
 */
class TrackedHandler implements Meta, ProxyHandler<Record<string | symbol, unknown>> {
  readonly alloc: Allocation;
  readonly target: object;
  readonly base: number;
  readonly shape: Shape;
  readonly firstId: number;
  late: (string | number)[] | null = null;
  proxy: object;
  tag: unknown = undefined;

  constructor(alloc: Allocation, target: object, base: number, shape: Shape, firstId: number) {
    this.alloc = alloc;
    this.target = target;
    this.base = base;
    this.shape = shape;
    this.firstId = firstId;
    this.proxy = target;
  }

  get(target: Record<string | symbol, unknown>, key: string | symbol, receiver: unknown): unknown {
    if (typeof key === 'symbol') return key === META && receiver === this.proxy ? this : target[key];
    if (Object.hasOwn(target, key)) {
      const m = touch(this, key, ACCESS_READ);
      const obs = m === observedMachine ? observer : observerOf(m);
      if (obs !== null) {
        const v = target[key];
        observe(obs, touchedId, this, key, false, v, v);
        return v;
      }
    }
    return target[key];
  }

  set(target: Record<string | symbol, unknown>, key: string | symbol, value: unknown): boolean {
    if (typeof key !== 'symbol') {
      const m = touch(this, key, ACCESS_WRITE);
      const id = touchedId;
      if (typeof value === 'object' && value !== null && embeddable(value))
        value = wrap(value as object, this.alloc, this.base);
      const obs = m === observedMachine ? observer : observerOf(m);
      if (obs !== null) observe(obs, id, this, key, true, target[key], value);
    }
    target[key] = value;
    return true;
  }
}

/**
 * The slot (trackedTag()) of an object embedded in a struct track() places, from its container and
 * member name: given to track() by a layer that keeps each member's container there (container_of).
 */
export type MemberTag = (container: object, member: string) => unknown;

function wrap<T extends object>(obj: T, alloc: Allocation, base: number, keys: string[] = Object.keys(obj)): T {
  return wrapMeta(obj, alloc, base, keys, null).proxy as T;
}

/**
 * wrap(), returning the object's metadata; with memberTag, the slot of every object embedded in it
 * that is not an array nor inside an embedded array is memberTag(its container, its member name)
 * (what container_of.ts register_members() sets).
 */
function wrapMeta(obj: object, alloc: Allocation, base: number, keys: string[], memberTag: MemberTag | null): Meta {
  const o = obj as Record<string, unknown>;
  /** The embedded members' metadata and names, for their slots (memberTag). */
  let members: (Meta | string)[] | null = null;
  // Arrays embedded in the struct are wrapped, but neither they nor what they hold get a slot.
  const tagMembers = memberTag !== null;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = o[k];
    if (typeof v === 'object' && v !== null && embeddable(v)) {
      if (!tagMembers || Array.isArray(v)) o[k] = wrap(v, alloc, base + 8 * i);
      else {
        const cm = wrapMeta(v, alloc, base + 8 * i, Object.keys(v), memberTag);
        o[k] = cm.proxy;
        (members ??= []).push(cm, k);
      }
    }
  }
  const m = machine();
  const firstId = m.newIds(keys.length);
  const meta = new TrackedHandler(alloc, obj, base, shapeOf(keys), firstId);
  const p = new Proxy(o, meta);
  meta.proxy = p;
  AllocationRecord.metas(alloc)?.push(meta);
  if (members !== null)
    for (let i = 0; i < members.length; i += 2)
      (members[i] as Meta).tag = (memberTag as MemberTag)(p, members[i + 1] as string);
  return meta;
}

/** Where each kind of memory starts (x86_64's layout); other kinds start at 0xdead00000000. */
const ADDR_BASES: readonly number[] = [
  0x888000100000, 0xc90000100000, 0xc90000f00000, 0xffffffff8a000000, 0xea0000100000,
];
const ADDR_KINDS: ReadonlyMap<string, number> = new Map(
  ['slab', 'vmalloc', 'stack', 'static', 'page'].map((k, i) => [k, i] as const),
);
const OTHER_BASE = 0xdead00000000;

/**
 * A machine's next free address of each kind (its ext slot ADDR): the known kinds by their index in
 * ADDR_BASES, others in a Map made at the first (a Map made per run cost more than all of a small
 * program's allocations).
 */
class AddrState {
  readonly next: number[] = ADDR_BASES.slice();
  other: Map<string, number> | null = null;
}

function nextAddr(m: Machine, kind: string, size: number): number {
  const st = m.ext.of(ADDR);
  const step = Math.ceil(Math.max(size, 8) / 64) * 64 + 64;
  const i = ADDR_KINDS.get(kind);
  if (i !== undefined) {
    const cur = st.next[i] as number;
    st.next[i] = cur + step;
    return cur;
  }
  const other = (st.other ??= new Map<string, number>());
  const cur = other.get(kind) ?? OTHER_BASE;
  other.set(kind, cur + step);
  return cur;
}

/** Places a freshly built object in simulated memory and returns the tracked object. */
export function track<T extends object>(
  obj: T,
  kind: string,
  label: string,
  size?: number,
  memberTag: MemberTag | null = null,
): T {
  const m = machine();
  const t = m.current;
  const keys = Object.keys(obj);
  const sz = size ?? 8 * Math.max(1, keys.length);
  const id = m.newId();
  const alloc = new AllocationRecord(
    id,
    kind,
    label,
    nextAddr(m, kind, sz),
    sz,
    t.pid,
    t.comm,
    t.frames.slice(),
    m.stepIndex,
  );
  return wrapMeta(obj, alloc, 0, keys, memberTag).proxy as T;
}

/** Ends an allocation's life; later accesses go to the bad-access hook. */
export function release(a: Allocation): void {
  const m = machine();
  const t = m.current;
  a.live = false;
  a.freePid = t.pid;
  a.freeComm = t.comm;
  a.freeFrames = t.frames.slice();
  a.freeStep = m.stepIndex;
  const obs = observerOf(m);
  const metas = AllocationRecord.metas(a);
  if (metas === undefined) return;
  for (let i = 0; i < metas.length; i++) {
    const meta = metas[i] as Meta;
    // Every field, in the order its id was given: the wrapped keys, then the later ones.
    const keys = meta.shape.keys;
    for (let j = 0; j < keys.length; j++) {
      m.access(meta.firstId + j, ACCESS_WRITE);
      // The allocator's own writes: the observer sees them as unchecked writes to dead memory.
      if (obs !== null)
        observe(obs, meta.firstId + j, meta, keys[j] as string, true, undefined, undefined, ACCESS_UNCHECKED);
    }
    const late = meta.late;
    if (late !== null)
      for (let j = 0; j < late.length; j += 2) {
        const id = late[j + 1] as number;
        m.access(id, ACCESS_WRITE);
        if (obs !== null) observe(obs, id, meta, late[j] as string, true, undefined, undefined, ACCESS_UNCHECKED);
      }
  }
}
