/**
 * destroy-race: kvm_destroy_vm() racing the OOM detach. The VMM closes its
 * vCPU and VM fds (the last reference: kvm_destroy_vm() runs in close())
 * while an allocation OOM-kills it: the detach runs from __oom_kill_process()
 * (v1) or from the oom_reaper (v2, v3), on the same subscription.
 * 'nomn': no KVM; the OOM kill and reap of a plain process.
 */
import type { KGen } from '../sim/index.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { oom_init } from '../models/linux/mm/oom_kill.js';
import { spawn_memhog } from './oom-kill.js';
import {
  VARIANT_NAMES,
  close_all_files,
  model_setup,
  simple_kvm_setup,
  sleep_until_killed,
  spawn_process,
} from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  if (kvm) yield* simple_kvm_setup(ts, false);
  spawn_memhog();
  // close(vcpu_fd); close(vm_fd): the last kvm reference goes here
  yield* close_all_files(ts);
  yield* sleep_until_killed();
}

export const destroyRace = defineScenario({
  name: 'destroy-race',
  description: 'the VMM closes its VM (kvm_destroy_vm) while the OOM killer/reaper detaches its notifier',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    oom_init();
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([destroyRace]);
