/**
 * Workqueues (kernel/workqueue.c, include/linux/workqueue.h).
 *
 * Simplifications (see docs/fidelity/srcu.md): every workqueue has its own
 * per-CPU pool with at most ONE worker kthread ("kworker/N:M"), created
 * lazily by the first queue_work() on that CPU, so an idle system has no
 * worker tasks at all and a busy one has few. There is no concurrency
 * management: while a work item sleeps, later items of the same workqueue on
 * that CPU wait (the kernel would wake another worker). Idle workers sleep in
 * TASK_INTERRUPTIBLE, so they are never hung tasks. Ordering, non-reentrancy
 * (a work item requeued while running runs again on the same pool after the
 * running instance), flush barriers and the lockdep maps follow the kernel.
 *
 * Footprints (what the explorer sees; docs/fidelity/explore.md): a work item's id stands for its
 * work->data (PENDING bit, the pool it was last queued on, the delayed work's timer): queueing,
 * grabbing and the worker's dequeue write it, work_pending() and the flush paths read it. A pool's
 * id stands for its worklist, current_work, idle flag and worker: every step that changes or reads
 * them accesses it. The workqueue's id stands for its `dying` flag. Pools exist from
 * alloc_workqueue() on (one per CPU, their ids allocated there), so an id never depends on which
 * task queued first.
 */
import {
  type KGen,
  type Task,
  ACCESS_READ,
  ACCESS_WRITE,
  current,
  machine,
  markInternal,
  marked,
  markedRead,
  markedWrite,
  RunSlot,
} from '../sim/index.js';
import { WARN_ON_ONCE } from './bug.js';
import { completion, complete_nosched, wait_for_completion } from './completion.js';
import { jiffiesToNs, onBoot } from './kernel.js';
import type { LockClass } from './events.js';
import { lock_map_acquire, lock_map_release, lockdep_map } from './locking/lockdep.js';
import { kmemleak_add_root, kmemleak_del_root } from './mm/kmemleak.js';
import { timer_softirq_add } from './time/timer.js';
import {
  TASK_INTERRUPTIBLE,
  kthread_run,
  might_sleep,
  schedule,
  set_current_state,
  wake_up_process,
} from './sched/core.js';

markInternal('worker_thread', 'process_one_work', 'wq_barrier_func', 'delayed_work_timer_fn');

/** A work function: a generator (it may sleep) or a plain function. */
export type work_func_t = (work: work_struct) => KGen | void;

/** WORK_CPU_UNBOUND: queue on the local CPU. */
export const WORK_CPU_UNBOUND = -1;

// alloc_workqueue() flags (accepted, mostly without effect here).
export const WQ_UNBOUND = 1 << 1;
export const WQ_FREEZABLE = 1 << 2;
export const WQ_MEM_RECLAIM = 1 << 3;
export const WQ_HIGHPRI = 1 << 4;
export const WQ_PERCPU = 1 << 8;

/**
 * struct work_struct. A plain struct (INIT_WORK() builds it), so that inside a kmalloc'ed object it
 * is embedded tracked memory: once its container is freed, the workqueue's accesses to it
 * (queue_work(), flush_work(), the worker's dequeue) are KASAN reports. The machinery's accesses
 * are marked (the kernel's are atomic bitops on work->data, or under the pool lock).
 */
export interface work_struct {
  readonly id: number;
  func: work_func_t;
  readonly name: string;
  /** WORK_STRUCT_PENDING */
  pending: boolean;
  /** The disable count in work->data's off-queue bits (disable_work(), cancel_work_sync()'s WORK_CANCEL_DISABLE). */
  disable: number;
  /** The pool the item is queued on or last ran on (get_work_pool()). */
  pool: worker_pool | null;
  /** The delayed_work this is embedded in, if any. */
  dwork: delayed_work | null;
  /** (work_completion)(name): lockdep's view of running this work. */
  readonly lockdep_map: lockdep_map;
  /** Internal flush barrier (struct wq_barrier). */
  barrier: completion | null;
}

/**
 * The lockdep classes of work items and workqueues, by the item's or queue's name, looked up once
 * per name (a name built per boot was hashed again at every class look-up). Each item and queue
 * still has its own lockdep_map, as each work_struct embeds its own in the kernel.
 */
const workClasses = new Map<string, LockClass>();
const wqClasses = new Map<string, LockClass>();

/** A new lockdep_map of class `${before}${name}${after}`, the class looked up in `classes` by name. */
function mapOf(classes: Map<string, LockClass>, name: string, before: string, after: string): lockdep_map {
  let c = classes.get(name);
  if (c === undefined) classes.set(name, (c = new lockdep_map(`${before}${name}${after}`).cls));
  return new lockdep_map(c);
}

/** (work_completion)(name) */
function workMap(name: string): lockdep_map {
  return mapOf(workClasses, name, '(work_completion)(', ')');
}

/** (wq_completion)name */
function wqMap(name: string): lockdep_map {
  return mapOf(wqClasses, name, '(wq_completion)', '');
}

function new_work_struct(func: work_func_t, name: string = func.name || 'work'): work_struct {
  return {
    id: machine().newId(),
    func,
    name,
    pending: false,
    disable: 0,
    pool: null,
    dwork: null,
    lockdep_map: workMap(name),
    barrier: null,
  };
}

/** INIT_WORK(&work, func): returns the initialised work item. */
export function INIT_WORK(func: work_func_t, name?: string): work_struct {
  return new_work_struct(func, name);
}

export class delayed_work {
  readonly work: work_struct;
  timer: { cancel(): boolean } | null = null;
  wq: workqueue_struct | null = null;
  cpu = WORK_CPU_UNBOUND;
  constructor(func: work_func_t, name?: string) {
    this.work = new_work_struct(func, name);
    this.work.dwork = this;
  }
}

/** INIT_DELAYED_WORK(&dwork, func) */
export function INIT_DELAYED_WORK(func: work_func_t, name?: string): delayed_work {
  return new delayed_work(func, name);
}

/** to_delayed_work() */
export function to_delayed_work(work: work_struct): delayed_work {
  const dw = markedRead(work, 'dwork');
  if (!dw) throw new Error(`${markedRead(work, 'name')} is not a delayed_work`);
  return dw;
}

/** One CPU's pool of a workqueue (a pool_workqueue and its worker_pool folded together). */
export class worker_pool {
  readonly id: number;
  readonly wq: workqueue_struct;
  readonly cpu: number;
  readonly worklist: work_struct[] = [];
  worker: Task | null = null;
  /** The work item being executed, if any. */
  current_work: work_struct | null = null;
  idle = false;
  constructor(wq: workqueue_struct, cpu: number) {
    this.id = machine().newId();
    this.wq = wq;
    this.cpu = cpu;
  }
}

export class workqueue_struct {
  /** Object id of the workqueue's own state (`dying`). */
  readonly id: number;
  readonly name: string;
  readonly flags: number;
  readonly max_active: number;
  readonly pools: worker_pool[] = [];
  /** (wq_completion)name */
  readonly lockdep_map: lockdep_map;
  dying = false;
  constructor(name: string, flags: number, max_active: number) {
    const m = machine();
    this.id = m.newId();
    this.name = name;
    this.flags = flags;
    this.max_active = max_active;
    this.lockdep_map = wqMap(name);
    // alloc_and_link_pwqs(): every CPU's pool exists from the start (its worker does not).
    for (let cpu = 0; cpu < m.nrCpus; cpu++) this.pools.push(new worker_pool(this, cpu));
    // On the global `workqueues` list: its worklists are what kmemleak's scan reaches queued work from.
    kmemleak_add_root(this);
  }
  pool(cpu: number): worker_pool {
    return this.pools[cpu] as worker_pool;
  }
}

/** alloc_workqueue(fmt, flags, max_active) */
export function alloc_workqueue(name: string, flags = 0, max_active = 0): workqueue_struct {
  return new workqueue_struct(name, flags, max_active);
}

/** alloc_ordered_workqueue(): one item at a time (our pools already run one at a time per CPU). */
export function alloc_ordered_workqueue(name: string, flags = 0): workqueue_struct {
  return new workqueue_struct(name, flags | WQ_UNBOUND, 1);
}

/** system_wq ("events"), re-created per boot. */
export let system_wq: workqueue_struct;
/** system_unbound_wq ("events_unbound"). */
export let system_unbound_wq: workqueue_struct;

onBoot(() => {
  system_wq = alloc_workqueue('events', WQ_PERCPU);
  system_unbound_wq = alloc_workqueue('events_unbound', WQ_UNBOUND);
});

const KWORKER_IDS = new RunSlot('kworker-ids', (): number[] => []);

function worker_name(cpu: number): string {
  const m = machine();
  const ids = m.ext.of(KWORKER_IDS);
  const n = ids[cpu] ?? 0;
  ids[cpu] = n + 1;
  return `kworker/${cpu}:${n}`;
}

function isGen(v: unknown): v is KGen {
  return typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function';
}

/** process_one_work() */
function* process_one_work(pool: worker_pool, work: work_struct): KGen {
  const t = current();
  t.frames.push('process_one_work');
  pool.current_work = work;
  const barrier = markedRead(work, 'barrier');
  if (barrier) {
    // wq_barrier_func(): completes the flusher's completion.
    complete_nosched(barrier);
  } else {
    const map = markedRead(work, 'lockdep_map');
    lock_map_acquire(pool.wq.lockdep_map);
    lock_map_acquire(map);
    const r = markedRead(work, 'func')(work);
    if (isGen(r)) yield* r;
    lock_map_release(map);
    lock_map_release(pool.wq.lockdep_map);
  }
  pool.current_work = null;
  machine().access(pool.id, ACCESS_WRITE);
  t.frames.pop();
}

/** worker_thread(): runs the pool's items in order; sleeps TASK_INTERRUPTIBLE when idle. */
function* worker_thread(pool: worker_pool): KGen {
  const t = current();
  const m = machine();
  t.frames.push('worker_thread');
  t.data.worker_pool = pool;
  yield undefined;
  for (;;) {
    m.access(pool.id, ACCESS_WRITE);
    const work = pool.worklist.shift();
    if (!work) {
      m.access(pool.wq.id, ACCESS_READ);
      if (pool.wq.dying) break;
      pool.idle = true;
      set_current_state(TASK_INTERRUPTIBLE);
      yield* schedule(null);
      continue;
    }
    pool.idle = false;
    m.access(markedRead(work, 'id'), ACCESS_WRITE);
    markedWrite(work, 'pending', false);
    yield* process_one_work(pool, work);
    yield undefined;
  }
  t.frames.pop();
}

function kick_worker(pool: worker_pool): void {
  if (pool.worker) machine().access(pool.worker.stateId, ACCESS_READ);
  if (!pool.worker || pool.worker.dead) {
    pool.idle = false;
    pool.worker = kthread_run(() => worker_thread(pool), worker_name(pool.cpu), pool.cpu);
    return;
  }
  if (pool.idle) {
    pool.idle = false;
    wake_up_process(pool.worker);
  }
}

function insert_work(pool: worker_pool, work: work_struct, at = pool.worklist.length): void {
  machine().access(pool.id, ACCESS_WRITE);
  markedWrite(work, 'pool', pool);
  pool.worklist.splice(at, 0, work);
  kick_worker(pool);
}

/**
 * __queue_work() without the scheduling point, for machinery inside a step
 * of its own (timers, SRCU). Returns false if the work was already pending.
 */
export function queue_work_on_nosched(cpu: number, wq: workqueue_struct, work: work_struct): boolean {
  const t = current();
  t.frames.push('queue_work_on');
  const ret = marked(() => __queue_work_on(cpu, wq, work));
  t.frames.pop();
  return ret;
}

function __queue_work_on(cpu: number, wq: workqueue_struct, work: work_struct): boolean {
  const m = machine();
  m.access(work.id, ACCESS_WRITE);
  if (work.pending) return false;
  // clear_pending_if_disabled(): a disabled item is not queued.
  if (work.disable > 0) return false;
  m.access(wq.id, ACCESS_READ);
  if (wq.dying) {
    // __queue_work(): WARN_ON_ONCE(!is_chained_work(wq)) on a dying wq; just drop it.
    return false;
  }
  if (cpu === WORK_CPU_UNBOUND || cpu < 0 || cpu >= m.nrCpus) cpu = current().cpu;
  // Non-reentrancy: if the item is still running on a pool of this wq, queue it there.
  let pool = wq.pool(cpu);
  const last = work.pool;
  if (last && last.wq === wq) {
    // get_work_pool() + find_worker_executing_work(): the last pool's running item.
    m.access(last.id, ACCESS_READ);
    if (last.current_work === work) pool = last;
  }
  work.pending = true;
  insert_work(pool, work);
  return true;
}

/** queue_work_on(cpu, wq, work): false if it was already pending. */
export function* queue_work_on(cpu: number, wq: workqueue_struct, work: work_struct): KGen<boolean> {
  yield undefined;
  return queue_work_on_nosched(cpu, wq, work);
}

/** queue_work(wq, work): on the local CPU. */
export function* queue_work(wq: workqueue_struct, work: work_struct): KGen<boolean> {
  yield undefined;
  return queue_work_on_nosched(WORK_CPU_UNBOUND, wq, work);
}

/** schedule_work(work): queue_work(system_wq, work). */
export function* schedule_work(work: work_struct): KGen<boolean> {
  yield undefined;
  return queue_work_on_nosched(WORK_CPU_UNBOUND, system_wq, work);
}

/** Arms a delayed work's timer (or queues it now for delay 0), without a scheduling point. */
export function queue_delayed_work_on_nosched(
  cpu: number,
  wq: workqueue_struct,
  dwork: delayed_work,
  delay: number,
): boolean {
  return marked(() => __queue_delayed_work_on(cpu, wq, dwork, delay));
}

function __queue_delayed_work_on(cpu: number, wq: workqueue_struct, dwork: delayed_work, delay: number): boolean {
  const work = dwork.work;
  const m = machine();
  m.access(work.id, ACCESS_WRITE);
  if (work.pending) return false;
  if (work.disable > 0) return false; // clear_pending_if_disabled()
  if (delay <= 0) return queue_work_on_nosched(cpu, wq, work);
  if (cpu === WORK_CPU_UNBOUND) cpu = current().cpu;
  work.pending = true;
  dwork.wq = wq;
  dwork.cpu = cpu;
  kmemleak_add_root(dwork); // on the timer base
  // __queue_delayed_work(): add_timer_on(cpu) (or add_timer(): the local CPU) of dwork->timer.
  const tm = timer_softirq_add(m.clock() + jiffiesToNs(delay), cpu, () => delayed_work_timer_fn(dwork, work, cpu, wq));
  dwork.timer = tm;
  return true;
}

/**
 * delayed_work_timer_fn(): the timer queues the work on the CPU and workqueue it was armed for
 * (module-level, its arguments what the kernel keeps in the delayed_work: a generator function
 * made per arming would keep the run's world alive through the young GC; docs/architecture.md).
 */
function* delayed_work_timer_fn(dwork: delayed_work, work: work_struct, cpu: number, wq: workqueue_struct): KGen {
  kmemleak_del_root(dwork);
  dwork.timer = null;
  markedWrite(work, 'pending', false);
  queue_work_on_nosched(cpu, wq, work);
}

export function* queue_delayed_work_on(
  cpu: number,
  wq: workqueue_struct,
  dwork: delayed_work,
  delay: number,
): KGen<boolean> {
  yield undefined;
  return queue_delayed_work_on_nosched(cpu, wq, dwork, delay);
}

/** queue_delayed_work(wq, dwork, delay_jiffies) */
export function* queue_delayed_work(wq: workqueue_struct, dwork: delayed_work, delay: number): KGen<boolean> {
  yield undefined;
  return queue_delayed_work_on_nosched(WORK_CPU_UNBOUND, wq, dwork, delay);
}

/** schedule_delayed_work(dwork, delay_jiffies) */
export function* schedule_delayed_work(dwork: delayed_work, delay: number): KGen<boolean> {
  yield undefined;
  return queue_delayed_work_on_nosched(WORK_CPU_UNBOUND, system_wq, dwork, delay);
}

/** Inserts a flush barrier behind `work` (pending or running); null if the work is idle. */
function insert_wq_barrier(work: work_struct): completion | null {
  const t = current();
  t.frames.push('__flush_work');
  const done = marked(() => start_flush_work(work));
  t.frames.pop();
  return done;
}

/** start_flush_work() */
function start_flush_work(work: work_struct): completion | null {
  // start_flush_work(): get_work_pool(work) reads work->data, then the pool under its lock.
  const m = machine();
  m.access(work.id, ACCESS_READ);
  const pool = work.pool;
  if (!pool) return null;
  m.access(pool.id, ACCESS_READ);
  const i = pool.worklist.indexOf(work);
  let at: number;
  if (i >= 0) at = i + 1;
  else if (pool.current_work === work) at = 0;
  else return null;
  const done = new completion(`wq_barrier(${work.name})`);
  const owner = pool;
  done.completers = () => (owner.worker ? [owner.worker] : []);
  const barr = new_work_struct(function wq_barrier_func() {}, 'wq_barrier');
  barr.barrier = done;
  insert_work(pool, barr, at);
  return done;
}

/** flush_work(): waits for the last queueing of `work` to finish. Returns whether it waited. */
export function* flush_work(work: work_struct): KGen<boolean> {
  const t = current();
  t.frames.push('flush_work');
  might_sleep('kernel/workqueue.c', 4236);
  const map = markedRead(work, 'lockdep_map');
  lock_map_acquire(map);
  lock_map_release(map);
  yield undefined;
  const done = insert_wq_barrier(work);
  if (done) yield* wait_for_completion(done);
  t.frames.pop();
  return done !== null;
}

/** flush_delayed_work(): queues a pending delayed work now, then flushes it. */
export function* flush_delayed_work(dwork: delayed_work): KGen<boolean> {
  yield undefined;
  // del_timer_sync(&dwork->timer): the timer handle is part of work->data here.
  marked(() => {
    machine().access(dwork.work.id, ACCESS_WRITE);
    if (dwork.timer?.cancel()) {
      kmemleak_del_root(dwork);
      dwork.timer = null;
      dwork.work.pending = false;
      queue_work_on_nosched(dwork.cpu, dwork.wq ?? system_wq, dwork.work);
    }
  });
  return yield* flush_work(dwork.work);
}

/** Removes a pending item (timer or worklist). Returns whether it was pending. */
function try_to_grab_pending(work: work_struct): boolean {
  return marked(() => __try_to_grab_pending(work));
}

function __try_to_grab_pending(work: work_struct): boolean {
  machine().access(work.id, ACCESS_WRITE);
  if (!work.pending) return false;
  const dw = work.dwork;
  if (dw?.timer?.cancel()) {
    kmemleak_del_root(dw);
    dw.timer = null;
    work.pending = false;
    return true;
  }
  const pool = work.pool;
  if (pool) {
    machine().access(pool.id, ACCESS_WRITE);
    const i = pool.worklist.indexOf(work);
    if (i >= 0) pool.worklist.splice(i, 1);
  }
  work.pending = false;
  return true;
}

/**
 * __cancel_work_sync(): __cancel_work(work, WORK_CANCEL_DISABLE) grabs a pending item and disables
 * the work (so a running instance that requeues itself queues nothing), __flush_work() waits for a
 * running one, then enable_work() unless the caller asked to stay disabled. So once it returns the
 * work is neither pending nor running, even if it requeues itself. Returns whether it was pending.
 */
function* __cancel_work_sync(work: work_struct, disable: boolean): KGen<boolean> {
  might_sleep('kernel/workqueue.c', 4379);
  yield undefined;
  const was = try_to_grab_pending(work);
  work_offqd_disable(work);
  const done = insert_wq_barrier(work);
  if (done) yield* wait_for_completion(done);
  if (!disable) work_offqd_enable(work); // enable_work()
  return was;
}

/** work_offqd_disable(): one more disable on work->data. */
function work_offqd_disable(work: work_struct): void {
  machine().access(markedRead(work, 'id'), ACCESS_WRITE);
  markedWrite(work, 'disable', markedRead(work, 'disable') + 1);
}

/** work_offqd_enable(): one disable less (WARN_ONCE on underflow); returns the count left. */
function work_offqd_enable(work: work_struct): number {
  machine().access(markedRead(work, 'id'), ACCESS_WRITE);
  const n = markedRead(work, 'disable');
  if (n > 0) markedWrite(work, 'disable', n - 1);
  else WARN_ON_ONCE(true, 'kernel/workqueue.c', 'workqueue: work disable count underflowed');
  return Math.max(0, n - 1);
}

/** cancel_work_sync(): dequeues a pending item and waits for a running one. Returns whether it was pending. */
export function* cancel_work_sync(work: work_struct): KGen<boolean> {
  const t = current();
  t.frames.push('cancel_work_sync');
  const was = yield* __cancel_work_sync(work, false);
  t.frames.pop();
  return was;
}

/** disable_work_sync(): cancel_work_sync() that leaves the work disabled until enable_work(). */
export function* disable_work_sync(work: work_struct): KGen<boolean> {
  const t = current();
  t.frames.push('disable_work_sync');
  const was = yield* __cancel_work_sync(work, true);
  t.frames.pop();
  return was;
}

/** disable_work(): grabs a pending item and disables the work, without waiting for a running one. */
export function* disable_work(work: work_struct): KGen<boolean> {
  yield undefined;
  const was = try_to_grab_pending(work);
  work_offqd_disable(work);
  return was;
}

/** enable_work(): drops one disable (work_offqd_enable(): WARN_ONCE on underflow); returns whether the work is enabled again. */
export function* enable_work(work: work_struct): KGen<boolean> {
  yield undefined;
  return work_offqd_enable(work) === 0;
}

/** cancel_work(): dequeues a pending item without waiting. */
export function* cancel_work(work: work_struct): KGen<boolean> {
  yield undefined;
  return try_to_grab_pending(work);
}

/** cancel_delayed_work_sync() */
export function* cancel_delayed_work_sync(dwork: delayed_work): KGen<boolean> {
  const t = current();
  t.frames.push('cancel_delayed_work_sync');
  const was = yield* __cancel_work_sync(dwork.work, false);
  t.frames.pop();
  return was;
}

/** cancel_delayed_work() */
export function* cancel_delayed_work(dwork: delayed_work): KGen<boolean> {
  return yield* cancel_work(dwork.work);
}

/** flush_workqueue(): waits for every item queued before the call. */
export function* flush_workqueue(wq: workqueue_struct): KGen {
  const t = current();
  t.frames.push('flush_workqueue');
  might_sleep('kernel/workqueue.c', 3950);
  lock_map_acquire(wq.lockdep_map);
  lock_map_release(wq.lockdep_map);
  yield undefined;
  const m = machine();
  const waits: completion[] = [];
  for (const pool of wq.pools) {
    m.access(pool.id, ACCESS_READ);
    if (pool.worklist.length === 0 && pool.current_work === null) continue;
    const done = new completion(`flush_workqueue(${wq.name})`);
    done.completers = () => (pool.worker ? [pool.worker] : []);
    const barr = new_work_struct(function wq_barrier_func() {}, 'wq_barrier');
    barr.barrier = done;
    insert_work(pool, barr);
    waits.push(done);
  }
  for (const d of waits) yield* wait_for_completion(d);
  t.frames.pop();
}

/** drain_workqueue(): flushes until empty (no chained requeueing is refused here). */
export function* drain_workqueue(wq: workqueue_struct): KGen {
  for (;;) {
    yield* flush_workqueue(wq);
    const m = machine();
    let idle = true;
    for (const p of wq.pools) {
      m.access(p.id, ACCESS_READ);
      if (p.worklist.length !== 0 || p.current_work !== null) idle = false;
    }
    if (idle) return;
  }
}

/** destroy_workqueue(): drains, then lets the workers exit. */
export function* destroy_workqueue(wq: workqueue_struct): KGen {
  yield* drain_workqueue(wq);
  const m = machine();
  m.access(wq.id, ACCESS_WRITE);
  wq.dying = true;
  for (const pool of wq.pools) {
    m.access(pool.id, ACCESS_WRITE);
    if (!pool.worker) continue;
    if (pool.idle) {
      pool.idle = false;
      wake_up_process(pool.worker);
    }
  }
}

/** work_pending() */
export function work_pending(work: work_struct): boolean {
  machine().access(markedRead(work, 'id'), ACCESS_READ);
  return markedRead(work, 'pending');
}

/** delayed_work_pending() */
export function delayed_work_pending(dwork: delayed_work): boolean {
  return work_pending(dwork.work);
}

/** current_work(): the item the current task (a kworker) is running, if any. */
export function current_work(): work_struct | null {
  const pool = current().data.worker_pool as worker_pool | undefined;
  if (!pool) return null;
  machine().access(pool.id, ACCESS_READ);
  return pool.current_work;
}
