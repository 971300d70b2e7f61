/**
 * The zaps as walks with resched points (arch/x86/kvm/mmu/tdp_mmu.c, mmu.c): the resched point's
 * __might_resched(PREEMPT_LOCK_RESCHED_OFFSETS) fires in v3's after_oom_unregister (an SRCU callback,
 * BH disabled) and is silent in process context (exit_mmap's ->release, kvm_destroy_vm's unregister).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MightReschedEvent } from '../../src/kernel/events.js';
import { kvm_arch_vcpu_ioctl_run } from '../../src/models/linux/virt/kvm/kvm_main.js';
import { type Vm, close_all_files } from '../../src/scenarios/oom-kvm-lib.js';
import { RoundRobin } from '../kernel/helpers.js';
import { dpor } from './helpers.js';
import { runVmm } from './kvm-lib.js';

const ZAP = 'BUG: sleeping function called from invalid context in __tdp_mmu_zap_root';

// v3 now runs its cleanup from a work item (docs/v3.md change 6); oom_cleanup_context=srcu_callback
// is the earlier v3, whose zap runs in the SRCU callback.
test('zap in the SRCU callback: the resched point fails (!RT: preempt_count 0x201 vs 1; RT: RCU nest depth 3 vs 1)', async () => {
  const nonrt = await dpor('simple-kvm-reap', 'v3', 'nonrt', ['oom_cleanup_context=srcu_callback'], 0, 20000, 1);
  const a = nonrt.titles.get(ZAP);
  assert.ok(a, [...nonrt.titles.keys()].join(' | '));
  assert.match(a.text, /preempt_count: 201, expected: 1/);
  assert.match(a.text, /kvm_mmu_notifier_after_oom_unregister[\s\S]*srcu_invoke_callbacks/);
  const rt = await dpor('simple-kvm-reap', 'v3', 'rt', ['oom_cleanup_context=srcu_callback'], 0, 20000, 1);
  const b = rt.titles.get(ZAP);
  assert.ok(b, [...rt.titles.keys()].join(' | '));
  // PREEMPT_RT: srcu_invoke_callbacks' local_bh_disable() takes softirq_ctrl.lock (rt_spin_lock's
  // rcu_read_lock) and then rcu_read_lock() itself; the held mmu_lock (rt_write_lock) adds the third.
  // PREEMPT_LOCK_RESCHED_OFFSETS expects only the lock's own level.
  assert.match(b.text, /RCU nest depth: 3, expected: 1/);
  // v2 with zap_in_callback=true zaps in the same context
  const v2 = await dpor('simple-kvm-reap', 'v2', 'nonrt', ['zap_in_callback=true'], 0, 20000, 1);
  assert.ok(v2.titles.has(ZAP), [...v2.titles.keys()].join(' | '));
});

test('zap in process context: the same resched point is reached and silent (->release from kvm_destroy_vm)', () => {
  for (const PREEMPT_RT of [false, true]) {
    const run = runVmm(
      new RoundRobin(),
      function* (ts, vm: Vm) {
        yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, [0, 1]);
        yield* close_all_files(ts); // the last kvm reference: kvm_destroy_vm → unregister → ->release → zap
      },
      'upstream',
      { PREEMPT_RT },
    );
    const points = run.events.filter(
      (e) => e.type === 'might_resched' && (e as MightReschedEvent).file === 'arch/x86/kvm/mmu/tdp_mmu.c',
    );
    assert.ok(points.length > 0, `RT=${PREEMPT_RT}: the walk's resched point was reached`);
    assert.equal(run.result.end, 'done');
    assert.deepEqual(
      run.reports.filter((r) => r.kind === 'might_sleep').map((r) => r.title),
      [],
      `RT=${PREEMPT_RT}`,
    );
  }
});

test('zap in the reaper (non-blockable): no resched point (can_yield = may_block = false), upstream nonrt clean', async () => {
  const s = await dpor('simple-kvm-reap', 'upstream', 'nonrt', [], 0, 20000, 1);
  assert.ok(s.complete);
  assert.deepEqual([...s.titles.keys()], []);
});
