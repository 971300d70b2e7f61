/**
 * itree-reap: an interval notifier that refuses non-blockable invalidations, and a VMM whose
 * exit runs on two threads. The VMM (main thread + a worker thread) has a VM and an amdgpu
 * userptr BO over its guest RAM (amdgpu_hmm: an mmu_interval_notifier whose ->invalidate
 * returns false when !blockable, so mn_itree_invalidate() gives the reaper -EAGAIN); `tee`
 * writes its pid to the seed's debugfs oom_reap_task while `kill -9` kills it: both threads
 * exit at once (the last mmput runs exit_mmap → mn_itree_release + the hlist release; the last
 * thread closes the files: the BO's mmu_interval_notifier_remove and the VM).
 * 'nomn': no KVM, no amdgpu; the reap and the two-threaded exit of a plain process.
 */
import { type mm_struct, PAGE_SIZE } from '../models/linux/include/linux/mm_types.js';
import type { KGen } from '../sim/index.js';
import { type task_struct, do_send_sig_info_sigkill, find_task_by_vpid } from '../models/linux/include/linux/sched.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import {
  amdgpu_bo_create_userptr,
  amdgpu_bo_unref,
  amdgpu_device_init,
  amdgpu_hmm_register,
} from '../models/linux/drivers/gpu/drm/amd/amdgpu/amdgpu_hmm.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import {
  GUEST_HVA,
  GUEST_PAGES,
  VARIANT_NAMES,
  model_setup,
  simple_kvm_setup,
  sleep_until_killed,
  spawn_process,
  spawn_thread,
} from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  if (kvm) {
    yield* simple_kvm_setup(ts, false);
    // DRM_IOCTL_AMDGPU_GEM_USERPTR over guest RAM
    const bo = amdgpu_bo_create_userptr(amdgpu_device_init(), GUEST_PAGES * PAGE_SIZE);
    if (bo && (yield* amdgpu_hmm_register(bo, ts.mm as mm_struct, GUEST_HVA)) === 0)
      ts.signal.files.unshift({ name: '/dev/dri/renderD128', release: () => amdgpu_bo_unref(bo) });
  }
  spawn_thread(ts, 'qemu-worker', sleep_until_killed);
  spawn_process('tee', (self) => tee(self, ts), false);
  spawn_process('kill', (self) => kill(self, ts), false);
  yield* sleep_until_killed();
}

/** `echo $pid | sudo tee /sys/kernel/debug/oom_reap_task` */
function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

/** `kill -9 $pid` */
function* kill(_self: task_struct, victim_ts: task_struct): KGen {
  const victim = find_task_by_vpid(victim_ts.pid);
  if (victim) yield* do_send_sig_info_sigkill(victim);
}

export const itreeReap = defineScenario({
  name: 'itree-reap',
  description:
    'an amdgpu userptr interval notifier (-EAGAIN when !blockable) on a two-threaded VMM reaped through debugfs while kill -9 ends it',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([itreeReap]);
