/**
 * RCU grace periods (kernel/rcu/tree.c, tree_plugin.h, CONFIG_PREEMPT_RCU),
 * at the level the OOM and mmu_notifier paths need: synchronize_rcu(),
 * call_rcu(), rcu_barrier(), and the rcu_gp workqueue SRCU uses.
 *
 * A grace period snapshots its holdouts when it starts: every task inside
 * rcu_read_lock() or in a non-preemptible section (consolidated RCU: a
 * preempt/irq/bh-disabled region is a reader too). A holdout has passed a
 * quiescent state once it left its outermost rcu_read_lock() section since
 * the snapshot (the per-task counter kept by rcu_read_unlock()), exited, or
 * is found outside any read-side section. The outermost rcu_read_unlock() of
 * a holdout re-runs the check (like rcu_read_unlock_special()); holdouts that
 * are only non-preemptible are polled every jiffy. The check and the
 * callback invocation (RCU_SOFTIRQ's rcu_core(), BH disabled) run as timer
 * steps on pid 0, which the might_sleep checker treats as softirq context.
 */
import { kmemleak_add_root } from '../mm/kmemleak.js';
import {
  type KGen,
  type Observer,
  type SimEvent,
  type Task,
  ACCESS_ACQUIRE_SHARED,
  ACCESS_READ,
  ACCESS_WRITE,
  current,
  machine,
  markInternal,
  RunSlot,
} from '../../sim/index.js';
import { complete_nosched, completion, wait_for_completion, wait_for_completion_noyield } from '../completion.js';
import { jiffiesToNs, kconfig, onBoot } from '../kernel.js';
import { mutex, mutex_lock, mutex_unlock } from '../locking/mutex.js';
import { local_bh_disable, local_bh_enable } from '../preempt.js';
import { might_sleep } from '../sched/core.js';
import { WQ_MEM_RECLAIM, WQ_PERCPU, type workqueue_struct, alloc_workqueue } from '../workqueue.js';
import type { RcuStallEvent, SrcuCbEvent, SrcuGpEvent } from './events.js';
import {
  RCU_LOCKDEP_WARN,
  type rcu_callback_t,
  type rcu_head,
  rcu_lock_map,
  rcu_reader_id,
  set_rcu_read_unlock_hook,
} from './update.js';
import { lock_is_held } from '../locking/lockdep.js';

markInternal('synchronize_rcu', 'call_rcu', 'rcu_barrier', 'rcu_core', 'rcu_gp_check');

/** rcu_gp_wq: the workqueue of SRCU's callback invocation (alloc_workqueue("rcu_gp", WQ_MEM_RECLAIM | WQ_PERCPU)). */
export let rcu_gp_wq: workqueue_struct;

interface rcu_cb {
  readonly head: rcu_head;
  readonly func: rcu_callback_t;
  readonly seq: number;
}

interface holdout {
  readonly task: Task;
  readonly qs: number;
}

interface rcu_state_t {
  readonly id: number;
  gp_seq: number;
  /** Virtual time at which the running grace period started. */
  started_ns: number;
  completed: number;
  needed: number;
  in_progress: boolean;
  holdouts: holdout[];
  check_armed: boolean;
  core_armed: boolean;
  /** Per-CPU callback lists. */
  readonly cbs: rcu_cb[][];
  readonly queued: Set<rcu_head>;
  readonly barrier_mutex: mutex;
  barrier_cpu_cnt: number;
}

const RCU_STATE = new RunSlot<rcu_state_t>('rcu_state');

onBoot((k) => {
  rcu_gp_wq = alloc_workqueue('rcu_gp', WQ_MEM_RECLAIM | WQ_PERCPU);
  k.machine.limitHooks.push(rcu_check_stall);
  // Object ids are given in creation order: allocate RCU's own and each task's reader-state id
  // when the task is created, not at first use, so the same object has the same id in every run
  // of an exploration (DPOR compares footprints across runs).
  rcu_state();
  k.machine.observers.push(rcu_on_spawn);
});

/** Gives each new task its reader id; it reads only 'spawn' (so Machine.wants() can skip building the others). */
const rcu_on_spawn: Observer = Object.assign(
  (ev: SimEvent): void => {
    if (ev.type === 'spawn') rcu_reader_id((ev as SimEvent & { task: Task }).task);
  },
  { wants: (type: string): boolean => type === 'spawn' },
);

/**
 * The stall detector (kernel/rcu/tree_stall.h check_cpu_stall()), at the step limit: a run that
 * cannot end stands for one that runs for ever, so past RCU_CPU_STALL_TIMEOUT (21 s) of virtual
 * time a grace period still waiting for a reader is a stall. Emits 'rcu_stall' (check/ prints it).
 */
function rcu_check_stall(): void {
  const m = machine();
  const rs = m.ext.get(RCU_STATE);
  if (!rs?.in_progress) return;
  const blockers = rs.holdouts.filter((h) => !passed_qs(h)).map((h) => h.task);
  if (blockers.length === 0) return;
  const ev: RcuStallEvent = { type: 'rcu_stall', gp_seq: rs.gp_seq, started_ns: rs.started_ns, tasks: blockers };
  m.emit(ev);
}

function perCpuLists(n: number): rcu_cb[][] {
  const cbs: rcu_cb[][] = [];
  for (let i = 0; i < n; i++) cbs.push([]);
  return cbs;
}

function rcu_state(): rcu_state_t {
  const m = machine();
  let rs = m.ext.get(RCU_STATE);
  if (!rs) {
    rs = {
      id: m.newId(),
      gp_seq: 0,
      started_ns: 0,
      completed: 0,
      needed: 0,
      in_progress: false,
      holdouts: [],
      check_armed: false,
      core_armed: false,
      cbs: perCpuLists(m.nrCpus),
      queued: new Set(),
      barrier_mutex: new mutex('rcu_state.barrier_mutex'),
      barrier_cpu_cnt: 0,
    };
    m.ext.set(RCU_STATE, rs);
    kmemleak_add_root(rs.cbs); // the per-CPU rcu_data callback lists
  }
  return rs;
}

function qs_of(t: Task): number {
  return (t.data.rcu_qs as number | undefined) ?? 0;
}

/**
 * Whether a task is an RCU reader: the grace-period code reads its RCU read-side state, its
 * state word (exit) and its CPU's run state (a non-preemptible section is a reader), so each
 * decision taken on it is in the step's footprint.
 */
function in_reader(t: Task): boolean {
  const m = machine();
  m.access(rcu_reader_id(t), ACCESS_READ);
  m.access(t.stateId, ACCESS_READ);
  m.access(m.cpuId(t.cpu), ACCESS_ACQUIRE_SHARED);
  return t.rcu_read_lock_nesting > 0 || !t.preemptible();
}

/** A task that has not exited and is a reader (its exit is read too: an exited reader is done). */
function live_reader(t: Task): boolean {
  machine().access(t.stateId, ACCESS_READ);
  return !t.dead && in_reader(t);
}

function passed_qs(h: holdout): boolean {
  const t = h.task;
  machine().access(t.stateId, ACCESS_READ);
  return t.dead || !in_reader(t) || qs_of(t) !== h.qs;
}

function gp_event(phase: SrcuGpEvent['phase'], seq: number): void {
  const m = machine();
  const ev: SrcuGpEvent = { type: 'srcu_gp', phase, domain: 'rcu', seq, task: m.current };
  m.emit(ev);
}

function cb_event(phase: SrcuCbEvent['phase'], cb: rcu_cb, cpu: number): void {
  const m = machine();
  const fn = cb.func.name || 'callback';
  const ev: SrcuCbEvent = { type: 'srcu_cb', phase, domain: 'rcu', fn, cpu, seq: cb.seq, task: m.current };
  m.emit(ev);
}

set_rcu_read_unlock_hook((t: Task) => {
  const m = machine();
  const rs = m.ext.get(RCU_STATE);
  if (!rs) return;
  m.access(rs.id, ACCESS_READ);
  if (!rs.in_progress) return;
  if (rs.holdouts.some((h) => h.task === t)) arm_check(rs, 0);
});

function arm_check(rs: rcu_state_t, delayNs: number): void {
  if (rs.check_armed) return;
  rs.check_armed = true;
  const m = machine();
  m.addTimer(m.clock() + delayNs, () => rcu_gp_check(rs));
}

/** The grace-period poll (module-level: see docs/architecture.md, "What keeps a finished run alive"). */
function* rcu_gp_check(rs: rcu_state_t): KGen {
  rs.check_armed = false;
  rcu_gp_advance(rs);
}

/** rcu_gp_init(): snapshot the readers the new grace period waits for. */
function rcu_gp_start(rs: rcu_state_t): void {
  const m = machine();
  m.access(rs.id, ACCESS_WRITE);
  rs.gp_seq++;
  rs.started_ns = m.now;
  rs.in_progress = true;
  rs.holdouts = m.tasks.filter((t) => live_reader(t)).map((t) => ({ task: t, qs: qs_of(t) }));
  gp_event('start', rs.gp_seq);
  arm_check(rs, 0);
}

function rcu_gp_advance(rs: rcu_state_t): void {
  const m = machine();
  m.access(rs.id, ACCESS_WRITE);
  if (!rs.in_progress) return;
  rs.holdouts = rs.holdouts.filter((h) => !passed_qs(h));
  if (rs.holdouts.length > 0) {
    // Readers inside rcu_read_lock() report through rcu_read_unlock(); poll the others.
    if (rs.holdouts.some((h) => h.task.rcu_read_lock_nesting === 0)) arm_check(rs, jiffiesToNs(1));
    return;
  }
  rs.in_progress = false;
  rs.completed = rs.gp_seq;
  gp_event('end', rs.completed);
  if (rs.cbs.some((l) => l[0] !== undefined && l[0].seq <= rs.completed)) arm_core(rs);
  if (rs.needed > rs.completed) rcu_gp_start(rs);
}

function arm_core(rs: rcu_state_t): void {
  if (rs.core_armed) return;
  rs.core_armed = true;
  const m = machine();
  m.addTimer(m.clock(), () => rcu_core(rs));
}

/** rcu_core(): invokes the callbacks whose grace period has ended (module-level: see docs/architecture.md, "What keeps a finished run alive"). */
function* rcu_core(rs: rcu_state_t): KGen {
  const m = machine();
  const t = current();
  t.frames.push('rcu_core');
  rs.core_armed = false;
  m.access(rs.id, ACCESS_WRITE);
  for (let cpu = 0; cpu < rs.cbs.length; cpu++) {
    const list = rs.cbs[cpu] as rcu_cb[];
    while (list[0] !== undefined && list[0].seq <= rs.completed) {
      const cb = list.shift() as rcu_cb;
      rs.queued.delete(cb.head);
      cb_event('invoke', cb, cpu);
      // !PREEMPT_RT: rcu_core_si() runs in the RCU softirq (the timer task's SOFTIRQ_OFFSET is
      // that context; rcu_do_batch() adds no local_bh_disable()). PREEMPT_RT: the rcuc kthread's
      // rcu_cpu_kthread() wraps rcu_core() in local_bh_disable().
      const rt = kconfig().PREEMPT_RT;
      if (rt) yield* local_bh_disable();
      const r = cb.func(cb.head);
      if (typeof r === 'object' && r !== null && typeof (r as KGen).next === 'function') yield* r as KGen;
      if (rt) yield* local_bh_enable();
      cb_event('done', cb, cpu);
    }
  }
  t.frames.pop();
}

/** The tasks grace period `s` still waits for. */
function rcu_gp_blockers(rs: rcu_state_t, s: number): Task[] {
  if (rs.completed >= s) return [];
  if (rs.gp_seq < s) return machine().tasks.filter((t) => live_reader(t));
  return rs.holdouts.filter((h) => !passed_qs(h)).map((h) => h.task);
}

/** __call_rcu() without the scheduling point; returns the grace period the callback waits for. */
export function call_rcu_nosched(head: rcu_head, func: rcu_callback_t): number {
  const rs = rcu_state();
  const m = machine();
  const cpu = current().cpu;
  // The callback lists and the debug-object state of the heads (which rcu_core() changes) are rcu_state's.
  m.access(rs.id, ACCESS_WRITE);
  if (rs.queued.has(head)) {
    // debug_rcu_head_queue() failed (CONFIG_DEBUG_OBJECTS_RCU_HEAD): leak it.
    cb_event('leak', { head, func, seq: 0 }, cpu);
    return 0;
  }
  rs.queued.add(head);
  head.func = func;
  const s = rs.gp_seq + 1;
  const cb: rcu_cb = { head, func, seq: s };
  (rs.cbs[cpu] as rcu_cb[]).push(cb);
  cb_event('queue', cb, cpu);
  if (rs.needed < s) rs.needed = s;
  if (!rs.in_progress) rcu_gp_start(rs);
  return s;
}

/** call_rcu(head, func): func(head) runs after a grace period, in softirq context (BH disabled). */
export function* call_rcu(head: rcu_head, func: rcu_callback_t): KGen {
  yield undefined;
  call_rcu_nosched(head, func);
}

/** synchronize_rcu(): waits for every RCU reader that started before the call. */
export function* synchronize_rcu(): KGen {
  const t = current();
  t.frames.push('synchronize_rcu');
  RCU_LOCKDEP_WARN(
    lock_is_held(rcu_lock_map),
    'kernel/rcu/tree.c:3120',
    'Illegal synchronize_rcu() in RCU read-side critical section',
  );
  might_sleep('kernel/rcu/tree.c', 3124);
  const done = new completion('rcu_synchronize');
  const head: rcu_head = { next: null, func: null };
  yield undefined;
  const s = call_rcu_nosched(head, function wakeme_after_rcu() {
    complete_nosched(done);
  });
  const rs = rcu_state();
  done.completers = () => rcu_gp_blockers(rs, s);
  yield* wait_for_completion_noyield(done);
  t.frames.pop();
}

/** rcu_barrier(): waits for every call_rcu() callback queued before the call. */
export function* rcu_barrier(): KGen {
  const t = current();
  t.frames.push('rcu_barrier');
  const rs = rcu_state();
  yield* mutex_lock(rs.barrier_mutex);
  // rcu_barrier_entrain() on every CPU: reads and appends to the callback lists (call_rcu() and
  // rcu_core() change them), and the count its callbacks decrement from rcu_core().
  machine().access(rs.id, ACCESS_WRITE);
  const done = new completion('rcu_barrier');
  rs.barrier_cpu_cnt = 1;
  for (let cpu = 0; cpu < rs.cbs.length; cpu++) {
    const list = rs.cbs[cpu] as rcu_cb[];
    const last = list[list.length - 1];
    if (!last) continue;
    rs.barrier_cpu_cnt++;
    list.push({
      head: { next: null, func: null },
      func: function rcu_barrier_callback() {
        if (--rs.barrier_cpu_cnt === 0) complete_nosched(done);
      },
      seq: last.seq,
    });
  }
  done.completers = () => rcu_gp_blockers(rs, rs.needed);
  if (--rs.barrier_cpu_cnt === 0) complete_nosched(done);
  yield* wait_for_completion(done);
  yield* mutex_unlock(rs.barrier_mutex);
  t.frames.pop();
}

/** call_rcu_hurry(): no lazy callbacks here, so the same as call_rcu(). */
export const call_rcu_hurry = call_rcu;
