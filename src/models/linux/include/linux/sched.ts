/**
 * The parts of struct task_struct / struct signal_struct the model needs
 * (include/linux/sched.h, include/linux/sched/signal.h, include/linux/sched/task.h,
 * kernel/signal.c; ≈ v6.17). A process is a thread group sharing one
 * signal_struct (its threads, the SIGKILL state, oom_mm, open files).
 *
 * The kernel-side state of a simulated task lives in `Task.data.ts`.
 */
import { ACCESS_READ, ACCESS_WRITE, type Task, current, machine, RunSlot } from '../../../../sim/index.js';
import { assign_obj_id, obj_id } from '../../../../kernel/objid.js';
import { ATOMIC_INIT, type atomic_t } from '../../../../kernel/once.js';
import {
  type spinlock_t,
  spin_lock,
  spin_lock_init,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irqrestore,
} from '../../../../kernel/locking/spinlock.js';
import { TASK_INTERRUPTIBLE, wake_up_state } from '../../../../kernel/sched/core.js';
import { kick_process } from '../../../../kernel/smp.js';
import type { KGen } from '../../../../sim/index.js';
import { set_container } from '../../../../kernel/lib/container_of.js';
import { TIMER_INIT, type timer_list } from '../../../../kernel/time/timer.js';
import type { mm_struct } from './mm_types.js';

export const PF_EXITING = 0x4;
export const PF_KTHREAD = 0x00200000;

/** An open file of the process: its ->release() runs at the last fput (exit_files). */
export interface file {
  readonly name: string;
  release(): KGen;
}

export interface signal_struct {
  /** The group leader's comm (the process name). */
  comm: string;
  /** Threads of the group (until release; exited ones have mm == NULL). */
  readonly threads: task_struct[];
  /** signal->live: threads that have not exited yet. */
  live: number;
  /** signal->sigcnt: task_structs referencing this signal_struct. */
  sigcnt: number;
  /** SIGKILL queued for the group (fatal_signal_pending for every thread). */
  sigkill: boolean;
  /** SIGNAL_GROUP_EXIT */
  group_exit: boolean;
  /** The mm an OOM victim had (mark_oom_victim; mmgrab'd). */
  oom_mm: mm_struct | null;
  /** The file table (files_struct) of the process, shared by its threads (CLONE_FILES). */
  readonly files: file[];
  /** files_struct->count (atomic_t): threads still holding the file table (exit_files drops one each). */
  readonly files_count: atomic_t;
  /** sighand->siglock */
  readonly siglock: spinlock_t;
}

export interface task_struct {
  readonly task: Task;
  readonly comm: string;
  readonly pid: number;
  flags: number;
  /** task->mm (NULL for kthreads and after exit_mm). Protected by task_lock. */
  mm: mm_struct | null;
  readonly signal: signal_struct;
  /** task->alloc_lock (task_lock()) */
  readonly alloc_lock: spinlock_t;
  /** task->usage */
  usage: number;
  /** TIF_MEMDIE */
  memdie: boolean;
  oom_reaper_list: task_struct | null;
  /** task->oom_reaper_timer */
  readonly oom_reaper_timer: timer_list;
}

/**
 * Footprints of the shared words of a task_struct (flags such as PF_EXITING, TIF_MEMDIE, usage) and
 * of a signal_struct (the SIGKILL state and SIGNAL_GROUP_EXIT, oom_mm, live, sigcnt): plain structs,
 * so each has an object id (given at creation) that every read and write of those fields records,
 * and DPOR sees, for example, a kill racing with fatal_signal_pending() or with
 * __task_will_free_mem(), or two put_task_struct() deciding who frees. No scheduling point is
 * added: each read sits where the kernel's does, after the scheduling point of the step it is in.
 */
export function task_footprint(p: task_struct, kind: typeof ACCESS_READ | typeof ACCESS_WRITE): void {
  machine().access(obj_id(p), kind);
}
export function signal_footprint(sig: signal_struct, kind: typeof ACCESS_READ | typeof ACCESS_WRITE): void {
  machine().access(obj_id(sig), kind);
}

/** The task_struct of a simulated task (created on first use for kthreads). */
export function task_struct_of(t: Task): task_struct {
  let ts = t.data.ts as task_struct | undefined;
  if (!ts) {
    ts = new_task_struct(t, null, null);
    if (t.kthread) ts.flags |= PF_KTHREAD;
  }
  return ts;
}

/** `current` as a task_struct. */
export function current_ts(): task_struct {
  return task_struct_of(current());
}

export function new_signal_struct(): signal_struct {
  return assign_obj_id({
    comm: '',
    threads: [],
    live: 0,
    sigcnt: 0,
    sigkill: false,
    group_exit: false,
    oom_mm: null,
    files: [],
    files_count: ATOMIC_INIT(1),
    siglock: spin_lock_init('&sighand->siglock'),
  });
}

/**
 * copy_files() with CLONE_FILES, in the parent at clone time: atomic_inc(&oldf->count). No
 * scheduling point: the caller's step.
 */
export function clone_files(sig: signal_struct): void {
  machine().access(sig.files_count.id, ACCESS_WRITE);
  sig.files_count.counter++;
}

/** copy_process() for the model: attaches kernel state to a simulated task. */
export function new_task_struct(t: Task, mm: mm_struct | null, signal: signal_struct | null): task_struct {
  const sig = signal ?? new_signal_struct();
  if (!signal) sig.comm = t.comm;
  const ts: task_struct = {
    task: t,
    comm: t.comm,
    pid: t.pid,
    flags: 0,
    mm,
    signal: sig,
    alloc_lock: spin_lock_init('&p->alloc_lock'),
    usage: 1,
    memdie: false,
    oom_reaper_list: null,
    oom_reaper_timer: TIMER_INIT(),
  };
  set_container(ts.oom_reaper_timer, ts, 'oom_reaper_timer');
  assign_obj_id(ts);
  if (!signal) processes().push(sig);
  sig.threads.push(ts);
  signal_footprint(sig, ACCESS_WRITE);
  sig.live++;
  sig.sigcnt++;
  t.data.ts = ts;
  return ts;
}

const PROCESSES = new RunSlot('models.linux.processes', (): signal_struct[] => []);

/** The thread groups of this run (for_each_process). */
export function processes(): signal_struct[] {
  const m = machine();
  return m.ext.of(PROCESSES);
}

/** find_task_by_vpid() */
export function find_task_by_vpid(pid: number): task_struct | null {
  const t = machine().task(pid);
  return t ? task_struct_of(t) : null;
}

/** task_lock(p): spin_lock(&p->alloc_lock) (include/linux/sched/task.h). */
export function* task_lock(p: task_struct): KGen {
  yield* spin_lock(p.alloc_lock);
}

export function* task_unlock(p: task_struct): KGen {
  yield* spin_unlock(p.alloc_lock);
}

export function get_task_struct(p: task_struct): task_struct {
  task_footprint(p, ACCESS_WRITE);
  p.usage++;
  return p;
}

/**
 * put_task_struct(): the last reference frees the task; the last task of a
 * group frees the signal_struct, whose free_signal_struct() drops oom_mm
 * (kernel/fork.c). The mm reference is dropped through `mmdrop_fn` (kernel/fork.ts).
 */
export function* put_task_struct(p: task_struct): KGen {
  task_footprint(p, ACCESS_WRITE);
  if (--p.usage > 0) return;
  const sig = p.signal;
  signal_footprint(sig, ACCESS_WRITE);
  if (--sig.sigcnt > 0) return;
  const mm = sig.oom_mm;
  if (mm && mmdrop_fn) yield* mmdrop_fn(mm);
}

let mmdrop_fn: ((mm: mm_struct) => KGen) | null = null;
/** kernel/fork.ts registers mmdrop (avoids an import cycle at module evaluation). */
export function set_mmdrop(fn: (mm: mm_struct) => KGen): void {
  mmdrop_fn = fn;
}

/** fatal_signal_pending(p) */
export function fatal_signal_pending(p: task_struct): boolean {
  signal_footprint(p.signal, ACCESS_READ);
  return p.signal.sigkill;
}

/**
 * do_send_sig_info(SIGKILL, SEND_SIG_PRIV, p, PIDTYPE_TGID) (kernel/signal.c):
 * lock_task_sighand() + complete_signal(): the group gets SIGKILL and every
 * thread is woken from an interruptible (or killable) sleep.
 */
export function* do_send_sig_info_sigkill(p: task_struct): KGen {
  const flags = yield* spin_lock_irqsave_siglock(p.signal);
  signal_footprint(p.signal, ACCESS_WRITE);
  p.signal.sigkill = true;
  p.signal.group_exit = true;
  for (const t of p.signal.threads) signal_wake_up(t, true);
  yield* spin_unlock_siglock(p.signal, flags);
}

/**
 * signal_wake_up(t, fatal) → signal_wake_up_state(t, fatal ? TASK_WAKEKILL : 0) (kernel/signal.c):
 * TIF_SIGPENDING, then wake the task from an interruptible (or killable) sleep, or — when it was not
 * sleeping — kick_process(t): an IPI to the CPU it runs on, which makes a vCPU in guest mode exit.
 * (The model's sleeps are interruptible or uninterruptible; TASK_KILLABLE is not modelled.)
 */
function signal_wake_up(t: task_struct, _fatal: boolean): void {
  if (!wake_up_state(t.task, TASK_INTERRUPTIBLE)) kick_process(t.task);
}

function* spin_lock_irqsave_siglock(s: signal_struct): KGen<boolean> {
  return yield* spin_lock_irqsave(s.siglock);
}
function* spin_unlock_siglock(s: signal_struct, flags: boolean): KGen {
  yield* spin_unlock_irqrestore(s.siglock, flags);
}
