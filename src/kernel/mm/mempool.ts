/**
 * Memory pools (mm/mempool.c, include/linux/mempool.h): a reserve of min_nr
 * preallocated elements that guarantees forward progress.
 *
 * The pool itself is a slab object (struct mempool_s, with its elements
 * array embedded), so touching a destroyed pool is a KASAN use-after-free.
 * pool->lock is not modelled: each locked section is one step.
 */
import { type KGen, current, markInternal } from '../../sim/index.js';
import { HZ } from '../kernel.js';
import { TASK_UNINTERRUPTIBLE, schedule_timeout } from '../sched/core.js';
import {
  DECLARE_WAIT_QUEUE_HEAD,
  DEFINE_WAIT,
  __prepare_to_wait,
  finish_wait,
  type wait_queue_head_t,
  wake_up,
  wq_has_sleeper,
} from '../sched/wait.js';
import {
  __GFP_DIRECT_RECLAIM,
  __GFP_IO,
  __GFP_NOMEMALLOC,
  __GFP_NORETRY,
  __GFP_NOWARN,
  GFP_KERNEL,
  type gfp_t,
  kfree,
  kmalloc,
  kzalloc,
  might_alloc,
} from './slab.js';

markInternal('mempool_alloc', 'mempool_free', 'mempool_create', 'mempool_destroy');

export type mempool_alloc_t<T> = (gfp: gfp_t) => T | null;
export type mempool_free_t<T> = (element: T) => void;

/** struct mempool_s (mempool_t) */
export interface mempool_t<T extends object = object> {
  min_nr: number;
  curr_nr: number;
  elements: (T | null)[];
  alloc: mempool_alloc_t<T>;
  free: mempool_free_t<T>;
  wait: wait_queue_head_t;
}

function add_element<T extends object>(pool: mempool_t<T>, element: T): void {
  pool.elements[pool.curr_nr++] = element;
}

function remove_element<T extends object>(pool: mempool_t<T>): T {
  const element = pool.elements[--pool.curr_nr] as T;
  pool.elements[pool.curr_nr] = null;
  return element;
}

/**
 * mempool_create(min_nr, alloc_fn, free_fn, pool_data): allocates the pool
 * (GFP_KERNEL) and preallocates min_nr elements; NULL if any allocation fails.
 * pool_data is folded into the two closures.
 */
export function mempool_create<T extends object>(
  min_nr: number,
  alloc_fn: mempool_alloc_t<T>,
  free_fn: mempool_free_t<T>,
): mempool_t<T> | null {
  const t = current();
  t.frames.push('mempool_create');
  const pool = kzalloc(
    (): mempool_t<T> => ({
      min_nr,
      curr_nr: 0,
      elements: new Array<T | null>(min_nr).fill(null),
      alloc: alloc_fn,
      free: free_fn,
      wait: DECLARE_WAIT_QUEUE_HEAD(),
    }),
    GFP_KERNEL,
    'mempool_t',
  );
  if (pool) {
    while (pool.curr_nr < pool.min_nr) {
      const element = pool.alloc(GFP_KERNEL);
      if (!element) {
        mempool_destroy(pool);
        t.frames.pop();
        return null;
      }
      add_element(pool, element);
    }
  }
  t.frames.pop();
  return pool;
}

/** mempool_create_kmalloc_pool(min_nr, size): elements are kmalloc'd objects built by `init`. */
export function mempool_create_kmalloc_pool<T extends object>(
  min_nr: number,
  init: () => T,
  label: string,
): mempool_t<T> | null {
  return mempool_create<T>(
    min_nr,
    (gfp) => kmalloc(init, gfp, label),
    (element) => kfree(element),
  );
}

/**
 * mempool_alloc(pool, gfp): the allocator first (without direct reclaim),
 * then the reserve, then the allocator with the caller's gfp; a caller that
 * may sleep then waits (io_schedule_timeout(5*HZ)) for an element to be
 * freed and retries; one that may not gets NULL.
 */
export function* mempool_alloc<T extends object>(pool: mempool_t<T>, gfp_mask: gfp_t): KGen<T | null> {
  const t = current();
  t.frames.push('mempool_alloc');
  might_alloc(gfp_mask);
  const gfp = gfp_mask | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN;
  let gfp_temp = gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
  for (;;) {
    const element = pool.alloc(gfp_temp);
    if (element) {
      t.frames.pop();
      return element;
    }
    yield undefined; // spin_lock_irqsave(&pool->lock)
    if (pool.curr_nr) {
      const e = remove_element(pool);
      t.frames.pop();
      return e;
    }
    if (gfp_temp !== gfp) {
      gfp_temp = gfp;
      continue;
    }
    if (!(gfp & __GFP_DIRECT_RECLAIM)) {
      t.frames.pop();
      return null;
    }
    // Wait for someone else to return an element to the pool (queued under pool->lock).
    const wait = DEFINE_WAIT();
    __prepare_to_wait(pool.wait, wait, TASK_UNINTERRUPTIBLE);
    yield* schedule_timeout(5 * HZ());
    yield* finish_wait(pool.wait, wait);
  }
}

/** mempool_free(element, pool): refills the reserve if below min_nr (waking waiters), else frees. */
export function* mempool_free<T extends object>(element: T | null, pool: mempool_t<T>): KGen {
  if (element === null) return;
  const t = current();
  t.frames.push('mempool_free');
  yield undefined;
  if (pool.curr_nr < pool.min_nr) {
    add_element(pool, element);
    if (wq_has_sleeper(pool.wait)) yield* wake_up(pool.wait);
    t.frames.pop();
    return;
  }
  pool.free(element);
  t.frames.pop();
}

/** mempool_destroy(pool): frees the reserve and the pool (NULL is a no-op). */
export function mempool_destroy<T extends object>(pool: mempool_t<T> | null): void {
  if (!pool) return;
  while (pool.curr_nr) pool.free(remove_element(pool));
  kfree(pool);
}
