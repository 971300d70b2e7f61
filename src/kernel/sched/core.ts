/**
 * Scheduler primitives (kernel/sched/core.c, include/linux/sched.h):
 * task states, schedule(), wake-ups, might_sleep() and kthreads.
 */
import {
  type KGen,
  type Task,
  type TaskBody,
  type Waitable,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_UNINTERRUPTIBLE,
  ACCESS_READ,
  ACCESS_WRITE,
  current,
  machine,
  markInternal,
} from '../../sim/index.js';
import { jiffiesToNs, kernel } from '../kernel.js';
import { msecs_to_jiffies, timer_softirq_add } from '../time/timer.js';

export { TASK_INTERRUPTIBLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE };
export const TASK_IDLE = TASK_UNINTERRUPTIBLE | 0x400; // TASK_NOLOAD: not a hung task
export const MAX_SCHEDULE_TIMEOUT = Number.MAX_SAFE_INTEGER;
/** include/linux/sched.h: MIGHT_RESCHED_RCU_SHIFT */
export const MIGHT_RESCHED_RCU_SHIFT = 8;

markInternal(
  'schedule',
  'schedule_timeout',
  '__might_resched',
  '__might_sleep',
  'msleep',
  'cond_resched',
  'process_timeout',
);

/**
 * "sched: Allow sleeping spinlocks on PREEMPT_RT within non_block_start()/end() block."
 * (Sebastian Andrzej Siewior, 2026, under review): __might_resched() takes a
 * `sleeping_lock` argument, which rtlock_might_resched() passes as true, and the
 * non_block test becomes `(sleeping_lock || !current->non_block_count)`.
 */
export const PATCH_RT_NONBLOCK_SLEEPING_LOCKS = 'sched: allow sleeping spinlocks on PREEMPT_RT within non_block';

/** __might_resched(): the sleep check point; check/might_sleep.ts decides whether it is legal. */
export function __might_resched(file: string, line: number, offsets: number, sleeping_lock = false): void {
  const t = current();
  t.frames.push('__might_resched');
  const non_block_ok = sleeping_lock && kernel().patches.has(PATCH_RT_NONBLOCK_SLEEPING_LOCKS);
  machine().emit({ type: 'might_resched', file, line, offsets, non_block_ok, task: t } as never);
  t.frames.pop();
}

/** might_sleep() at a given kernel source location. */
export function might_sleep(file = 'kernel/sched/core.c', line = 8773): void {
  __might_resched(file, line, 0);
}

export function set_current_state(state: number): void {
  const t = current();
  machine().access(t.stateId, ACCESS_WRITE);
  t.state = state;
}

export function __set_current_state(state: number): void {
  set_current_state(state);
}

/**
 * schedule(): gives up the CPU. A task whose state is not TASK_RUNNING is
 * dequeued until wake_up_process(); one that is running just yields.
 */
export function* schedule(on: Waitable | null = null): KGen {
  const t = current();
  const m = machine();
  t.frames.push('schedule');
  m.emit({ type: 'schedule', task: t } as never);
  if (t.state !== TASK_RUNNING) m.block(on);
  yield undefined;
  m.access(t.stateId, ACCESS_READ);
  t.frames.pop();
}

/** wake_up_process(): returns whether the task was woken. */
export function wake_up_process(t: Task): boolean {
  return machine().wake(t);
}

/** wake_up_state(): wakes only if the task sleeps in one of the given states. */
export function wake_up_state(t: Task, state: number): boolean {
  // try_to_wake_up() reads the task's state (under p->pi_lock) before deciding.
  machine().access(t.stateId, ACCESS_READ);
  if ((t.state & state) === 0 && t.state !== TASK_RUNNING) return false;
  return machine().wake(t);
}

/** struct process_timer (kernel/time/sleep_timeout.c): the sleeper a schedule_timeout() timer wakes. */
interface process_timer {
  readonly task: Task;
  fired: boolean;
}

/**
 * process_timeout(): the timer's expiry wakes the sleeper. Module-level, its timer as its argument
 * (a generator function made per call keeps the run's world alive through the young GC: see
 * docs/architecture.md, "What keeps a finished run alive").
 */
function* process_timeout(timeout: process_timer): KGen {
  timeout.fired = true;
  wake_up_process(timeout.task);
}

/** schedule_timeout(): sleeps (in the state set by the caller) for at most `timeout` jiffies. Returns jiffies left. */
export function* schedule_timeout(timeout: number): KGen<number> {
  const t = current();
  t.frames.push('schedule_timeout');
  const m = machine();
  if (timeout === MAX_SCHEDULE_TIMEOUT) {
    yield* schedule();
    t.frames.pop();
    return timeout;
  }
  const expires = m.clock() + jiffiesToNs(timeout);
  const sleeper: process_timer = { task: t, fired: false };
  const timer = timer_softirq_add(expires, t.cpu, () => process_timeout(sleeper));
  yield* schedule();
  timer.cancel();
  t.frames.pop();
  if (sleeper.fired) return 0;
  return Math.max(0, Math.ceil(((expires - m.clock()) * 1) / jiffiesToNs(1)));
}

export function* schedule_timeout_uninterruptible(timeout: number): KGen<number> {
  set_current_state(TASK_UNINTERRUPTIBLE);
  return yield* schedule_timeout(timeout);
}

export function* schedule_timeout_interruptible(timeout: number): KGen<number> {
  set_current_state(TASK_INTERRUPTIBLE);
  return yield* schedule_timeout(timeout);
}

export function* schedule_timeout_idle(timeout: number): KGen<number> {
  set_current_state(TASK_IDLE);
  return yield* schedule_timeout(timeout);
}

/**
 * msleep() (kernel/time/sleep_timeout.c): might_sleep(), then schedule_timeout_uninterruptible()
 * again until the whole timeout has passed, so a wake-up before it does not end the sleep.
 */
export function* msleep(ms: number): KGen {
  const t = current();
  t.frames.push('msleep');
  might_sleep('kernel/time/sleep_timeout.c', 310);
  let timeout = msecs_to_jiffies(ms);
  while (timeout) timeout = yield* schedule_timeout_uninterruptible(timeout);
  t.frames.pop();
}

/** cond_resched(): a voluntary preemption point. */
export function* cond_resched(): KGen {
  __might_resched('kernel/sched/core.c', 7480, 0);
  yield undefined;
}

/** kthread_run(): creates and starts a kernel thread. */
export function kthread_run(fn: () => TaskBody, name: string, cpu?: number): Task {
  return machine().spawn(name, fn, cpu === undefined ? { kthread: true } : { kthread: true, cpu });
}

/** Creates a user task: a process (its own thread group leader). */
export function spawn_user(comm: string, fn: () => TaskBody, cpu?: number): Task {
  return machine().spawn(comm, fn, cpu === undefined ? {} : { cpu });
}

/**
 * Creates a thread of `leader`'s process (clone(CLONE_THREAD)): its tgid is the leader's
 * (task_tgid_nr(), which sched_show_task() prints as "tgid:").
 */
export function spawn_user_thread(leader: Task, comm: string, fn: () => TaskBody, cpu?: number): Task {
  const t = spawn_user(comm, fn, cpu);
  t.data.tgid = task_tgid_nr(leader);
  return t;
}

export function task_pid_nr(t: Task): number {
  return t.pid;
}

/** task_tgid_nr(): the thread group's id (the leader's pid; a process's own pid). */
export function task_tgid_nr(t: Task): number {
  const g = t.data.tgid;
  return typeof g === 'number' ? g : t.pid;
}
