/**
 * The slab and vmalloc allocators as a model sees them (mm/slub.c,
 * mm/vmalloc.c, mm/util.c: kvmalloc_node, mm/failslab.c, mm/kmemleak.c).
 *
 * An allocation takes the object's initial value and its type label and
 * returns the tracked object (or null on failure):
 *
 *   const kvm = kvzalloc(() => ({ ...fields }), GFP_KERNEL_ACCOUNT, 'struct kvm', 'vmalloc');
 *
 * Slab caches (kmem_cache_create(), kmem_cache_alloc(), SLAB_TYPESAFE_BY_RCU) are in
 * kernel/mm/slab_common.ts; their objects are made and freed through the hooks below.
 *
 * Allocations are plain functions (no scheduling point). A sleeping gfp runs
 * might_alloc() (might_sleep + the fs_reclaim lockdep map). With
 * CONFIG_FAULT_INJECTION a failable allocation is a data choice, as
 * failslab decides it (ignore-gfp-wait=Y unless FAIL_GFP_WAIT is set).
 * Frees emit 'free', and a free of anything that is not a live allocation of
 * the right kind emits 'bad_free' (the KASAN checker reports it).
 *
 * Footprint: an allocation's liveness is state too. A free writes the allocation's id (whether it
 * frees or finds the object already freed: two frees of one object are ordered, so both orders,
 * and both "double-free in ..." titles, are explored) and every field of the object (sim/memory.ts
 * release()), so a free races with each access of the object; is_live_allocation() reads it.
 */
import {
  ACCESS_READ,
  ACCESS_WRITE,
  type Allocation,
  Slot,
  allocationOf,
  current,
  inCurrentFrame,
  locationOf,
  machine,
  release,
} from '../../sim/index.js';
import { kconfig } from '../kernel.js';
import { kmemleak_add_root, kmemleak_del_root } from './kmemleak.js';
import { track_struct } from '../lib/container_of.js';
import {
  type gfp_t,
  __GFP_DIRECT_RECLAIM,
  __GFP_NOFAIL,
  GFP_KERNEL,
  gfp_name,
  gfpflags_allow_blocking,
  might_alloc,
} from './gfp.js';

export * from './gfp.js';

/** PAGE_SIZE: kvmalloc() of more than this is vmalloc-backed. */
export const PAGE_SIZE = 4096;

/**
 * Objects returned by the allocators here, with the allocation each one heads (a Slot, not a
 * WeakMap, so a run's allocations die with it: sim/slot.ts).
 */
const heads = new Slot<Allocation>('slab head');

/** mm/failslab.c: should_failslab(), with ignore-gfp-wait=Y unless FAIL_GFP_WAIT. */
function should_fail(fn: string, gfp: gfp_t): boolean {
  const c = kconfig();
  if (!c.FAULT_INJECTION) return false;
  if (gfp & __GFP_NOFAIL) return false;
  if (gfp & __GFP_DIRECT_RECLAIM && !c.FAIL_GFP_WAIT) return false;
  const where = locationOf(current().frames);
  return machine().chooseData(2, `${fn}(${gfp_name(gfp)}) fails in ${where}`, true) === 1;
}

/** slab_pre_alloc_hook(): might_alloc() and failslab; false when the allocation fails. */
export function slab_pre_alloc_hook(fn: string, gfp: gfp_t): boolean {
  might_alloc(gfp);
  return !should_fail(fn, gfp);
}

/** slab_post_alloc_hook(): who allocated it (KASAN's "Allocated by", kmemleak's frame), and the 'alloc' event. */
function slab_post_alloc_hook(a: Allocation, obj: object): void {
  // The kfunc frame making the allocation (its depth and entry step): while it runs, its locals may
  // hold the object (kmemleak scans the task's stack; check/kmemleak.ts).
  const ar = current().args;
  if (ar.length >= 3) a.flags.kmemleak_frame = [ar[ar.length - 3], ar[ar.length - 2]];
  machine().emit({ type: 'alloc', alloc: a, obj } as never);
}

function allocate<T extends object>(
  fn: string,
  init: () => T,
  gfp: gfp_t,
  label: string,
  kind: 'slab' | 'vmalloc',
  size: number | undefined,
): T | null {
  if (!slab_pre_alloc_hook(fn, gfp)) return null;
  const obj = track_struct(init(), kind, label, size);
  const a = allocationOf(obj) as Allocation;
  heads.set(obj, a);
  slab_post_alloc_hook(a, obj);
  return obj;
}

/**
 * The slab cache an object came from (kernel/mm/slab_common.ts): kfree() and kmem_cache_free()
 * of a cache's object go to its slab_free(), as the kernel's slab_free() finds the cache from the
 * object's slab.
 */
export interface slab_cache_ops {
  readonly name: string;
  slab_free(fn: string, obj: object, a: Allocation): void;
}

const objCache = new Slot<slab_cache_ops>('slab cache');

/** A new object of a cache (kmem_cache_alloc() when the cache has no free object to hand out). */
export function __slab_alloc_new<T extends object>(
  init: () => T,
  label: string,
  size: number | undefined,
  cache: slab_cache_ops,
): T {
  const obj = track_struct(init(), 'slab', label, size);
  const a = allocationOf(obj) as Allocation;
  heads.set(obj, a);
  a.flags.cache = cache.name;
  objCache.set(a, cache);
  slab_post_alloc_hook(a, obj);
  return obj;
}

type MutableAllocation = { -readonly [K in keyof Allocation]: Allocation[K] };

/** A cache's free object handed out again (its memory as it was: no constructor, no zeroing). */
export function __slab_alloc_reuse(obj: object, a: Allocation): void {
  const m = machine();
  const t = m.current;
  const w = a as MutableAllocation;
  w.allocPid = t.pid;
  w.allocComm = t.comm;
  w.allocFrames = t.frames.slice();
  w.allocStep = m.stepIndex;
  w.freeStep = -1;
  slab_post_alloc_hook(a, obj);
}

/** The object is back in its cache but its memory stays valid (SLAB_TYPESAFE_BY_RCU): "Freed by" is recorded. */
export function __slab_free_keep(a: Allocation): void {
  const m = machine();
  const t = m.current;
  a.freePid = t.pid;
  a.freeComm = t.comm;
  a.freeFrames = t.frames.slice();
  a.freeStep = m.stepIndex;
  m.emit({ type: 'free', alloc: a, task: t } as never);
}

/** The object's memory is gone (poisoned): later accesses are KASAN's. */
export function __slab_free_release(a: Allocation): void {
  const m = machine();
  release(a);
  m.emit({ type: 'free', alloc: a, task: m.current } as never);
}

/** A free KASAN reports as double-free (or invalid-free). */
export function __slab_bad_free(fn: string, obj: object): void {
  const m = machine();
  m.emit({ type: 'bad_free', alloc: heads.get(obj) ?? allocationOf(obj), label: fn, task: m.current } as never);
}

/** The slab cache of an object made by kmem_cache_alloc(), if any. */
export function slab_cache_of(obj: object): slab_cache_ops | undefined {
  const a = heads.get(obj);
  return a ? objCache.get(a) : undefined;
}

/** kfree()'s path for a cache's object (kmem_cache_free() after its cache check). */
export function __kmem_cache_free(fn: string, obj: object): void {
  free(fn, obj, ['slab']);
}

function free(fn: string, obj: object | null | undefined, kinds: readonly string[]): void {
  if (obj === null || obj === undefined) return;
  const m = machine();
  const a = heads.get(obj);
  // The liveness check and the free are one access of the allocation's state.
  const state = a ?? allocationOf(obj);
  if (state) m.access(state.id, ACCESS_WRITE);
  if (!a?.live || !kinds.includes(a.kind)) {
    // Double free, a free of the wrong kind of memory, of an interior pointer, or of something never allocated.
    m.emit({ type: 'bad_free', alloc: a ?? allocationOf(obj), label: fn, task: m.current } as never);
    return;
  }
  const cache = objCache.get(a);
  if (cache) {
    cache.slab_free(fn, obj, a);
    return;
  }
  __slab_free_release(a);
}

/** kmalloc(size, gfp): a slab object initialised by `init`. `size` (bytes) only matters for reports. */
export function kmalloc<T extends object>(init: () => T, gfp: gfp_t, label: string, size?: number): T | null {
  return allocate('kmalloc', init, gfp, label, 'slab', size);
}

/** kzalloc(): kmalloc with __GFP_ZERO. `init` gives the zeroed value (null pointers, 0 counters). */
export function kzalloc<T extends object>(init: () => T, gfp: gfp_t, label: string, size?: number): T | null {
  return allocate('kzalloc', init, gfp, label, 'slab', size);
}

/** kfree(): NULL is a no-op; anything but a live slab object is a bad free. */
export function kfree(obj: object | null | undefined): void {
  free('kfree', obj, ['slab']);
}

/** vmalloc(): always GFP_KERNEL (may sleep). */
export function vmalloc<T extends object>(init: () => T, label: string, size?: number): T | null {
  return allocate('vmalloc', init, GFP_KERNEL, label, 'vmalloc', size);
}

export function vzalloc<T extends object>(init: () => T, label: string, size?: number): T | null {
  return allocate('vzalloc', init, GFP_KERNEL, label, 'vmalloc', size);
}

/** vfree(): NULL is a no-op; anything but a live vmalloc area is a bad free. */
export function vfree(obj: object | null | undefined): void {
  free('vfree', obj, ['vmalloc']);
}

/**
 * How a kvmalloc() is backed: 'slab' or 'vmalloc' explicitly, or a size in
 * bytes (more than PAGE_SIZE → vmalloc, as kvmalloc_node falls back to
 * vmalloc for large objects). Default: slab. A non-blocking gfp never falls
 * back to vmalloc.
 */
export type KvBacking = 'slab' | 'vmalloc' | number;

function kvkind(gfp: gfp_t, backing: KvBacking | undefined): { kind: 'slab' | 'vmalloc'; size: number | undefined } {
  const size = typeof backing === 'number' ? backing : undefined;
  const big = backing === 'vmalloc' || (size !== undefined && size > PAGE_SIZE);
  return { kind: big && gfpflags_allow_blocking(gfp) ? 'vmalloc' : 'slab', size };
}

export function kvmalloc<T extends object>(init: () => T, gfp: gfp_t, label: string, backing?: KvBacking): T | null {
  const { kind, size } = kvkind(gfp, backing);
  return allocate('kvmalloc', init, gfp, label, kind, size);
}

export function kvzalloc<T extends object>(init: () => T, gfp: gfp_t, label: string, backing?: KvBacking): T | null {
  const { kind, size } = kvkind(gfp, backing);
  return allocate('kvzalloc', init, gfp, label, kind, size);
}

/** kvfree(): frees either kind. */
export function kvfree(obj: object | null | undefined): void {
  free('kvfree', obj, ['slab', 'vmalloc']);
}

/** kmemleak_not_leak(): the kmemleak checker ignores this allocation (sets flags.not_leak). */
export function kmemleak_not_leak(obj: object | null | undefined): void {
  if (!obj) return;
  const a = allocationOf(obj);
  if (a) a.flags.not_leak = true;
}

/** Whether obj is a live allocation made here (slab or vmalloc). */
export function is_live_allocation(obj: object): boolean {
  const a = heads.get(obj);
  if (!a) return false;
  machine().access(a.id, ACCESS_READ);
  return a.live;
}

/**
 * A local variable of the calling kfunc frame: `const oom_list = DEFINE_ON_STACK(() => HLIST_HEAD(), 'oom_list')`.
 * Tracked with kind 'stack'; it dies when the kfunc frame that created it
 * returns, so a later access is a KASAN stack-use-after-return.
 */
export function DEFINE_ON_STACK<T extends object>(init: () => T, label: string): T {
  const obj = track_struct(init(), 'stack', label);
  const a = allocationOf(obj) as Allocation;
  // The task's stack: kmemleak scans it while the frame lives.
  kmemleak_add_root(obj);
  inCurrentFrame(() => {
    kmemleak_del_root(obj);
    release(a);
  });
  return obj;
}

/** A static (global) object: tracked with kind 'static', never freed. */
export function DEFINE_STATIC<T extends object>(init: () => T, label: string): T {
  const obj = track_struct(init(), 'static', label);
  kmemleak_add_root(obj); // the data section
  return obj;
}
