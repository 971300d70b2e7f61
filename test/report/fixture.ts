/**
 * A small program built from the kernel primitives for the report tests: two
 * tasks taking two locks in opposite orders under a scripted schedule (an
 * ABBA deadlock), a preempt-off section, an RCU read section, an injected
 * fault, a printk line, a hostile task and function name, SRCU grace-period
 * and callback events (shaped as kernel/rcu/events.ts emits them), and a finding reported by the victim.
 */
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import { rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { spawn_user, kthread_run } from '../../src/kernel/sched/core.js';
import { printk } from '../../src/kernel/bug.js';
import { type ChoicePoint, type Strategy, kfunc, machine } from '../../src/sim/index.js';
import { type RunTrace, recordRun } from '../../src/report/recorder.js';

export const HOSTILE = '<img src=x onerror=alert(1)>';

/** Runs the lowest enabled pid other than the previous one when it can (so the tasks interleave); faults fire. */
class Alternate implements Strategy {
  choose(p: ChoicePoint): number {
    if (p.kind === 'data') return p.options - 1;
    const others = p.enabled.filter((x) => x !== p.current && x !== 0);
    return (others[0] ?? p.enabled[0]) as number;
  }
}

export function fixtureRun(opts: { hostile?: boolean; loops?: number } = {}): RunTrace {
  const k = boot(makeConfig({ NR_CPUS: 2 }), { strategy: new Alternate(), trace: true, maxSteps: 1_000_000 });
  const rec = recordRun(k.machine);
  const a = mutex_init('&kvm->lock');
  const b = mutex_init('&mm->mmap_lock');
  const hostileFn = kfunc(
    function* () {
      yield undefined;
    },
    opts.hostile ? HOSTILE : 'hostile_fn',
  );
  const inner = kfunc(function* victim_inner() {
    preempt_disable();
    yield undefined;
    preempt_enable();
    rcu_read_lock();
    yield undefined;
    rcu_read_unlock();
    const failed = machine().chooseData(2, 'kmalloc(GFP_ATOMIC) fails', true);
    if (failed) printk('warn', `alloc failed <b>${opts.hostile ? HOSTILE : ''}</b>`);
    yield* hostileFn();
  });
  const busy = kfunc(function* busy_loop(n: number) {
    for (let i = 0; i < n; i++) yield undefined;
  });
  const t1 = kfunc(function* task_one() {
    yield* busy(opts.loops ?? 3);
    yield* mutex_lock(a);
    yield* inner();
    yield* mutex_lock(b);
    yield* mutex_unlock(b);
    yield* mutex_unlock(a);
  });
  const t2 = kfunc(function* task_two() {
    yield* busy(opts.loops ?? 3);
    yield* mutex_lock(b);
    yield undefined;
    const task = machine().current;
    const cb = { domain: 'mn_srcu', fn: 'mmu_notifier_free_rcu', cpu: 1, seq: 4, task };
    machine().emit({ type: 'srcu_gp', phase: 'start', domain: 'mn_srcu', seq: 4, task } as never);
    yield undefined;
    machine().emit({ type: 'srcu_gp', phase: 'flip', domain: 'mn_srcu', seq: 4, task } as never);
    machine().emit({ type: 'srcu_gp', phase: 'end', domain: 'mn_srcu', seq: 4, task } as never);
    machine().emit({ type: 'srcu_cb', phase: 'invoke', ...cb } as never);
    yield undefined;
    machine().emit({ type: 'srcu_cb', phase: 'done', ...cb } as never);
    const report_it = kfunc(function* report_deadlock() {
      const m = machine();
      m.report({
        kind: 'deadlock',
        title: 'possible deadlock in task_two',
        text: [
          '======================================================',
          'WARNING: possible circular locking dependency detected',
          '------------------------------------------------------',
          `${opts.hostile ? HOSTILE : 'worker'}/2 is trying to acquire lock:`,
          '',
          'Call Trace:',
          ' <TASK>',
          ' report_deadlock',
          ' task_two+0x10/0x40',
          ' victim_inner',
          ` ${opts.hostile ? HOSTILE : 'hostile_fn'}`,
          ' </TASK>',
        ].join('\n'),
      });
    });
    yield* report_it();
    yield* mutex_lock(a);
    yield* mutex_unlock(a);
    yield* mutex_unlock(b);
  });
  spawn_user(opts.hostile ? HOSTILE : 'worker', () => t1());
  kthread_run(() => t2(), 'kworker/1:1');
  k.machine.run();
  return rec.finish();
}
