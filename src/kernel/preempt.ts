/**
 * Execution-context primitives: preemption, interrupts, bottom halves,
 * migration and non_block sections (include/linux/preempt.h,
 * include/linux/irqflags.h, include/linux/bottom_half.h, include/linux/kernel.h).
 */
import { PREEMPT_OFFSET, SOFTIRQ_DISABLE_OFFSET, current, machine } from '../sim/index.js';
import { kconfig } from './kernel.js';
import { WARN_ON } from './bug.js';
import { rcu_read_lock, rcu_read_unlock } from './rcu/update.js';

function ctx(what: string, on: boolean): void {
  const m = machine();
  if (m.trace) m.emit({ type: 'context', what, on, task: m.current } as never);
}

export function preempt_disable(): void {
  const t = current();
  if (t.preempt_count++ === 0) ctx('preempt', true);
}

export function preempt_enable(): void {
  const t = current();
  WARN_ON(t.preempt_count === 0, 'include/linux/preempt.h:224');
  if (--t.preempt_count === 0) ctx('preempt', false);
}

export function preempt_count(): number {
  return current().preempt_count;
}

export function in_atomic(): boolean {
  return current().preempt_count !== 0;
}

export function local_irq_disable(): void {
  const t = current();
  if (!t.irqs_disabled) ctx('irq', true);
  t.irqs_disabled = true;
}

export function local_irq_enable(): void {
  const t = current();
  if (t.irqs_disabled) ctx('irq', false);
  t.irqs_disabled = false;
}

/** local_irq_save(): returns the previous state for local_irq_restore(). */
export function local_irq_save(): boolean {
  const was = current().irqs_disabled;
  local_irq_disable();
  return was;
}

export function local_irq_restore(flags: boolean): void {
  if (!flags) local_irq_enable();
}

export function irqs_disabled(): boolean {
  return current().irqs_disabled;
}

/**
 * local_bh_disable(): on !PREEMPT_RT adds SOFTIRQ_DISABLE_OFFSET to the
 * preempt count (so the section is atomic); on PREEMPT_RT takes the per-CPU
 * BH lock and enters an RCU read-side section (kernel/softirq.c), so
 * sleeping locks are legal but might_sleep() still complains.
 */
export function local_bh_disable(): void {
  const t = current();
  ctx('bh', true);
  if (kconfig().PREEMPT_RT) {
    const depth = (t.data.bh_disable_cnt as number | undefined) ?? 0;
    if (depth === 0) rcu_read_lock();
    t.data.bh_disable_cnt = depth + 1;
  } else {
    t.preempt_count += SOFTIRQ_DISABLE_OFFSET;
  }
}

export function local_bh_enable(): void {
  const t = current();
  if (kconfig().PREEMPT_RT) {
    const depth = (t.data.bh_disable_cnt as number | undefined) ?? 0;
    WARN_ON(depth === 0, 'kernel/softirq.c:258');
    t.data.bh_disable_cnt = depth - 1;
    if (depth === 1) rcu_read_unlock();
  } else {
    WARN_ON(t.preempt_count < SOFTIRQ_DISABLE_OFFSET, 'kernel/softirq.c:362');
    t.preempt_count -= SOFTIRQ_DISABLE_OFFSET;
  }
  ctx('bh', false);
}

export function in_softirq(): boolean {
  const t = current();
  return (t.preempt_count & 0xff00) !== 0 || ((t.data.bh_disable_cnt as number | undefined) ?? 0) > 0;
}

export function migrate_disable(): void {
  const t = current();
  t.data.migrate_disable = ((t.data.migrate_disable as number | undefined) ?? 0) + 1;
}

export function migrate_enable(): void {
  const t = current();
  t.data.migrate_disable = ((t.data.migrate_disable as number | undefined) ?? 1) - 1;
}

/** non_block_start(): only with CONFIG_DEBUG_ATOMIC_SLEEP (include/linux/kernel.h). */
export function non_block_start(): void {
  if (!kconfig().DEBUG_ATOMIC_SLEEP) return;
  const t = current();
  if (t.non_block_count++ === 0) ctx('non_block', true);
}

/** non_block_end(): WARN_ON(current->non_block_count-- == 0). */
export function non_block_end(): void {
  if (!kconfig().DEBUG_ATOMIC_SLEEP) return;
  const t = current();
  WARN_ON(t.non_block_count-- === 0, 'include/linux/kernel.h:118');
  if (t.non_block_count === 0) ctx('non_block', false);
}

export { PREEMPT_OFFSET };
