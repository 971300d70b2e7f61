/**
 * radeon-reap: two hlist subscribers on one mm. The VMM has a radeon userptr BO over its guest
 * RAM (radeon_mn as of v5.4: an mmu_notifier_get/put subscriber with ->alloc_notifier /
 * ->free_notifier whose start, when not blockable, fails with -EAGAIN and which has no end),
 * registered before its VM (so KVM's node comes first on the list), then closes everything and
 * exits while `tee` writes its pid to the seed's debugfs oom_reap_task. What it explores: the
 * reaper's -EAGAIN from radeon, the range_end unwind in mn_hlist_invalidate_range_start to
 * KVM, whose start succeeded (designs that leave KVM attached), the OOM detach of one of two
 * subscribers, and mmu_notifier_put()'s SRCU free of radeon_mn.
 * 'nomn': no KVM, no radeon; the reap of a plain process.
 */
import { PAGE_SIZE, type mm_struct } from '../models/linux/include/linux/mm_types.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import type { KGen } from '../sim/index.js';
import {
  radeon_bo_create_userptr,
  radeon_mn_register,
  radeon_mn_unregister,
} from '../models/linux/drivers/gpu/drm/radeon/radeon_mn.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import {
  GUEST_HVA,
  GUEST_PAGES,
  VARIANT_NAMES,
  close_all_files,
  model_setup,
  simple_kvm_setup,
  spawn_process,
} from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  if (kvm) {
    // DRM_IOCTL_RADEON_GEM_USERPTR over guest RAM (registered before the VM)
    const bo = radeon_bo_create_userptr(GUEST_HVA, GUEST_PAGES * PAGE_SIZE);
    if ((yield* radeon_mn_register(bo, ts.mm as mm_struct)) === 0)
      ts.signal.files.push({ name: '/dev/dri/card0', release: () => radeon_mn_unregister(bo) });
    yield* simple_kvm_setup(ts, false);
  }
  spawn_process('tee', (self) => tee(self, ts), false);
  yield* close_all_files(ts);
}

/** `echo $pid | sudo tee /sys/kernel/debug/oom_reap_task` */
function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

export const radeonReap = defineScenario({
  name: 'radeon-reap',
  description:
    'KVM and a radeon userptr (hlist get/put, start-only, -EAGAIN when !blockable) on one mm; debugfs reaps while the VMM exits',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([radeonReap]);
