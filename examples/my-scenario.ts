/**
 * An example user scenario, written against kernsim's public API only:
 *
 *   kernsim explore --scenario ./examples/my-scenario.ts --variant v2 --config rt
 *
 * A VMM registers guest memory, then two reapers race on it: the seed's
 * debugfs oom_reap_task trigger and process_mrelease() after a SIGKILL.
 */
import { defineScenario } from 'kernsim';
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
} from 'kernsim/linux';

export default defineScenario({
  name: 'two-reapers',
  description: 'debugfs oom_reap_task and process_mrelease() reap the same VMM',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', function* qemu(ts) {
      if (kvm) yield* simple_kvm_setup(ts, false);
      spawn_process(
        'tee',
        function* tee() {
          yield* oom_reap_task_write(ts.pid);
        },
        false,
      );
      spawn_process(
        'lmkd',
        function* lmkd() {
          const victim = find_task_by_vpid(ts.pid);
          if (victim) yield* do_send_sig_info_sigkill(victim);
          yield* process_mrelease(ts.pid, 0);
        },
        false,
      );
      yield* sleep_until_killed();
    });
  },
});
