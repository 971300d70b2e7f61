/**
 * An example user design: a kernel patch applied from a file (docs/patches.md).
 *
 *   kernsim list --scenario ./examples/patched-unregister.ts
 *   kernsim explore --scenario ./examples/patched-unregister.ts --variant upstream-nosync --config nonrt
 *
 * The patch drops the synchronize_srcu() from mmu_notifier_unregister(): KVM's kvm_destroy_vm()
 * then frees struct kvm while the oom_reaper kthread may still be inside its notifier (an SRCU
 * reader). The scenario is the built-in destroy-race, run under the patched variant; upstream
 * (unpatched) is clean on nonrt. A second patch, of v2, calls through: kvm_destroy_vm() skips
 * mmu_notifier_barrier() while every other caller keeps it.
 */
import { caller, defineScenario, definePatch, defineVariant } from 'kernsim';
import {
  BUG_ON,
  hlist_del_init_rcu,
  hlist_unhashed,
  spin_lock,
  spin_unlock,
  srcu_read_lock,
  srcu_read_unlock,
} from 'kernsim/kernel';
import {
  destroyRace,
  type mm_struct,
  mm_count_read,
  mmdrop,
  type mmu_notifier,
  type mmu_notifier_subscriptions,
  mmu_notifier_srcu,
} from 'kernsim/linux';

/** mm/mmu_notifier.c: mmu_notifier_unregister() without its synchronize_srcu(). */
export const unregisterNoSync = definePatch({
  name: 'unregister-no-synchronize-srcu',
  description: 'mmu_notifier_unregister() returns without waiting for SRCU readers',
  function: 'mmu_notifier_unregister',
  *body(_original, subscription: mmu_notifier, mm: mm_struct) {
    const srcu = mmu_notifier_srcu();
    BUG_ON(mm_count_read(mm) <= 0, 'mm/mmu_notifier.c:791');
    const subscriptions = mm.notifier_subscriptions as mmu_notifier_subscriptions;
    if (!hlist_unhashed(subscription.hlist)) {
      const id = yield* srcu_read_lock(srcu);
      if (subscription.ops.release) yield* subscription.ops.release(subscription, mm);
      yield* srcu_read_unlock(srcu, id);
      yield* spin_lock(subscriptions.lock);
      hlist_del_init_rcu(subscription.hlist);
      yield* spin_unlock(subscriptions.lock);
    }
    // - synchronize_srcu(&srcu);
    BUG_ON(mm_count_read(mm) <= 0, 'mm/mmu_notifier.c:826');
    yield* mmdrop(mm);
  },
});

export const upstreamNoSync = defineVariant({
  name: 'upstream-nosync',
  description: 'mainline with mmu_notifier_unregister() not waiting for SRCU readers',
  base: 'upstream',
  patches: [unregisterNoSync],
});

/** virt/kvm/kvm_main.c: kvm_destroy_vm() no longer waits in mmu_notifier_barrier() (v2's wait for the OOM callback). */
export const destroySkipsBarrier = definePatch({
  name: 'destroy-skips-barrier',
  description: 'kvm_destroy_vm() does not wait for the OOM callback; every other caller still does',
  function: 'mmu_notifier_barrier',
  *body(original) {
    if (caller() === 'kvm_destroy_vm') return;
    yield* original();
  },
});

export const v2NoBarrier = defineVariant({
  name: 'v2-no-barrier',
  description: 'v2 with kvm_destroy_vm() not waiting in mmu_notifier_barrier()',
  base: 'v2',
  patches: [destroySkipsBarrier],
});

export default defineScenario({
  ...destroyRace,
  name: 'destroy-race-nosync',
  description: 'destroy-race under upstream, with and without the synchronize_srcu() in mmu_notifier_unregister()',
  variants: ['upstream', upstreamNoSync, 'v2', v2NoBarrier],
  configs: ['nonrt', 'rt'],
});
