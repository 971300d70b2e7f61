/**
 * Sleepable RCU (kernel/rcu/srcutree.c, include/linux/srcu.h, srcutree.h).
 *
 * Read side: per-CPU srcu_lock_count[2]/srcu_unlock_count[2] and the index
 * flip, as in srcutree. srcu_read_lock() reads srcu_idx and increments the
 * lock counter of that index on the reader's CPU in one step (the machine is
 * sequentially consistent, so the kernel's smp_mb() pairs are implied).
 *
 * Grace periods: the kernel's srcu_advance_state() state machine
 * (SRCU_STATE_IDLE → SCAN1 → SCAN2 → IDLE), run by process_srcu() from a
 * timer on pid 0 (the kernel runs it as delayed work on rcu_gp_wq; it never
 * sleeps, so it needs no worker of its own). Where the kernel polls a
 * non-zero reader count again after srcu_get_delay(), our GP records the
 * index it waits on and the srcu_read_unlock() that drains that index
 * re-arms process_srcu(). So a grace period blocked by a reader costs no
 * steps while it waits, and a reader that never leaves (synchronize_srcu()
 * in its own read section) leaves every task asleep: a real deadlock that
 * ends the run, with the wait-for edge visible through Waitable.owners().
 *
 * Callbacks: in the default SRCU_SIZE_SMALL state every callback goes on the
 * boot CPU's srcu_data (one FIFO per domain); in SRCU_SIZE_BIG (config
 * srcutree_convert_to_big) on the queuing task's CPU's. Each is tagged with
 * the grace period it needs (rcu_seq_snap()); when a grace period ends, the
 * srcu_data with ready callbacks get their srcu_invoke_callbacks() work queued
 * on rcu_gp_wq on their CPU, which runs each callback inside local_bh_disable().
 * synchronize_srcu() is __call_srcu() of wakeme_after_rcu() plus
 * wait_for_completion(), and srcu_barrier() entrains a callback behind the
 * last one of every CPU that has any, as the kernel does.
 *
 * Differences from srcutree are listed in docs/fidelity/srcu.md.
 */
import {
  type KGen,
  type Task,
  type Waitable,
  ACCESS_READ,
  ACCESS_WRITE,
  current,
  machine,
  markInternal,
} from '../../sim/index.js';
import { WARN_ON, WARN_ON_ONCE, pr_info } from '../bug.js';
import { completion, complete_nosched, wait_for_completion, wait_for_completion_noyield } from '../completion.js';
import { kconfig, onBoot } from '../kernel.js';
import {
  lock_is_held,
  lock_map_acquire_read,
  lock_map_release,
  lock_map_sync,
  lockdep_map,
} from '../locking/lockdep.js';
import { mutex, mutex_lock, mutex_unlock } from '../locking/mutex.js';
import { kmemleak_add_root } from '../mm/kmemleak.js';
import { READ_ONCE } from '../once.js';
import { local_bh_disable, local_bh_enable } from '../preempt.js';
import { might_sleep } from '../sched/core.js';
import { type work_struct, INIT_WORK, flush_work, queue_work_on_nosched } from '../workqueue.js';
import type { SrcuCbEvent, SrcuGpEvent } from './events.js';
import { rcu_gp_wq } from './tree.js';
import { RCU_LOCKDEP_WARN, type rcu_callback_t, type rcu_head, rcu_read_lock_held } from './update.js';

export { RCU_HEAD_INIT, type rcu_callback_t, type rcu_head } from './update.js';

const SRCUTREE = 'kernel/rcu/srcutree.c';

markInternal(
  'synchronize_srcu',
  '__synchronize_srcu',
  'call_srcu',
  '__call_srcu',
  'srcu_barrier',
  'srcu_invoke_callbacks',
  'process_srcu',
  'cleanup_srcu_struct',
  'srcu_read_lock',
  'srcu_read_unlock',
);

// rcu_seq states of srcu_gp_seq (kernel/rcu/srcutree.c).
export const SRCU_STATE_IDLE = 0;
export const SRCU_STATE_SCAN1 = 1;
export const SRCU_STATE_SCAN2 = 2;

// srcu_size_state (include/linux/srcutree.h). The transitional states between SMALL and BIG
// (SRCU_SIZE_ALLOC … SRCU_SIZE_WAIT_CBS4) are not modelled: a domain is one or the other for life.
export const SRCU_SIZE_SMALL = 0;
export const SRCU_SIZE_BIG = 9;

/** get_boot_cpu_id() */
const BOOT_CPU = 0;

interface srcu_cb {
  readonly head: rcu_head;
  readonly func: rcu_callback_t;
  /** The grace-period number this callback waits for. */
  readonly seq: number;
}

/** struct srcu_data: one CPU's counters and callback list. */
export class srcu_data {
  readonly cpu: number;
  readonly ssp: srcu_struct;
  readonly srcu_lock_count: [number, number] = [0, 0];
  readonly srcu_unlock_count: [number, number] = [0, 0];
  /** Object ids of the two counter pairs (footprints). */
  readonly ctrId: [number, number];
  /** Object id of the callback list. */
  readonly id: number;
  /** Queued callbacks not yet extracted for invocation, in queuing order. */
  readonly srcu_cblist: srcu_cb[] = [];
  /** rcu_segcblist_n_cbs(): queued plus extracted-but-still-running. */
  len = 0;
  srcu_cblist_invoking = false;
  readonly work: work_struct;
  readonly srcu_barrier_head: rcu_head = { next: null, func: null };

  constructor(ssp: srcu_struct, cpu: number) {
    const m = machine();
    this.ssp = ssp;
    this.cpu = cpu;
    this.ctrId = [m.newId(), m.newId()];
    this.id = m.newId();
    this.work = INIT_WORK(() => srcu_invoke_callbacks(this), 'srcu_invoke_callbacks');
  }
}

interface reader {
  readonly task: Task;
  readonly idx: number;
}

/**
 * struct srcu_struct (with srcu_usage folded in). It is also the Waitable of
 * its current grace period: owners() are the readers that grace period still
 * waits for.
 */
export class srcu_struct implements Waitable {
  readonly name: string;
  readonly dep_map: lockdep_map;
  sda!: srcu_data[];
  /** srcu_idx: bit 0 selects the counters new readers use. */
  srcu_idx = 0;
  idxId = 0;
  /** Object id of the grace-period state. */
  gpId = 0;
  /** Number of grace periods started (srcu_gp_seq >> 2 in the kernel). */
  srcu_gp_seq = 0;
  srcu_gp_completed = 0;
  srcu_gp_seq_needed = 0;
  gp_state = SRCU_STATE_IDLE;
  /** Counter index the grace period found readers on, or -1. */
  gp_wait_idx = -1;
  gp_armed = false;
  /** Tasks inside a read section, with their index (diagnostics, owners()). */
  readers: reader[] = [];
  srcu_barrier_mutex!: mutex;
  srcu_barrier_completion!: completion;
  srcu_barrier_cpu_cnt = 0;
  srcu_barrier_seq = 0;
  /** Object id of srcu_barrier_seq and srcu_barrier_cpu_cnt (footprints). */
  barrierId = 0;
  /** rcu_head debug-object state (CONFIG_DEBUG_OBJECTS_RCU_HEAD): heads queued and not yet invoked. */
  queued = new Set<rcu_head>();
  /** Object id of `queued` (footprints; accessed only with CONFIG_DEBUG_OBJECTS_RCU_HEAD, which reads it). */
  queuedId = 0;
  initialized = false;
  /** srcu_sup->srcu_size_state: SRCU_SIZE_SMALL or SRCU_SIZE_BIG (decided by init()). */
  srcu_size_state = SRCU_SIZE_SMALL;

  /** srcu_barrier_completion's name (built once: init() runs at every boot for a static domain). */
  private readonly barrierName: string;

  constructor(name: string, init = true) {
    this.name = name;
    this.barrierName = `srcu_barrier(${name})`;
    // Immutable (its class only): one for the domain's life, not one per init() (per boot).
    this.dep_map = new lockdep_map(name, 'srcu');
    if (init) this.init();
  }

  /** init_srcu_struct() body: fresh counters, lists and maps (per boot for static ones). */
  init(): void {
    const m = machine();
    this.sda = [];
    for (let cpu = 0; cpu < m.nrCpus; cpu++) this.sda.push(new srcu_data(this, cpu));
    this.srcu_idx = 0;
    this.idxId = m.newId();
    this.gpId = m.newId();
    this.srcu_gp_seq = 0;
    this.srcu_gp_completed = 0;
    this.srcu_gp_seq_needed = 0;
    this.gp_state = SRCU_STATE_IDLE;
    this.gp_wait_idx = -1;
    this.gp_armed = false;
    this.readers = [];
    this.srcu_barrier_mutex = new mutex(`&ssp->srcu_sup->srcu_barrier_mutex`);
    this.srcu_barrier_completion = new completion(this.barrierName);
    this.srcu_barrier_cpu_cnt = 0;
    this.srcu_barrier_seq = 0;
    this.barrierId = m.newId();
    this.queued = new Set();
    this.queuedId = m.newId();
    // init_srcu_struct_fields(): SRCU_SIZE_SMALL, converted at once when SRCU_SIZING_IS_INIT(),
    // which srcu_init() makes of SRCU_SIZING_AUTO on a machine with big_cpu_lim CPUs or more.
    this.srcu_size_state = srcu_sizing_init(m.nrCpus) ? SRCU_SIZE_BIG : SRCU_SIZE_SMALL;
    this.initialized = true;
  }

  /** The readers the grace period in progress still waits for. */
  owners(): readonly Task[] {
    if (this.gp_state === SRCU_STATE_IDLE) return [];
    return srcu_gp_blockers(this, this.srcu_gp_seq);
  }

  describe(): string {
    return `srcu grace period (${this.name})`;
  }
}

/** Whether convert_to_big (after srcu_init()'s SRCU_SIZING_AUTO decision) is SRCU_SIZING_INIT. */
function srcu_sizing_init(nr_cpu_ids: number): boolean {
  const c = kconfig();
  const convert = (c.srcutree_convert_to_big ?? 3) & ~0x10;
  if (convert === 1) return true;
  return convert === 3 && nr_cpu_ids >= (c.srcutree_big_cpu_lim ?? 128);
}

/**
 * The srcu_data callbacks go on: the boot CPU's while the domain is small (srcu_gp_start_if_needed():
 * `srcu_size_state < SRCU_SIZE_WAIT_CBS`), the current CPU's once it is big.
 */
function srcu_cb_sdp(ssp: srcu_struct, cpu: number): srcu_data {
  return ssp.sda[ssp.srcu_size_state === SRCU_SIZE_SMALL ? BOOT_CPU : cpu] as srcu_data;
}

/** The srcu_data that may hold callbacks (srcu_gp_end() and srcu_barrier() visit only these). */
function srcu_cb_sdps(ssp: srcu_struct): readonly srcu_data[] {
  return ssp.srcu_size_state === SRCU_SIZE_SMALL ? [ssp.sda[BOOT_CPU] as srcu_data] : ssp.sda;
}

function uniq(ts: Task[]): Task[] {
  return [...new Set(ts)];
}

/** The readers that must leave before grace period `s` can end. */
function srcu_gp_blockers(ssp: srcu_struct, s: number): Task[] {
  if (ssp.srcu_gp_completed >= s) return [];
  if (ssp.srcu_gp_seq < s || ssp.gp_state === SRCU_STATE_SCAN1) {
    // Not flipped yet: every current reader started before the flip it waits behind.
    return uniq(ssp.readers.map((r) => r.task));
  }
  const old = 1 ^ (ssp.srcu_idx & 1);
  return uniq(ssp.readers.filter((r) => r.idx === old).map((r) => r.task));
}

/** Workers busy running this domain's callbacks (a blocked callback blocks later ones on its CPU). */
function srcu_cb_blockers(ssp: srcu_struct): Task[] {
  const out: Task[] = [];
  for (const sdp of ssp.sda) {
    const pool = sdp.work.pool;
    if (pool?.worker && pool.current_work === sdp.work) out.push(pool.worker);
  }
  return out;
}

/** DEFINE_STATIC_SRCU(name) / DEFINE_SRCU(name): usable at module level, re-created per boot. */
export function DEFINE_STATIC_SRCU(name: string): srcu_struct {
  const ssp = new srcu_struct(name, false);
  onBoot(() => {
    ssp.init();
    kmemleak_add_root(ssp); // static data: its srcu_data (DEFINE_PER_CPU) and callback lists
  });
  return ssp;
}

export const DEFINE_SRCU = DEFINE_STATIC_SRCU;

/** init_srcu_struct(): a dynamically initialised domain (lockdep class keyed by name). */
export function init_srcu_struct(name: string): srcu_struct {
  return new srcu_struct(name, true);
}

function check_init_srcu_struct(ssp: srcu_struct): void {
  if (!ssp.initialized) ssp.init();
}

function gp_event(ssp: srcu_struct, phase: SrcuGpEvent['phase'], seq: number): void {
  const m = machine();
  const ev: SrcuGpEvent = { type: 'srcu_gp', phase, domain: ssp.name, seq, task: m.current };
  m.emit(ev);
}

function cb_event(ssp: srcu_struct, phase: SrcuCbEvent['phase'], cb: srcu_cb, cpu: number): void {
  const m = machine();
  const fn = cb.func.name || 'callback';
  const ev: SrcuCbEvent = { type: 'srcu_cb', phase, domain: ssp.name, fn, cpu, seq: cb.seq, task: m.current };
  m.emit(ev);
}

function ctx_event(ssp: srcu_struct, t: Task, on: boolean): void {
  const m = machine();
  if (m.trace) m.emit({ type: 'context', what: `srcu:${ssp.name}`, on, task: t } as never);
}

// ---------------------------------------------------------------- read side

/** __srcu_read_lock() + srcu_lock_acquire(), without the scheduling point. */
export function srcu_read_lock_nosched(ssp: srcu_struct): number {
  check_init_srcu_struct(ssp);
  const t = current();
  const m = machine();
  m.access(ssp.idxId, ACCESS_READ);
  const idx = (ssp.srcu_idx & 1) as 0 | 1;
  const sdp = ssp.sda[t.cpu] as srcu_data;
  m.access(sdp.ctrId[idx], ACCESS_WRITE);
  sdp.srcu_lock_count[idx]++;
  if (!ssp.readers.some((r) => r.task === t)) ctx_event(ssp, t, true);
  ssp.readers.push({ task: t, idx });
  lock_map_acquire_read(ssp.dep_map);
  return idx;
}

/** srcu_read_lock(ssp): enters a read section; returns the index for srcu_read_unlock(). */
export function* srcu_read_lock(ssp: srcu_struct): KGen<number> {
  yield undefined;
  return srcu_read_lock_nosched(ssp);
}

/** srcu_lock_release() + __srcu_read_unlock(), without the scheduling point. */
export function srcu_read_unlock_nosched(ssp: srcu_struct, idx: number): void {
  const t = current();
  const m = machine();
  WARN_ON_ONCE((idx & ~1) !== 0, 'include/linux/srcu.h:381');
  const i01 = (idx & 1) as 0 | 1;
  idx = i01;
  lock_map_release(ssp.dep_map);
  const sdp = ssp.sda[t.cpu] as srcu_data;
  m.access(sdp.ctrId[i01], ACCESS_WRITE);
  sdp.srcu_unlock_count[i01]++;
  for (let i = ssp.readers.length - 1; i >= 0; i--) {
    const r = ssp.readers[i] as reader;
    if (r.task === t && r.idx === idx) {
      ssp.readers.splice(i, 1);
      break;
    }
  }
  if (!ssp.readers.some((r) => r.task === t)) ctx_event(ssp, t, false);
  // The grace period waiting on this index polls again once it drained.
  if (ssp.gp_wait_idx === idx && srcu_readers_active_idx_check(ssp, idx)) {
    ssp.gp_wait_idx = -1;
    srcu_arm_gp(ssp);
  }
}

/** srcu_read_unlock(ssp, idx): leaves the read section entered with idx. */
export function* srcu_read_unlock(ssp: srcu_struct, idx: number): KGen {
  yield undefined;
  srcu_read_unlock_nosched(ssp, idx);
}

/** srcu_read_lock_held(): lockdep's view (true when lockdep cannot tell, as in the kernel without PROVE). */
export function srcu_read_lock_held(ssp: srcu_struct): boolean {
  if (!kconfig().PROVE_LOCKING) return true;
  return lock_is_held(ssp.dep_map);
}

/**
 * srcu_dereference_check(p, ssp, c) on obj[field]: the marked fetch (READ_ONCE: a scheduling point),
 * then (PROVE_RCU) RCU_LOCKDEP_WARN(!(c || srcu_read_lock_held(ssp)), "suspicious
 * rcu_dereference_check() usage"). `site` is the caller's "file:line" (the kernel's __FILE__/__LINE__).
 */
export function* srcu_dereference_check<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  ssp: srcu_struct,
  c: boolean,
  site = 'include/linux/srcu.h:180',
): KGen<T[K]> {
  const v = yield* READ_ONCE(obj, field);
  RCU_LOCKDEP_WARN(!(c || srcu_read_lock_held(ssp)), site, 'suspicious rcu_dereference_check() usage');
  return v;
}

/** srcu_dereference(p, ssp): srcu_dereference_check(p, ssp, 0). */
export function srcu_dereference<T extends object, K extends keyof T>(
  obj: T,
  field: K,
  ssp: srcu_struct,
  site = 'include/linux/srcu.h:180',
): KGen<T[K]> {
  return srcu_dereference_check(obj, field, ssp, false, site);
}

// ----------------------------------------------------- grace-period machine

/** srcu_readers_active_idx_check(): sum of unlocks equals sum of locks for idx. */
function srcu_readers_active_idx_check(ssp: srcu_struct, idx: number): boolean {
  const m = machine();
  let unlocks = 0;
  let locks = 0;
  for (const sdp of ssp.sda) {
    m.access(sdp.ctrId[idx] as number, ACCESS_READ);
    unlocks += sdp.srcu_unlock_count[idx] as number;
  }
  for (const sdp of ssp.sda) locks += sdp.srcu_lock_count[idx] as number;
  return locks === unlocks;
}

/** srcu_readers_active(): any reader on either index. */
function srcu_readers_active(ssp: srcu_struct): boolean {
  return !srcu_readers_active_idx_check(ssp, 0) || !srcu_readers_active_idx_check(ssp, 1);
}

/** Schedules process_srcu() (the kernel's queue_delayed_work(rcu_gp_wq, &sup->work, 0)). */
function srcu_arm_gp(ssp: srcu_struct): void {
  if (ssp.gp_armed) return;
  ssp.gp_armed = true;
  const m = machine();
  m.addTimer(m.clock(), () => process_srcu(ssp));
}

/** process_srcu(): the grace-period work (module-level: see docs/architecture.md, "What keeps a finished run alive"). */
function* process_srcu(ssp: srcu_struct): KGen {
  const t = current();
  t.frames.push('process_srcu');
  ssp.gp_armed = false;
  srcu_advance_state(ssp);
  t.frames.pop();
}

/** srcu_gp_start() */
function srcu_gp_start(ssp: srcu_struct): void {
  machine().access(ssp.gpId, ACCESS_WRITE);
  ssp.srcu_gp_seq++;
  ssp.gp_state = SRCU_STATE_SCAN1;
  gp_event(ssp, 'start', ssp.srcu_gp_seq);
  srcu_arm_gp(ssp);
}

/** srcu_flip() */
function srcu_flip(ssp: srcu_struct): void {
  machine().access(ssp.idxId, ACCESS_WRITE);
  ssp.srcu_idx++;
  gp_event(ssp, 'flip', ssp.srcu_gp_seq);
}

/** srcu_advance_state(): moves the grace period on as far as the readers allow. */
function srcu_advance_state(ssp: srcu_struct): void {
  const m = machine();
  m.access(ssp.gpId, ACCESS_WRITE);
  if (ssp.gp_state === SRCU_STATE_IDLE) {
    if (ssp.srcu_gp_seq_needed > ssp.srcu_gp_completed) srcu_gp_start(ssp);
    return;
  }
  if (ssp.gp_state === SRCU_STATE_SCAN1) {
    const idx = 1 ^ (ssp.srcu_idx & 1);
    if (!srcu_readers_active_idx_check(ssp, idx)) {
      ssp.gp_wait_idx = idx;
      return; // readers present: the unlock that drains idx re-arms us
    }
    srcu_flip(ssp);
    ssp.gp_state = SRCU_STATE_SCAN2;
  }
  if (ssp.gp_state === SRCU_STATE_SCAN2) {
    const idx = 1 ^ (ssp.srcu_idx & 1);
    if (!srcu_readers_active_idx_check(ssp, idx)) {
      ssp.gp_wait_idx = idx;
      return;
    }
    srcu_gp_end(ssp);
  }
}

/** srcu_gp_end(): marks the grace period done and schedules ready callbacks. */
function srcu_gp_end(ssp: srcu_struct): void {
  ssp.srcu_gp_completed = ssp.srcu_gp_seq;
  ssp.gp_state = SRCU_STATE_IDLE;
  gp_event(ssp, 'end', ssp.srcu_gp_completed);
  // SRCU_SIZE_SMALL: srcu_schedule_cbs_sdp() of the boot CPU's srcu_data only.
  for (const sdp of srcu_cb_sdps(ssp)) srcu_schedule_cbs_sdp(sdp);
  if (ssp.srcu_gp_seq_needed > ssp.srcu_gp_completed) srcu_gp_start(ssp);
}

function srcu_cbs_ready(sdp: srcu_data): boolean {
  const first = sdp.srcu_cblist[0];
  return first !== undefined && first.seq <= sdp.ssp.srcu_gp_completed;
}

/** srcu_schedule_cbs_sdp(): queues the CPU's invocation work if it has ready callbacks. */
function srcu_schedule_cbs_sdp(sdp: srcu_data): void {
  machine().access(sdp.id, ACCESS_READ);
  if (!sdp.srcu_cblist_invoking && srcu_cbs_ready(sdp)) queue_work_on_nosched(sdp.cpu, rcu_gp_wq, sdp.work);
}

function isGen(v: unknown): v is KGen {
  return typeof v === 'object' && v !== null && typeof (v as { next?: unknown }).next === 'function';
}

/** srcu_invoke_callbacks(): runs this CPU's ready callbacks in order, each with BH disabled. */
function* srcu_invoke_callbacks(sdp: srcu_data): KGen {
  const t = current();
  const m = machine();
  const ssp = sdp.ssp;
  t.frames.push('srcu_invoke_callbacks');
  m.access(sdp.id, ACCESS_WRITE);
  if (sdp.srcu_cblist_invoking || !srcu_cbs_ready(sdp)) {
    t.frames.pop();
    return;
  }
  sdp.srcu_cblist_invoking = true;
  const ready: srcu_cb[] = [];
  while (srcu_cbs_ready(sdp)) ready.push(sdp.srcu_cblist.shift() as srcu_cb);
  let first = true;
  for (const cb of ready) {
    if (!first) yield undefined;
    first = false;
    if (kconfig().DEBUG_OBJECTS_RCU_HEAD) m.access(ssp.queuedId, ACCESS_WRITE);
    ssp.queued.delete(cb.head); // debug_rcu_head_unqueue()
    cb_event(ssp, 'invoke', cb, sdp.cpu);
    yield* local_bh_disable();
    const r = cb.func(cb.head);
    if (isGen(r)) yield* r;
    yield* local_bh_enable();
    cb_event(ssp, 'done', cb, sdp.cpu);
  }
  m.access(sdp.id, ACCESS_WRITE);
  sdp.len -= ready.length;
  sdp.srcu_cblist_invoking = false;
  // More ready callbacks (queued meanwhile, or an entrained barrier)? Go again.
  if (srcu_cbs_ready(sdp)) queue_work_on_nosched(sdp.cpu, rcu_gp_wq, sdp.work);
  t.frames.pop();
}

// ------------------------------------------------------------ update side

/**
 * __call_srcu() without the scheduling point: enqueue on the boot CPU's list
 * (SRCU_SIZE_SMALL) or the current CPU's (SRCU_SIZE_BIG) and start a grace
 * period if none is running. Returns the grace-period
 * number the callback waits for, or 0 if it was leaked as a duplicate.
 */
export function call_srcu_nosched(ssp: srcu_struct, rhp: rcu_head, func: rcu_callback_t): number {
  check_init_srcu_struct(ssp);
  const t = current();
  const m = machine();
  const sdp = srcu_cb_sdp(ssp, t.cpu);
  // debug_rcu_head_queue(): the heads' debug-object state, which the invocation changes.
  if (kconfig().DEBUG_OBJECTS_RCU_HEAD) m.access(ssp.queuedId, ACCESS_WRITE);
  if (kconfig().DEBUG_OBJECTS_RCU_HEAD && ssp.queued.has(rhp)) {
    // debug_rcu_head_queue() failed: the kernel leaks the callback.
    WARN_ON_ONCE(true, `${SRCUTREE}:1367`, 'call_srcu(): Leaked duplicate callback');
    cb_event(ssp, 'leak', { head: rhp, func, seq: 0 }, sdp.cpu);
    return 0;
  }
  ssp.queued.add(rhp);
  rhp.func = func; // a write to the (possibly freed) object, as in the kernel
  m.access(sdp.id, ACCESS_WRITE);
  m.access(ssp.gpId, ACCESS_WRITE);
  const s = ssp.srcu_gp_seq + 1; // rcu_seq_snap(): a grace period that starts after now
  const cb: srcu_cb = { head: rhp, func, seq: s };
  sdp.srcu_cblist.push(cb);
  sdp.len++;
  cb_event(ssp, 'queue', cb, sdp.cpu);
  if (ssp.srcu_gp_seq_needed < s) ssp.srcu_gp_seq_needed = s;
  // srcu_funnel_gp_start(): start one now if the domain is idle.
  if (ssp.gp_state === SRCU_STATE_IDLE) srcu_gp_start(ssp);
  return s;
}

/** call_srcu(ssp, rhp, func): func(rhp) runs after a full grace period, from rcu_gp_wq with BH disabled. */
export function* call_srcu(ssp: srcu_struct, rhp: rcu_head, func: rcu_callback_t): KGen {
  const t = current();
  t.frames.push('call_srcu');
  yield undefined;
  call_srcu_nosched(ssp, rhp, func);
  t.frames.pop();
}

function* __synchronize_srcu(ssp: srcu_struct): KGen {
  const t = current();
  t.frames.push('__synchronize_srcu');
  check_init_srcu_struct(ssp);
  lock_map_sync(ssp.dep_map); // srcu_lock_sync()
  RCU_LOCKDEP_WARN(
    lock_is_held(ssp.dep_map) || rcu_read_lock_held(),
    `${SRCUTREE}:1431`,
    'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section',
  );
  might_sleep(SRCUTREE, 1436);
  const done = new completion('rcu_synchronize');
  const head: rcu_head = { next: null, func: null };
  yield undefined;
  const s = call_srcu_nosched(ssp, head, function wakeme_after_rcu() {
    complete_nosched(done);
  });
  done.completers = () => (ssp.srcu_gp_completed >= s ? srcu_cb_blockers(ssp) : srcu_gp_blockers(ssp, s));
  yield* wait_for_completion_noyield(done);
  t.frames.pop();
}

/**
 * synchronize_srcu(ssp): waits until every reader that entered before the
 * call has left. Inside a read section of the same domain it deadlocks
 * (lockdep: recursive locking on the srcu map; PROVE_RCU: suspicious RCU usage).
 */
export function* synchronize_srcu(ssp: srcu_struct): KGen {
  const t = current();
  t.frames.push('synchronize_srcu');
  yield* __synchronize_srcu(ssp);
  t.frames.pop();
}

/** synchronize_srcu_expedited(): the same grace period here (no expedited mode). */
export const synchronize_srcu_expedited = synchronize_srcu;

// rcu_seq helpers for srcu_barrier_seq (RCU_SEQ_STATE_MASK = 3).
function rcu_seq_snap(seq: number): number {
  return (seq + 7) & ~3;
}

/** srcu_barrier(ssp): waits for every callback queued (on any CPU) before the call. */
export function* srcu_barrier(ssp: srcu_struct): KGen {
  const t = current();
  t.frames.push('srcu_barrier');
  check_init_srcu_struct(ssp);
  const m = machine();
  m.access(ssp.barrierId, ACCESS_READ);
  const s = rcu_seq_snap(ssp.srcu_barrier_seq);
  yield* mutex_lock(ssp.srcu_barrier_mutex);
  m.access(ssp.barrierId, ACCESS_WRITE);
  if (ssp.srcu_barrier_seq >= s) {
    // Someone else did our work for us.
    yield* mutex_unlock(ssp.srcu_barrier_mutex);
    t.frames.pop();
    return;
  }
  ssp.srcu_barrier_seq++; // rcu_seq_start()
  const done = new completion(`srcu_barrier(${ssp.name})`);
  ssp.srcu_barrier_completion = done;
  done.completers = () => uniq([...ssp.owners(), ...srcu_cb_blockers(ssp)]);
  ssp.srcu_barrier_cpu_cnt = 1;
  // An entrained callback with no list to follow waits for the last completed grace period.
  m.access(ssp.gpId, ACCESS_READ);
  // SRCU_SIZE_SMALL: srcu_barrier_one_cpu() of the boot CPU only (srcu_size_state <
  // SRCU_SIZE_WAIT_BARRIER); SRCU_SIZE_BIG: of every possible CPU.
  for (const sdp of srcu_cb_sdps(ssp)) {
    m.access(sdp.id, ACCESS_WRITE);
    // srcu_barrier_one_cpu(): rcu_segcblist_entrain() fails on an empty list.
    if (sdp.len === 0) continue;
    const last = sdp.srcu_cblist[sdp.srcu_cblist.length - 1];
    const seq = last ? last.seq : ssp.srcu_gp_completed;
    ssp.srcu_barrier_cpu_cnt++;
    const cb: srcu_cb = {
      head: sdp.srcu_barrier_head,
      func: function srcu_barrier_cb() {
        // Each CPU's callback runs on that CPU's worker: the count orders them.
        machine().access(ssp.barrierId, ACCESS_WRITE);
        if (--ssp.srcu_barrier_cpu_cnt === 0) complete_nosched(done);
      },
      seq,
    };
    sdp.srcu_cblist.push(cb);
    sdp.len++;
    cb_event(ssp, 'queue', cb, sdp.cpu);
    srcu_schedule_cbs_sdp(sdp);
  }
  if (--ssp.srcu_barrier_cpu_cnt === 0) complete_nosched(done);
  yield* wait_for_completion(done);
  m.access(ssp.barrierId, ACCESS_WRITE);
  ssp.srcu_barrier_seq = (ssp.srcu_barrier_seq | 3) + 1; // rcu_seq_end()
  yield* mutex_unlock(ssp.srcu_barrier_mutex);
  t.frames.pop();
}

/**
 * cleanup_srcu_struct(ssp): WARNs (and leaks the domain) if readers are
 * still inside or callbacks are still queued; otherwise flushes the
 * invocation work and retires the domain.
 */
export function* cleanup_srcu_struct(ssp: srcu_struct): KGen {
  const t = current();
  t.frames.push('cleanup_srcu_struct');
  check_init_srcu_struct(ssp);
  yield undefined;
  if (WARN_ON(srcu_readers_active(ssp), `${SRCUTREE}:689`)) {
    t.frames.pop();
    return; // Just leak it!
  }
  for (const sdp of ssp.sda) {
    yield* flush_work(sdp.work);
    machine().access(sdp.id, ACCESS_READ);
    if (WARN_ON(sdp.len !== 0, `${SRCUTREE}:696`)) {
      t.frames.pop();
      return; // Forgot srcu_barrier(), so just leak it!
    }
  }
  machine().access(ssp.gpId, ACCESS_READ);
  if (
    WARN_ON(ssp.gp_state !== SRCU_STATE_IDLE, `${SRCUTREE}:699`) ||
    WARN_ON(ssp.srcu_gp_seq !== ssp.srcu_gp_seq_needed, `${SRCUTREE}:700`) ||
    WARN_ON(srcu_readers_active(ssp), `${SRCUTREE}:701`)
  ) {
    pr_info(
      `cleanup_srcu_struct: Active srcu_struct ${ssp.name} read state: ${ssp.gp_state} gp state: ${ssp.srcu_gp_seq}/${ssp.srcu_gp_seq_needed}`,
    );
    t.frames.pop();
    return;
  }
  ssp.initialized = false;
  t.frames.pop();
}

/** The number of callbacks queued on the domain (tests and diagnostics). */
export function srcu_cb_count(ssp: srcu_struct): number {
  let n = 0;
  for (const sdp of ssp.sda) n += sdp.len;
  return n;
}
