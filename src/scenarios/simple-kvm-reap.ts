/**
 * simple-kvm-reap: the seed's test exactly. simple_kvm opens /dev/kvm,
 * creates a VM, registers memory, creates a vCPU and sleeps; meanwhile
 * `echo $! | sudo tee /sys/kernel/debug/oom_reap_task` runs __oom_reap_task_mm()
 * on it; then the process exits (and its VM is destroyed).
 * 'nomn': no KVM (it selects MMU_NOTIFIER); the reap runs through the stubs.
 */
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { model_setup, simple_kvm_setup, sleep_a_while, spawn_process } from './oom-kvm-lib.js';
import { VARIANT_NAMES } from './oom-kvm-lib.js';

export const simpleKvmReap = defineScenario({
  name: 'simple-kvm-reap',
  description: "the seed's test: simple_kvm sleeps while a task writes its pid to debugfs oom_reap_task; then it exits",
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('simple_kvm', function* simple_kvm(ts) {
      if (kvm) yield* simple_kvm_setup(ts);
      // $ ./simple_kvm &  ;  echo $! | sudo tee /sys/kernel/debug/oom_reap_task
      spawn_process(
        'tee',
        function* tee() {
          yield* oom_reap_task_write(ts.pid);
        },
        false,
      );
      yield* sleep_a_while();
    });
  },
});

registerScenarios([simpleKvmReap]);
