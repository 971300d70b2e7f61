/**
 * A simulated task: a generator that yields at every scheduling point.
 *
 * The machine knows nothing about Linux subsystems, but a task carries the
 * per-task execution context that every kernel-style checker needs (preempt
 * count in the kernel's bit layout, irq state, RCU depth, non_block count,
 * held locks), so that preemptibility and sleep checks are decided here.
 */

/** What a task yields: nothing (a plain scheduling point) or a resource it wants to acquire. */
export type Pending = Acquirable | undefined;
export type TaskBody = Generator<Pending, void, undefined>;
/** A simulated function: a generator that yields at scheduling points and returns R. */
export type KGen<R = void> = Generator<Pending, R, undefined>;

/** Something a task can wait to acquire (a lock). The task is not runnable until canAcquire is true. */
export interface Acquirable {
  readonly id: number;
  /** A shared acquisition (recorded as ACCESS_ACQUIRE_SHARED); exclusive when absent. */
  readonly shared?: boolean;
  canAcquire(task: Task): boolean;
  /** Tasks currently holding it (for wait-for graphs). */
  owners(): readonly Task[];
  /** Whether a waiter sleeps (true) or spins (false). */
  readonly sleeping: boolean;
  describe(): string;
}

/** Something a blocked task waits for, for deadlock and hang diagnostics. */
export interface Waitable {
  owners(): readonly Task[];
  describe(): string;
}

export interface HeldLock {
  readonly lock: object;
  readonly name: string;
  /** Top model frame at acquisition (the "at:" of lockdep). */
  readonly at: string;
  readonly read: boolean;
  /** Step index of the acquisition. */
  readonly step: number;
}

// Task states (values follow include/linux/sched.h).
export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
export const TASK_DEAD = 0x80;

// preempt_count layout (include/linux/preempt.h).
export const PREEMPT_OFFSET = 1;
export const SOFTIRQ_OFFSET = 1 << 8;
export const SOFTIRQ_DISABLE_OFFSET = 2 * SOFTIRQ_OFFSET;
export const HARDIRQ_OFFSET = 1 << 16;

export class Task {
  /** Whether the task is dequeued, waiting for a wake-up. */
  blocked = false;
  dead = false;
  /** task->__state */
  state = TASK_RUNNING;
  /** Resource the task waits to acquire (set while it yields one). */
  pending: Pending = undefined;
  /** What a blocked task sleeps on, for diagnostics. */
  waitingOn: Waitable | null = null;
  /** Virtual time (ns) at which the task last blocked. */
  blockedSince = 0;

  preempt_count = 0;
  irqs_disabled = false;
  rcu_read_lock_nesting = 0;
  non_block_count = 0;
  /** Kernel-style lockdep held-lock stack. */
  readonly held: HeldLock[] = [];
  /** Simulated call stack: function names, outermost first. */
  readonly frames: string[] = [];
  /**
   * The name of the function the task was started with (its body's name, else its comm), for a report
   * made while no kfunc frame is on the stack: a WARN in a task body not wrapped in kfunc is titled
   * "in body", not "in ?".
   */
  entry = '';
  /** Number of steps this task has executed. */
  steps = 0;
  /**
   * The arguments of the kfunc frames being executed, three slots per frame: its depth (frames.length
   * once pushed), the step index it was entered at, its argument list. What a task's stack holds, for
   * kmemleak's scan of live tasks' stacks (check/kmemleak.ts).
   */
  readonly args: unknown[] = [];
  /** Objects living in a frame: released when the frame at `depth` returns. */
  readonly scoped: { depth: number; release: () => void }[] = [];
  /** Free-form per-task data for upper layers (e.g. mm, signal state). */
  readonly data: Record<string, unknown> = {};

  readonly pid: number;
  comm: string;
  /** The CPU the task runs on (fixed for a task; the timer task takes the CPU of the timer it fires). */
  cpu: number;
  readonly kthread: boolean;
  readonly gen: TaskBody;
  /** Object id of this task's state word, for dependency tracking of sleep/wake. */
  readonly stateId: number;

  constructor(pid: number, comm: string, cpu: number, kthread: boolean, gen: TaskBody, stateId: number) {
    this.pid = pid;
    this.comm = comm;
    this.cpu = cpu;
    this.kthread = kthread;
    this.gen = gen;
    this.stateId = stateId;
  }

  /** Whether the task can be preempted (preempt_count == 0 and irqs enabled). */
  preemptible(): boolean {
    return this.preempt_count === 0 && !this.irqs_disabled;
  }

  get name(): string {
    return this.comm;
  }
}
