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

const BAD_ACCESS = Symbol('bad-access');
const ADDR = Symbol('next-addr');

interface Meta {
  readonly alloc: Allocation;
  readonly target: object;
  readonly base: number;
  readonly fieldIds: Map<string | symbol, number>;
}

const metaOf = new WeakMap<object, Meta>();
const metasOfAlloc = new WeakMap<Allocation, Meta[]>();

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

export function isTracked(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && metaOf.has(obj);
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

function touch(meta: Meta, key: string, kind: number): void {
  const m = machine();
  let id = meta.fieldIds.get(key);
  if (id === undefined) {
    id = m.newId();
    meta.fieldIds.set(key, id);
  }
  m.access(id, kind);
  if (!meta.alloc.live) {
    const hook = m.ext.get(BAD_ACCESS) as BadAccessHook | undefined;
    hook?.(meta.alloc, offsetOf(meta, key), key, kind === ACCESS_WRITE);
  }
}

/** One handler per tracked object, closing over its metadata (no lookup per access). */
function handlerFor(meta: Meta): ProxyHandler<Record<string | symbol, unknown>> {
  return {
    get(target, key) {
      if (typeof key !== 'symbol' && Object.hasOwn(target, key)) touch(meta, key, ACCESS_READ);
      return target[key];
    },
    set(target, key, value) {
      if (typeof key !== 'symbol') {
        touch(meta, key, ACCESS_WRITE);
        if (typeof value === 'object' && value !== null && embeddable(value))
          value = wrap(value as object, meta.alloc, meta.base);
      }
      target[key] = value;
      return true;
    },
  };
}

function wrap<T extends object>(obj: T, alloc: Allocation, base: number): T {
  let off = base;
  for (const k of Object.keys(obj)) {
    const v = (obj as Record<string, unknown>)[k];
    if (embeddable(v)) (obj as Record<string, unknown>)[k] = wrap(v as object, alloc, off);
    off += 8;
  }
  const m = machine();
  const fieldIds = new Map<string | symbol, number>();
  for (const k of Object.keys(obj)) fieldIds.set(k, m.newId());
  const meta: Meta = { alloc, target: obj, base, fieldIds };
  const p = new Proxy(obj as Record<string | symbol, unknown>, handlerFor(meta)) as T;
  metaOf.set(p, meta);
  let list = metasOfAlloc.get(alloc);
  if (!list) metasOfAlloc.set(alloc, (list = []));
  list.push(meta);
  return p;
}

function nextAddr(m: Machine, kind: string, size: number): number {
  const key = ADDR;
  const state = (m.ext.get(key) as Map<string, number> | undefined) ?? new Map<string, number>();
  m.ext.set(key, state);
  const bases: Record<string, number> = {
    slab: 0x888000100000,
    vmalloc: 0xc90000100000,
    stack: 0xc90000f00000,
    static: 0xffffffff8a000000,
    page: 0xea0000100000,
  };
  const base = bases[kind] ?? 0xdead00000000;
  const cur = state.get(kind) ?? base;
  state.set(kind, cur + Math.ceil(Math.max(size, 8) / 64) * 64 + 64);
  return cur;
}

/** Places a freshly built object in simulated memory and returns the tracked object. */
export function track<T extends object>(obj: T, kind: string, label: string, size?: number): T {
  const m = machine();
  const t = m.current;
  const sz = size ?? 8 * Math.max(1, Object.keys(obj).length);
  const alloc: Allocation = {
    id: m.newId(),
    kind,
    label,
    addr: nextAddr(m, kind, sz),
    size: sz,
    live: true,
    allocPid: t.pid,
    allocComm: t.comm,
    allocFrames: t.frames.slice(),
    allocStep: m.stepIndex,
    freePid: 0,
    freeComm: '',
    freeFrames: [],
    freeStep: -1,
    flags: {},
  };
  return wrap(obj, alloc, 0);
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
  for (const meta of metasOfAlloc.get(a) ?? []) for (const id of meta.fieldIds.values()) m.access(id, ACCESS_WRITE);
}
