/**
 * mrelease: process_mrelease() racing the oom_reaper on the same mm. A
 * userspace low-memory killer (lmkd) sends SIGKILL to the VMM and calls
 * process_mrelease() on it, while a kernel allocation invokes the OOM killer,
 * which picks the same (dying) VMM and queues the oom_reaper: two reapers,
 * both under mmap_read_lock, on one mm.
 * 'nomn': no KVM; both reap a plain process through the stubs.
 */
import type { KGen } from '../sim/index.js';
import { type task_struct, find_task_by_vpid } from '../models/linux/include/linux/sched.js';
import { do_send_sig_info_sigkill } from '../models/linux/include/linux/sched.js';
import { oom_init, process_mrelease } from '../models/linux/mm/oom_kill.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { spawn_memhog } from './oom-kill.js';
import { VARIANT_NAMES, model_setup, simple_kvm_setup, sleep_until_killed, spawn_process } from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  if (kvm) yield* simple_kvm_setup(ts, false);
  spawn_memhog();
  spawn_process('lmkd', (self) => lmkd(self, ts), false);
  yield* sleep_until_killed();
}

function* lmkd(_self: task_struct, victim_ts: task_struct): KGen {
  // pidfd_send_signal(pidfd, SIGKILL); process_mrelease(pidfd, 0)
  const victim = find_task_by_vpid(victim_ts.pid);
  if (victim) yield* do_send_sig_info_sigkill(victim);
  yield* process_mrelease(victim_ts.pid, 0);
}

export const mrelease = defineScenario({
  name: 'mrelease',
  description: 'lmkd kills the VMM and calls process_mrelease() while the OOM killer queues the oom_reaper on it',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    oom_init();
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([mrelease]);
