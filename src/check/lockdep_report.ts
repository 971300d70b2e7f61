/**
 * lockdep's report printers (kernel/locking/lockdep.c: print_deadlock_bug(),
 * print_circular_bug(), print_unlock_imbalance_bug(), lockdep_rcu_suspicious()): the kernel's
 * text for each splat, line by line. The validator (check/lockdep.ts) decides; these only print.
 */
import type { LockAcquireEvent, LockReleaseEvent, RcuSuspiciousEvent } from '../kernel/events.js';
import { type HeldLock, locationOf } from '../sim/index.js';
import { type RunLog, plainTrace } from './format.js';
import type { ClassKey, Edge, LockdepGraph, RunRef } from './lockdep_graph.js';

/** A lock on a task's held stack, with what the validator needs. */
export interface Held extends HeldLock {
  readonly ci: number;
  readonly readMode: 0 | 1 | 2;
  readonly trylock: boolean;
}

/** A splat: its headline (the title is "HEADLINE in FUNC"), text, and earlier runs' choices. */
export interface Splat {
  readonly headline: string;
  readonly text: string;
  readonly prelude?: number[][];
}

const BAN_CIRC = '='.repeat(54);
const DASH_CIRC = '-'.repeat(54);
const BAN_REC = '='.repeat(44);
const DASH_REC = '-'.repeat(44);
const BAN_RCU = '='.repeat(29);
const BAN_UNLOCK = '='.repeat(37);
const DASH_UNLOCK = '-'.repeat(37);
const DASH_RCU = '-'.repeat(29);

function lockLine(log: RunLog, lock: object, cls: ClassKey, at: string): string {
  return `${log.lockAddr(lock)} (${cls.name}){....}-${cls.wait}, at: ${at}`;
}

/** print_deadlock_bug(): the class being acquired is already held. */
export function print_deadlock_bug(
  log: RunLog,
  graph: LockdepGraph,
  ev: LockAcquireEvent,
  h: Held,
  stack: Held[],
): Splat {
  const t = ev.task;
  const cls = graph.classes[h.ci] as ClassKey;
  const lines = [
    BAN_REC,
    'WARNING: possible recursive locking detected',
    log.ident(),
    DASH_REC,
    `${t.comm}/${t.pid} is trying to acquire lock:`,
    lockLine(log, ev.lock, cls, ev.at),
    '',
    'but task is already holding lock:',
    lockLine(log, h.lock, cls, h.at),
    '',
    'other info that might help us debug this:',
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0',
    '       ----',
    `  ${h.readMode ? 'rlock' : 'lock'}(${cls.name});`,
    `  ${ev.sync ? 'sync' : ev.read ? 'rlock' : 'lock'}(${cls.name});`,
    '',
    ' *** DEADLOCK ***',
    '',
    ' May be due to missing lock nesting notation',
    '',
    log.heldLocks(t, stack),
    '',
    'stack backtrace:',
    log.dumpStack(t, ['dump_stack_lvl']),
  ];
  return { headline: 'WARNING: possible recursive locking detected', text: lines.join('\n') };
}

/** print_circular_bug(): the new dependency closes a cycle (`path`: next -> ... -> prev). */
export function print_circular_bug(
  log: RunLog,
  graph: LockdepGraph,
  run: RunRef,
  ev: LockAcquireEvent,
  h: Held,
  next: number,
  path: Edge[],
  stack: Held[],
): Splat {
  const t = ev.task;
  const to = graph.classes[next] as ClassKey;
  const from = graph.classes[h.ci] as ClassKey;
  const lines = [
    BAN_CIRC,
    'WARNING: possible circular locking dependency detected',
    log.ident(),
    DASH_CIRC,
    `${t.comm}/${t.pid} is trying to acquire lock:`,
    lockLine(log, ev.lock, to, ev.at),
    '',
    'but task is already holding lock:',
    lockLine(log, h.lock, from, h.at),
    '',
    'which lock already depends on the new lock.',
    '',
    '',
    'the existing dependency chain (in reverse order) is:',
  ];
  // path: next=L0 -> L1 -> ... -> Lk=prev; entry #j shows Lj with the trace of the edge into it.
  for (let j = path.length; j >= 1; j--) {
    const e = path[j - 1] as Edge;
    const c = graph.classes[e.to] as ClassKey;
    lines.push('', `-> #${j} (${c.name}){....}-${c.wait}:`, plainTrace(e.witness.trace, '       ', ['lock_acquire']));
  }
  lines.push(
    '',
    `-> #0 (${to.name}){....}-${to.wait}:`,
    plainTrace(t.frames, '       ', ['check_prev_add', 'validate_chain', '__lock_acquire', 'lock_acquire']),
    '',
    'other info that might help us debug this:',
    '',
  );
  const parentIdx = (path[path.length - 1] as Edge).from;
  const parent = graph.classes[parentIdx] as ClassKey;
  if (parentIdx !== next) lines.push('Chain exists of:', `  ${to.name} --> ${parent.name} --> ${from.name}`, '');
  const acq = ev.sync ? 'sync' : ev.read ? 'rlock' : 'lock';
  lines.push(
    ' Possible unsafe locking scenario:',
    '',
    '       CPU0                    CPU1',
    '       ----                    ----',
    `  ${h.readMode ? 'rlock' : 'lock'}(${from.name});`,
    `                               lock(${parent.name});`,
    `                               lock(${from.name});`,
    `  ${acq}(${to.name});`,
    '',
    ' *** DEADLOCK ***',
    '',
    log.heldLocks(t, stack),
    '',
    'stack backtrace:',
    log.dumpStack(t, ['dump_stack_lvl']),
  );
  const earlier = new Map<number, RunRef>();
  for (const e of path) if (e.witness.run !== run) earlier.set(e.witness.run.index, e.witness.run);
  const prelude = [...earlier.keys()].sort((a, b) => a - b).map((i) => (earlier.get(i) as RunRef).choices.slice());
  return { headline: 'WARNING: possible circular locking dependency detected', text: lines.join('\n'), prelude };
}

/** print_unlock_imbalance_bug(): a release of a lock the task does not hold. */
export function print_unlock_imbalance_bug(log: RunLog, ev: LockReleaseEvent, stack: Held[]): Splat {
  const t = ev.task;
  const lines = [
    BAN_UNLOCK,
    'WARNING: bad unlock balance detected!',
    log.ident(),
    DASH_UNLOCK,
    `${t.comm}/${t.pid} is trying to release lock (${ev.cls.name}) at:`,
    `[<0000000000000000>] ${locationOf(t.frames, t.entry)}`,
    'but there are no more locks to release!',
    '',
    'other info that might help us debug this:',
    log.heldLocks(t, stack),
    '',
    'stack backtrace:',
    log.dumpStack(t, ['dump_stack_lvl']),
  ];
  return { headline: 'WARNING: bad unlock balance', text: lines.join('\n') };
}

/** lockdep_rcu_suspicious(): "WARNING: suspicious RCU usage" at `site`. */
export function lockdep_rcu_suspicious(log: RunLog, ev: RcuSuspiciousEvent, site: string): Splat {
  const t = ev.task;
  const lines = [
    BAN_RCU,
    'WARNING: suspicious RCU usage',
    log.ident(),
    DASH_RCU,
    `${site} ${ev.message}!`,
    '',
    'other info that might help us debug this:',
    '',
    '',
    'rcu_scheduler_active = 2, debug_locks = 1',
    log.heldLocks(t),
    '',
    'stack backtrace:',
    log.dumpStack(t, ['dump_stack_lvl', 'lockdep_rcu_suspicious']),
  ];
  return { headline: 'WARNING: suspicious RCU usage', text: lines.join('\n') };
}
