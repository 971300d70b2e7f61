/**
 * RCU read side (include/linux/rcupdate.h, CONFIG_PREEMPT_RCU): the nesting
 * count and the rcu_read_lock lockdep map. Grace periods (synchronize_rcu,
 * call_rcu) live in kernel/rcu/tree.ts.
 */
import { current, machine } from '../../sim/index.js';
import { lock_is_held, lock_map_acquire_read, lock_map_release, lockdep_map } from '../locking/lockdep.js';
import { onBoot } from '../kernel.js';

/** rcu_lock_map: lockdep's view of rcu_read_lock(). */
export let rcu_lock_map = new lockdep_map('rcu_read_lock');

onBoot(() => {
  rcu_lock_map = new lockdep_map('rcu_read_lock');
});

export function rcu_read_lock(): void {
  const t = current();
  if (t.rcu_read_lock_nesting++ === 0) {
    const m = machine();
    if (m.trace) m.emit({ type: 'context', what: 'rcu', on: true, task: t } as never);
  }
  lock_map_acquire_read(rcu_lock_map);
}

export function rcu_read_unlock(): void {
  const t = current();
  lock_map_release(rcu_lock_map);
  if (--t.rcu_read_lock_nesting === 0) {
    const m = machine();
    if (m.trace) m.emit({ type: 'context', what: 'rcu', on: false, task: t } as never);
  }
}

/** rcu_preempt_depth() */
export function rcu_preempt_depth(): number {
  return current().rcu_read_lock_nesting;
}

export function rcu_read_lock_held(): boolean {
  return lock_is_held(rcu_lock_map);
}
