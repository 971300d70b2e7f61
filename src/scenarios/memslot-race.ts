/**
 * memslot-race: a memslot update (KVM_SET_USER_MEMORY_REGION →
 * kvm_swap_active_memslots, which waits uninterruptibly for
 * mn_active_invalidate_count to drop to 0) in flight while the VMM's balloon
 * thread invalidates guest memory (madvise(MADV_DONTNEED): a blockable
 * start/end pair) and the reaper (the seed's debugfs trigger) invalidates/detaches.
 * 'nomn': no KVM; the madvise and the reap run through the stubs.
 */
import { madvise_dontneed } from '../models/linux/mm/madvise.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import { kvm_vm_ioctl_set_memory_region } from '../models/linux/virt/kvm/kvm_main.js';
import type { mm_struct } from '../models/linux/include/linux/mm_types.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import type { KGen } from '../sim/index.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import {
  GUEST_HVA,
  SHARED_HVA,
  VARIANT_NAMES,
  model_setup,
  simple_kvm_setup,
  spawn_process,
  spawn_thread,
} from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  const vm = kvm ? yield* simple_kvm_setup(ts, false) : null;
  spawn_thread(ts, 'qemu-balloon', balloon);
  spawn_process('tee', (self) => tee(self, ts), false);
  // KVM_SET_USER_MEMORY_REGION: a second slot (the shared mapping)
  if (vm) yield* kvm_vm_ioctl_set_memory_region(vm.kvm, { base_gfn: 2, npages: 1, userspace_addr: SHARED_HVA });
}

/** The balloon thread's madvise(MADV_DONTNEED) of guest page 0. */
function* balloon(self: task_struct): KGen {
  // The thread's own current->mm (it holds an mm_users reference): its parent may have
  // exited by the time it first runs.
  yield* madvise_dontneed(self.mm as mm_struct, GUEST_HVA, 1);
}

/** `echo $pid | sudo tee /sys/kernel/debug/oom_reap_task` */
function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

export const memslotRace = defineScenario({
  name: 'memslot-race',
  description: 'kvm_swap_active_memslots() waits on mn_active_invalidate_count while madvise and the reaper invalidate',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', (ts) => qemu(ts, kvm));
  },
});

registerScenarios([memslotRace]);
