/**
 * mrelease: process_mrelease() racing the oom_reaper on the same mm. A
 * userspace low-memory killer (lmkd) sends SIGKILL to the VMM and calls
 * process_mrelease() on it, while a kernel allocation invokes the OOM killer,
 * which picks the same (dying) VMM and queues the oom_reaper: two reapers,
 * both under mmap_read_lock, on one mm.
 * 'nomn': no KVM; both reap a plain process through the stubs.
 */
import { find_task_by_vpid } from '../models/linux/include/linux/sched.js';
import { do_send_sig_info_sigkill } from '../models/linux/include/linux/sched.js';
import { oom_init, process_mrelease } from '../models/linux/mm/oom_kill.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { spawn_memhog } from './oom-kill.js';
import { VARIANT_NAMES, model_setup, simple_kvm_setup, sleep_until_killed, spawn_process } from './oom-kvm-lib.js';

export const mrelease = defineScenario({
  name: 'mrelease',
  description: 'lmkd kills the VMM and calls process_mrelease() while the OOM killer queues the oom_reaper on it',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    oom_init();
    spawn_process('qemu', function* qemu(ts) {
      if (kvm) yield* simple_kvm_setup(ts, false);
      spawn_memhog();
      spawn_process(
        'lmkd',
        function* lmkd() {
          // pidfd_send_signal(pidfd, SIGKILL); process_mrelease(pidfd, 0)
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

registerScenarios([mrelease]);
