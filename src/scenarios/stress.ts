/**
 * stress: the seed's "Stress runs (20 iterations)" in one run: a shell runs
 * simple-kvm-reap's sequence 20 times (`for i in $(seq 20); do ./simple_kvm &
 * echo $! | sudo tee /sys/kernel/debug/oom_reap_task; kill; wait; done`),
 * each iteration a new process, VM and mm, one after the other (the races
 * inside one iteration are simple-kvm-reap's). What stress adds is the
 * carry-over: late SRCU callbacks of one iteration (one global srcu domain)
 * running during the next, leaks, and lockdep state accumulated over 20 VMs.
 */
import { complete, completion, wait_for_completion } from '../kernel/completion.js';
import { spawn_user } from '../kernel/sched/core.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import type { KGen } from '../sim/index.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { VARIANT_NAMES, model_setup, simple_kvm_setup, spawn_process } from './oom-kvm-lib.js';

export const ITERATIONS = 20;

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

/** The shell's loop. */
function* sh(kvm: boolean): KGen {
  for (let i = 0; i < ITERATIONS; i++) {
    const ready = new completion('ready');
    const go = new completion('go');
    const exited = new completion('wait');
    const child = spawn_process('simple_kvm', (ts) => simple_kvm(ts, kvm, ready, go), true, exited);
    yield* wait_for_completion(ready);
    // echo $! | sudo tee /sys/kernel/debug/oom_reap_task
    yield* oom_reap_task_write(child.pid);
    yield* complete(go);
    yield* wait_for_completion(exited);
  }
}

/** One iteration's simple_kvm. */
function* simple_kvm(ts: task_struct, kvm: boolean, ready: completion, go: completion): KGen {
  if (kvm) yield* simple_kvm_setup(ts);
  yield* complete(ready);
  // sleep(): ended by the shell once the reap is done
  yield* wait_for_completion(go);
}

export const stress = defineScenario({
  name: 'stress',
  description: "the seed's 20 iterations of simple_kvm + debugfs oom_reap_task, one after the other",
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 20000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    // The entry stays "sh" (the arrow has no name: the comm).
    spawn_user('sh', () => sh(kvm));
  },
});

registerScenarios([stress]);
