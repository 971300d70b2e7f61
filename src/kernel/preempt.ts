/**
 * Execution-context primitives: preemption, interrupts, bottom halves,
 * migration and non_block sections (include/linux/preempt.h,
 * include/linux/irqflags.h, include/linux/bottom_half.h, include/linux/kernel.h).
 */
import { type KGen, PREEMPT_OFFSET, SOFTIRQ_DISABLE_OFFSET, current, machine, RunSlot } from '../sim/index.js';
import { kconfig, onBoot } from './kernel.js';
import { spin_lock, spin_lock_init, spin_unlock, type spinlock_t } from './locking/spinlock.js';
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

/** softirq_ctrl.lock (kernel/softirq.c, PREEMPT_RT): one per CPU, created at boot (object ids in boot order). */
const SOFTIRQ_CTRL = new RunSlot<spinlock_t[]>('softirq_ctrl.lock');

onBoot((k) => {
  if (!k.config.PREEMPT_RT) return;
  const locks: spinlock_t[] = [];
  for (let cpu = 0; cpu < k.machine.nrCpus; cpu++) locks.push(spin_lock_init('softirq_ctrl.lock'));
  k.machine.ext.set(SOFTIRQ_CTRL, locks);
});

function softirq_ctrl_lock(cpu: number): spinlock_t {
  const locks = machine().ext.get(SOFTIRQ_CTRL) as spinlock_t[];
  return locks[cpu] as spinlock_t;
}

/**
 * local_bh_disable() (__local_bh_disable_ip()): on !PREEMPT_RT adds SOFTIRQ_DISABLE_OFFSET to the
 * preempt count (so the section is atomic, and no softirq, timer callbacks included, runs on this
 * CPU until local_bh_enable()). On PREEMPT_RT the first entry of a preemptible task takes the
 * per-CPU softirq_ctrl.lock (local_lock(): a sleeping spinlock_t, so rt_spin_lock()'s
 * rtlock_might_resched(), rcu_read_lock() and migrate_disable() come with it; the timer thread
 * takes the same lock around every timer callback of that CPU, so the two serialise), then
 * rcu_read_lock() ("Required to meet the RCU bottomhalf requirements"): RCU nesting 2. Sleeping
 * locks are legal inside, but might_sleep() still complains. A scheduling point only on
 * PREEMPT_RT (the lock may have to be waited for).
 */
export function* local_bh_disable(): KGen {
  const t = current();
  ctx('bh', true);
  if (kconfig().PREEMPT_RT) {
    const depth = (t.data.bh_disable_cnt as number | undefined) ?? 0;
    if (depth === 0 && t.preemptible()) {
      yield* spin_lock(softirq_ctrl_lock(t.cpu));
      t.data.bh_locked = true;
      rcu_read_lock();
    }
    t.data.bh_disable_cnt = depth + 1;
  } else {
    t.preempt_count += SOFTIRQ_DISABLE_OFFSET;
  }
}

/**
 * local_bh_enable(): the last one drops rcu_read_lock() and softirq_ctrl.lock on PREEMPT_RT (the
 * unlock is a visible release: a scheduling point there).
 */
export function* local_bh_enable(): KGen {
  const t = current();
  if (kconfig().PREEMPT_RT) {
    const depth = (t.data.bh_disable_cnt as number | undefined) ?? 0;
    WARN_ON(depth === 0, 'kernel/softirq.c:258');
    t.data.bh_disable_cnt = depth - 1;
    if (depth === 1 && t.data.bh_locked) {
      t.data.bh_locked = false;
      rcu_read_unlock();
      yield* spin_unlock(softirq_ctrl_lock(t.cpu));
    }
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
