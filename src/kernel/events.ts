/**
 * Events the kernel layer emits on the machine's event stream. Sanitizers
 * (check/) and the trace recorder (report/) observe them; nothing observed
 * here ever drives the machine.
 */
import type { Allocation, Task } from '../sim/index.js';

/** A lock class as lockdep sees it. */
export interface LockClass {
  readonly id: number;
  /** Name as lockdep prints it, e.g. "&kvm->mn_invalidate_lock" or "srcu". */
  readonly name: string;
  /** raw_spinlock, spinlock, rwlock, mutex, rwsem, lockdep_map, srcu */
  readonly type: string;
  /** lockdep wait-type pair printed as {inner:outer}, e.g. "{2:2}" */
  readonly wait: string;
}

export interface LockAcquireEvent {
  readonly type: 'lock_acquire';
  readonly cls: LockClass;
  /** Lock instance (object identity). */
  readonly lock: object;
  /** 0 exclusive, 1 shared read, 2 recursive read (srcu). */
  readonly read: 0 | 1 | 2;
  readonly trylock: boolean;
  /** An empty acquire+release pair (lock_map_sync / synchronize_srcu). */
  readonly sync: boolean;
  readonly task: Task;
  readonly at: string;
}

export interface LockAcquiredEvent {
  readonly type: 'lock_acquired';
  readonly cls: LockClass;
  readonly lock: object;
  readonly task: Task;
}

export interface LockContendedEvent {
  readonly type: 'lock_contended';
  readonly cls: LockClass;
  readonly lock: object;
  readonly task: Task;
}

export interface LockReleaseEvent {
  readonly type: 'lock_release';
  readonly cls: LockClass;
  readonly lock: object;
  readonly task: Task;
}

/** __might_resched(): a point where the current task may sleep. */
export interface MightReschedEvent {
  readonly type: 'might_resched';
  readonly file: string;
  readonly line: number;
  /** Expected preempt_count + (rcu depth << MIGHT_RESCHED_RCU_SHIFT). */
  readonly offsets: number;
  /**
   * A non_block section does not make this point illegal: true only for an RT sleeping
   * spinlock acquisition (`sleeping_lock`) on a kernel carrying the scheduler fix that allows
   * them there (see kernel/sched/core.ts, PATCH_RT_NONBLOCK_SLEEPING_LOCKS).
   */
  readonly non_block_ok: boolean;
  readonly task: Task;
}

/** __schedule() entered by a task that is going to sleep. */
export interface ScheduleEvent {
  readonly type: 'schedule';
  readonly task: Task;
}

/** WARN_ON / WARN_ON_ONCE / WARN fired. */
export interface WarnEvent {
  readonly type: 'warn';
  readonly file: string;
  readonly line: number;
  /** Optional message (WARN(cond, fmt...)). */
  readonly message: string;
  readonly task: Task;
}

/** BUG_ON fired; the task is killed after the report. */
export interface BugEvent {
  readonly type: 'bug';
  readonly file: string;
  readonly line: number;
  readonly task: Task;
}

/** RCU_LOCKDEP_WARN: "suspicious RCU usage". */
export interface RcuSuspiciousEvent {
  readonly type: 'rcu_suspicious';
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly task: Task;
}

export interface AllocEvent {
  readonly type: 'alloc';
  readonly alloc: Allocation;
  /** The object the allocator returned (kmemleak scans its block). */
  readonly obj?: object;
}

export interface FreeEvent {
  readonly type: 'free';
  readonly alloc: Allocation;
  readonly task: Task;
}

/** A free of memory that is not a live allocation (double-free or invalid-free). */
export interface BadFreeEvent {
  readonly type: 'bad_free';
  readonly alloc: Allocation | undefined;
  readonly label: string;
  readonly task: Task;
}

/** A kernel log line (printk). */
export interface PrintkEvent {
  readonly type: 'printk';
  readonly level: string;
  readonly text: string;
  readonly task: Task;
}

/** Context transitions, for the trace (preempt/irq off, non_block, rcu/srcu read sections). */
export interface ContextEvent {
  readonly type: 'context';
  /** preempt, irq, bh, non_block, rcu, srcu:<name>, migrate */
  readonly what: string;
  readonly on: boolean;
  readonly task: Task;
}

/** Model-function entry/exit, emitted only when tracing. */
export interface FrameEvent {
  readonly type: 'enter' | 'exit';
  readonly name: string;
  readonly task: Task;
}

export type KernelEvent =
  | LockAcquireEvent
  | LockAcquiredEvent
  | LockContendedEvent
  | LockReleaseEvent
  | MightReschedEvent
  | ScheduleEvent
  | WarnEvent
  | BugEvent
  | RcuSuspiciousEvent
  | AllocEvent
  | FreeEvent
  | BadFreeEvent
  | PrintkEvent
  | ContextEvent
  | FrameEvent;
