/**
 * simple-kvm-reap: the seed's test exactly. simple_kvm opens /dev/kvm,
 * creates a VM, registers memory, creates a vCPU and sleeps; meanwhile
 * `echo $! | sudo tee /sys/kernel/debug/oom_reap_task` runs __oom_reap_task_mm()
 * on it; then the process exits (and its VM is destroyed).
 * 'nomn': no KVM (it selects MMU_NOTIFIER); the reap runs through the stubs.
 */
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import type { KGen } from '../sim/index.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { model_setup, simple_kvm_setup, sleep_a_while, spawn_process } from './oom-kvm-lib.js';
import { VARIANT_NAMES } from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* simple_kvm(ts: task_struct, kvm: boolean): KGen {
  if (kvm) yield* simple_kvm_setup(ts);
  // $ ./simple_kvm &  ;  echo $! | sudo tee /sys/kernel/debug/oom_reap_task
  spawn_process('tee', (self) => tee(self, ts), false);
  yield* sleep_a_while();
}

/** `echo $pid | sudo tee /sys/kernel/debug/oom_reap_task` */
function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

export const simpleKvmReap = defineScenario({
  name: 'simple-kvm-reap',
  description: "the seed's test: simple_kvm sleeps while a task writes its pid to debugfs oom_reap_task; then it exits",
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('simple_kvm', (ts) => simple_kvm(ts, kvm));
  },
});

registerScenarios([simpleKvmReap]);
