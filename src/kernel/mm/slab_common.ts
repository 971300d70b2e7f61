/**
 * Slab caches and the RCU-deferred frees (mm/slab_common.c: kmem_cache_create(),
 * kvfree_call_rcu() behind kfree_rcu()/kvfree_rcu()/kfree_rcu_mightsleep(), kvfree_rcu_barrier();
 * the cache side of mm/slub.c: kmem_cache_alloc(), kmem_cache_free() and the RCU-delayed slab
 * discard of SLAB_TYPESAFE_BY_RCU). kernel/mm/slab.ts keeps kmalloc & co.; this file sits above
 * it and kernel/rcu/tree.ts (slab.ts cannot import RCU: the wait-queue code it serves is below RCU).
 *
 * SLAB_TYPESAFE_BY_RCU (include/linux/slab.h): "the slab page, not the individual objects, is
 * freed after a grace period". kmem_cache_free() of such an object puts it back on its cache's
 * free list with its memory intact (KASAN does not poison it: mm/kasan/common.c
 * poison_slab_object() returns early for these caches), and the next kmem_cache_alloc() of the
 * cache hands the same object out again, its fields as the last user left them (no constructor
 * run, no zeroing: callers set what they use, and a lockless reader must re-check the identity of
 * what it found). So a reader that still holds the pointer reads a valid object of the same type,
 * maybe a different one: not a use-after-free. Every object is its own slab here: an object still
 * free when a grace period that started after its free has ended is discarded, its page returned
 * (rcu_free_slab()); a later access is KASAN's "use-after-free" on a page, as in the kernel once
 * the page left the slab allocator.
 *
 * kfree_rcu(ptr, rhf) / kvfree_rcu(ptr, rhf): kvfree_call_rcu(&ptr->rhf, ptr): the object's
 * rcu_head is queued on RCU's callback lists (call_rcu()'s, with its DEBUG_OBJECTS_RCU_HEAD
 * double-queue check) and kvfree(ptr) runs after a grace period (kvfree_rcu_list()). The
 * kernel batches these in per-CPU kfree_rcu_cpu pages drained by a monitor work; here each is a
 * callback of its own, freed from rcu_core() (a simplification: the free comes after the same grace
 * period, from another context). kfree_rcu_mightsleep(ptr) / kvfree_rcu_mightsleep(ptr) (no
 * rcu_head): might_sleep(), then the pointer is queued in a slot of its own (the kernel's bulk
 * page; its fallback when no page can be had, synchronize_rcu() and an inline kvfree(), is not
 * modelled).
 *
 * Footprints: a cache's free list is an object of its own (kmem_cache_alloc(), kmem_cache_free()
 * and the slab discard write it); a free also writes the object's allocation state (as kfree());
 * a discard writes every field of the object (sim/memory.ts release()), so a late reader's access
 * races with it. kfree_rcu() is call_rcu()'s footprint (RCU's state, and a write of the rcu_head's
 * func field in the object: kfree_rcu() of a freed object is a use-after-free).
 */
import { ACCESS_WRITE, type Allocation, type KGen, allocationOf, current, machine, release } from '../../sim/index.js';
import { WARN_ON_ONCE } from '../bug.js';
import { call_rcu_nosched, rcu_barrier } from '../rcu/tree.js';
import type { rcu_head } from '../rcu/update.js';
import { might_sleep } from '../sched/core.js';
import { assign_obj_id, obj_id } from '../objid.js';
import {
  type gfp_t,
  __kmem_cache_free,
  __slab_alloc_new,
  __slab_alloc_reuse,
  __slab_bad_free,
  __slab_free_keep,
  __slab_free_release,
  kvfree,
  slab_cache_of,
  type slab_cache_ops,
  slab_pre_alloc_hook,
} from './slab.js';

/** slab_flags_t (include/linux/slab.h). Only SLAB_TYPESAFE_BY_RCU changes behaviour here. */
export const SLAB_HWCACHE_ALIGN = 0x00002000;
export const SLAB_PANIC = 0x00040000;
export const SLAB_TYPESAFE_BY_RCU = 0x00080000;
export const SLAB_ACCOUNT = 0x04000000;

interface slab_obj_state {
  /** Handed out (kmem_cache_alloc()) and not freed since. */
  inuse: boolean;
  /** Frees so far: a discard armed by an earlier free does nothing once the object was reused. */
  frees: number;
  /** Its slab page went back to the page allocator (SLAB_TYPESAFE_BY_RCU, after a grace period). */
  discarded: boolean;
}

/** struct kmem_cache: a cache of objects of one type, made by `ctor`. */
export class kmem_cache<T extends object = object> implements slab_cache_ops {
  readonly name: string;
  readonly object_size: number;
  readonly flags: number;
  /** The value of a new object (the kernel's constructor, or the memory a cache without one hands out). */
  readonly ctor: () => T;
  /** Free objects (LIFO, as SLUB's per-CPU free list hands out the last freed one first). */
  readonly freelist: T[] = [];
  readonly objs = new Map<T, slab_obj_state>();
  constructor(name: string, size: number, flags: number, ctor: () => T) {
    this.name = name;
    this.object_size = size;
    this.flags = flags;
    this.ctor = ctor;
    assign_obj_id(this);
  }

  /** The footprint of the cache's free list (and of its objects' states). */
  touch(): void {
    machine().access(obj_id(this), ACCESS_WRITE);
  }

  /** slab_free(): kfree() and kmem_cache_free() of one of this cache's objects. */
  slab_free(fn: string, obj: object, a: Allocation): void {
    this.touch();
    const o = obj as T;
    const st = this.objs.get(o);
    if (!st?.inuse) {
      __slab_bad_free(fn, obj);
      return;
    }
    st.inuse = false;
    if (!(this.flags & SLAB_TYPESAFE_BY_RCU)) {
      this.objs.delete(o);
      __slab_free_release(a);
      return;
    }
    __slab_free_keep(a);
    this.freelist.push(o);
    const frees = ++st.frees;
    const s = this;
    // The empty slab is discarded after a grace period (discard_slab() -> call_rcu(rcu_free_slab)).
    const head: rcu_head = { next: null, func: null };
    call_rcu_nosched(head, function rcu_free_slab() {
      s.touch();
      if (st.inuse || st.frees !== frees || st.discarded) return;
      st.discarded = true;
      const i = s.freelist.indexOf(o);
      if (i >= 0) s.freelist.splice(i, 1);
      s.objs.delete(o);
      a.flags.slab_page_freed = true;
      release(a);
    });
  }
}

/**
 * kmem_cache_create(name, size, align, flags, ctor): a cache of objects whose initial value
 * `ctor` gives. A plain function (the kernel's takes slab_mutex; caches are made at setup).
 */
export function kmem_cache_create<T extends object>(
  name: string,
  size: number,
  _align: number,
  flags: number,
  ctor: () => T,
): kmem_cache<T> {
  return new kmem_cache(name, size, flags, ctor);
}

/**
 * kmem_cache_alloc(s, gfp): the last freed object of the cache (SLAB_TYPESAFE_BY_RCU: as its last
 * user left it) or a new one; null when failslab fails it. No scheduling point.
 */
export function kmem_cache_alloc<T extends object>(s: kmem_cache<T>, gfp: gfp_t): T | null {
  if (!slab_pre_alloc_hook('kmem_cache_alloc', gfp)) return null;
  s.touch();
  const reused = s.freelist.pop();
  if (reused !== undefined) {
    const st = s.objs.get(reused) as slab_obj_state;
    st.inuse = true;
    const a = allocationOf(reused) as Allocation;
    machine().access(a.id, ACCESS_WRITE);
    __slab_alloc_reuse(reused, a);
    return reused;
  }
  const obj = __slab_alloc_new(s.ctor, s.name, s.object_size, s);
  s.objs.set(obj, { inuse: true, frees: 0, discarded: false });
  return obj;
}

/** kmem_cache_free(s, obj): NULL is a no-op; an object of another cache WARNs (cache_from_obj()). */
export function kmem_cache_free<T extends object>(s: kmem_cache<T>, obj: T | null | undefined): void {
  if (obj === null || obj === undefined) return;
  const c = slab_cache_of(obj);
  if (c !== undefined && c !== s) {
    const t = current();
    t.frames.push('kmem_cache_free'); // cache_from_obj() is inlined there
    WARN_ON_ONCE(true, '', `kmem_cache_free: Wrong slab cache. ${s.name} but object is from ${c.name}`);
    t.frames.pop();
  }
  __kmem_cache_free('kmem_cache_free', obj);
}

// ---------------------------------------------------------------- kfree_rcu

/** kvfree_rcu_list(): the deferred kvfree() of an object queued with its rcu_head. */
function kvfree_rcu_cb(ptr: object): (head: rcu_head) => void {
  return function kvfree_rcu_list() {
    const t = current();
    t.frames.push('kvfree_rcu_list');
    kvfree(ptr);
    t.frames.pop();
  };
}

/**
 * kvfree_call_rcu(head, ptr): kvfree(ptr) after a grace period. head is the object's rcu_head, or
 * null for the head-less (mightsleep) form, which may sleep.
 */
export function kvfree_call_rcu(head: rcu_head | null, ptr: object): void {
  if (head === null) {
    // The pointer goes in a slot of the kfree_rcu_cpu's bulk page, not in the object.
    call_rcu_nosched({ next: null, func: null }, function kvfree_rcu_bulk() {
      const t = current();
      t.frames.push('kvfree_rcu_bulk');
      kvfree(ptr);
      t.frames.pop();
    });
    return;
  }
  call_rcu_nosched(head, kvfree_rcu_cb(ptr));
}

/**
 * kfree_rcu(ptr, rhf): if ptr, kvfree_call_rcu(&ptr->rhf, ptr): ptr is kfree()d after a grace
 * period. `rhf` names ptr's struct rcu_head field. No scheduling point, never sleeps.
 */
export function kfree_rcu<T extends object, K extends keyof T>(ptr: T | null | undefined, rhf: K): void {
  if (ptr === null || ptr === undefined) return;
  kvfree_call_rcu(ptr[rhf] as unknown as rcu_head, ptr);
}

/** kvfree_rcu(ptr, rhf): the same for kvmalloc()ed memory (kvfree() after the grace period). */
export const kvfree_rcu = kfree_rcu;

/** kfree_rcu_mightsleep(ptr): no rcu_head needed; might_sleep() (kvfree_call_rcu(NULL, ptr)). */
export function* kfree_rcu_mightsleep(ptr: object | null | undefined): KGen {
  if (ptr === null || ptr === undefined) return;
  const t = current();
  t.frames.push('kvfree_call_rcu');
  might_sleep('mm/slab_common.c', 0); // kvfree_call_rcu(): if (!head) might_sleep(); (line not pinned)
  t.frames.pop();
  yield undefined;
  kvfree_call_rcu(null, ptr);
}

/** kvfree_rcu_mightsleep(ptr) */
export const kvfree_rcu_mightsleep = kfree_rcu_mightsleep;

/** kvfree_rcu_barrier(): waits for every kfree_rcu() queued before the call (here: rcu_barrier()). */
export function* kvfree_rcu_barrier(): KGen {
  yield* rcu_barrier();
}
