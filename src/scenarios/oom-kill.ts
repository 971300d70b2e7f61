/**
 * oom-kill: the real path. A VMM (main thread + one vCPU thread running the
 * guest) is the largest process; a kernel allocation invokes the OOM killer,
 * which kills the VMM and queues the oom_reaper (2 s timer); the reaper reaps
 * while the victim's threads exit and the VM is destroyed.
 * 'nomn': no KVM; the victim is a plain process and the OOM path runs through the stubs.
 */
import type { KGen } from '../sim/index.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { GFP_KERNEL } from '../kernel/mm/slab.js';
import { kthread_run } from '../kernel/sched/core.js';
import { __alloc_pages_may_oom, oom_init } from '../models/linux/mm/oom_kill.js';
import { kvm_arch_vcpu_ioctl_run } from '../models/linux/virt/kvm/kvm_main.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { VARIANT_NAMES, model_setup, simple_kvm_setup, sleep_until_killed, spawn_process } from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

/** The kworker's allocation. */
function* kworker(): KGen {
  yield* __alloc_pages_may_oom(GFP_KERNEL, 0);
}

/** A kernel allocation under memory pressure: the one that invokes the OOM killer. */
export function spawn_memhog(): void {
  kthread_run(kworker, 'kworker/u4:2');
}

function* qemu(ts: task_struct, kvm: boolean): KGen {
  const vm = kvm ? yield* simple_kvm_setup(ts) : null;
  spawn_memhog();
  // the vCPU thread's KVM_RUN (run here, in the main thread, to keep the scenario small)
  if (vm?.vcpu) yield* kvm_arch_vcpu_ioctl_run(vm.vcpu, [0, 0]);
  yield* sleep_until_killed();
}

export const oomKill = defineScenario({
  name: 'oom-kill',
  description: 'an allocation invokes the OOM killer; the VMM is the victim; the oom_reaper reaps while it exits',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    oom_init();
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([oomKill]);
