/**
 * might_sleep checker: __might_resched() (kernel/sched/core.c) and the
 * "scheduling while atomic" check of schedule_debug().
 *
 * The condition is the kernel's: silent when
 *   preempt_count() + (rcu_preempt_depth() << MIGHT_RESCHED_RCU_SHIFT) == offsets
 *   && !irqs_disabled() && !current->non_block_count
 * and at most one report per HZ of virtual time (prev_jiffy). Timer callbacks
 * carry the softirq count in their preempt_count (the machine runs them in that
 * context on !PREEMPT_RT), so they need no special case here.
 */
import type { MightReschedEvent, ScheduleEvent } from '../kernel/events.js';
import { locationOf } from '../sim/index.js';
import type { RunLog } from './format.js';
import type { Checker, InstalledChecker } from './checker.js';

const MIGHT_RESCHED_RCU_SHIFT = 8;
const MIGHT_RESCHED_PREEMPT_MASK = (1 << MIGHT_RESCHED_RCU_SHIFT) - 1;

function hex(n: number): string {
  return n.toString(16);
}

function installMightSleep(log: RunLog): InstalledChecker {
  const { config } = log;
  const hzNs = 1e9 / config.HZ;
  /** prev_jiffy, per run. */
  let prevJiffy = Number.NEGATIVE_INFINITY;

  function mightResched(ev: MightReschedEvent): void {
    if (!config.DEBUG_ATOMIC_SLEEP) return;
    const t = ev.task;
    const pc = t.preempt_count;
    const rcu = t.rcu_read_lock_nesting;
    if (
      pc + (rcu << MIGHT_RESCHED_RCU_SHIFT) === ev.offsets &&
      !t.irqs_disabled &&
      (ev.non_block_ok || t.non_block_count === 0)
    )
      return;
    const m = log.m;
    const jiffies = Math.floor(m.now / hzNs);
    if (jiffies < prevJiffy + config.HZ) return;
    prevJiffy = jiffies;
    const lines = [
      `BUG: sleeping function called from invalid context at ${ev.file}:${ev.line}`,
      `in_atomic(): ${pc !== 0 ? 1 : 0}, irqs_disabled(): ${t.irqs_disabled ? 1 : 0}, non_block: ${t.non_block_count}, pid: ${t.pid}, name: ${t.comm}`,
      `preempt_count: ${hex(pc)}, expected: ${hex(ev.offsets & MIGHT_RESCHED_PREEMPT_MASK)}`,
      `RCU nest depth: ${rcu}, expected: ${ev.offsets >> MIGHT_RESCHED_RCU_SHIFT}`,
    ];
    const held = log.showHeldLocks(t);
    if (held !== null) lines.push(held);
    lines.push(log.dumpStack(t, ['dump_stack_lvl']));
    m.report({
      kind: 'might_sleep',
      title: `BUG: sleeping function called from invalid context in ${locationOf(t.frames, t.entry)}`,
      text: lines.join('\n'),
    });
    log.taint('W');
  }

  function schedule(ev: ScheduleEvent): void {
    const t = ev.task;
    if (t.preempt_count === 0) return;
    const lines = [
      `BUG: scheduling while atomic: ${t.comm}/${t.pid}/0x${t.preempt_count.toString(16).padStart(8, '0')}`,
    ];
    lines.push('Modules linked in:');
    const held = log.showHeldLocks(t);
    if (held !== null) lines.push(held);
    lines.push(log.dumpStack(t, ['dump_stack_lvl', '__schedule_bug', '__schedule']));
    log.m.report({
      kind: 'might_sleep',
      title: `BUG: scheduling while atomic in ${locationOf(t.frames, t.entry)}`,
      text: lines.join('\n'),
    });
    log.taint('W');
  }

  log.on('might_resched', mightResched);
  log.on('schedule', schedule);
  return {
    begin(): void {
      prevJiffy = Number.NEGATIVE_INFINITY;
    },
  };
}

/** DEBUG_ATOMIC_SLEEP: the checker (check/checker.ts). */
export const might_sleep: Checker = { name: 'might_sleep', install: ({ log }) => installMightSleep(log) };
