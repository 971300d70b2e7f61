/**
 * Events of the RCU and SRCU grace-period machinery, for the trace exporter
 * (and any checker that wants them). They are emitted whether or not the
 * run is traced; the read-side 'context' events (what: 'rcu', 'srcu:<name>')
 * are trace-only and typed in kernel/events.ts.
 */
import type { Task } from '../../sim/index.js';

/** A grace period of an SRCU domain (or of RCU, domain 'rcu') starts, flips its index, or ends. */
export interface SrcuGpEvent {
  readonly type: 'srcu_gp';
  readonly phase: 'start' | 'flip' | 'end';
  /** The srcu_struct's name ("srcu"), or "rcu" for RCU itself. */
  readonly domain: string;
  /** Grace-period number (1 for the first grace period of the domain). */
  readonly seq: number;
  /** The task whose step did it (pid 0 for the timer-driven state machine). */
  readonly task: Task;
}

/** A callback queued with call_srcu()/call_rcu(): queued, invoked, finished, or leaked (duplicate). */
export interface SrcuCbEvent {
  readonly type: 'srcu_cb';
  readonly phase: 'queue' | 'invoke' | 'done' | 'leak';
  readonly domain: string;
  /** The callback function's name. */
  readonly fn: string;
  /** The CPU whose callback list holds it. */
  readonly cpu: number;
  /** The grace period it waits for. */
  readonly seq: number;
  readonly task: Task;
}

/** At the step limit: RCU's grace period `gp_seq` still waits for these readers (a stall). */
export interface RcuStallEvent {
  readonly type: 'rcu_stall';
  readonly gp_seq: number;
  readonly started_ns: number;
  /** The readers it waits for: in rcu_read_lock() or running non-preemptibly. */
  readonly tasks: readonly Task[];
}

export type RcuEvent = SrcuGpEvent | SrcuCbEvent | RcuStallEvent;
