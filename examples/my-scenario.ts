/**
 * An example user scenario, written against kernsim's public API only:
 *
 *   kernsim explore --scenario ./examples/my-scenario.ts --variant v2 --config rt
 *
 * A VMM registers guest memory, then two reapers race on it: the seed's
 * debugfs oom_reap_task trigger and process_mrelease() after a SIGKILL.
 *
 * The task bodies are module-level generator functions taking what they work on as arguments (a
 * thread function's `void *data`); setup() only spawns them with arrows. (A generator function
 * made inside setup() would work the same but cost every run: docs/architecture.md, "What keeps a
 * finished run alive".)
 */
import { type KGen, defineScenario } from 'kernsim';
import {
  VARIANT_NAMES,
  do_send_sig_info_sigkill,
  find_task_by_vpid,
  model_setup,
  oom_reap_task_write,
  process_mrelease,
  simple_kvm_setup,
  sleep_until_killed,
  spawn_process,
  type task_struct,
} from 'kernsim/linux';

function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

function* lmkd(_self: task_struct, victim: task_struct): KGen {
  const t = find_task_by_vpid(victim.pid);
  if (t) yield* do_send_sig_info_sigkill(t);
  yield* process_mrelease(victim.pid, 0);
}

function* qemu(ts: task_struct, kvm: boolean): KGen {
  if (kvm) yield* simple_kvm_setup(ts, false);
  spawn_process('tee', (self) => tee(self, ts), false);
  spawn_process('lmkd', (self) => lmkd(self, ts), false);
  yield* sleep_until_killed();
}

export default defineScenario({
  name: 'two-reapers',
  description: 'debugfs oom_reap_task and process_mrelease() reap the same VMM',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});
