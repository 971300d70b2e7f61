/**
 * reclaim-reap: a reclaim walker on the VMM's mm while it is reaped and exits. The VMM creates
 * its VM, then closes everything and exits; meanwhile kswapd reclaims a guest page
 * (try_to_unmap: blockable invalidations from an SRCU walker that holds no mmap_lock and no
 * mm_users reference, and may stand on KVM's node) and `tee` writes the VMM's pid to the
 * seed's debugfs oom_reap_task. What it explores: v2's reuse of sub->hlist for its on-stack
 * oom_list while kswapd's walker stands on the node, kvm_destroy_vm's mmu_notifier_barrier()
 * returning with no grace period while kswapd is still inside KVM's callbacks, and the rmap
 * walk against exit_mmap.
 * 'nomn': no KVM; kswapd and the reaper on a plain process.
 */
import type { mm_struct } from '../models/linux/include/linux/mm_types.js';
import type { task_struct } from '../models/linux/include/linux/sched.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import type { KGen } from '../sim/index.js';
import { get_page } from '../models/linux/mm/page_alloc.js';
import { kswapd_reclaim } from '../models/linux/mm/vmscan.js';
import { defineScenario } from './api.js';
import { registerScenarios } from './index.js';
import { VARIANT_NAMES, close_all_files, model_setup, simple_kvm_setup, spawn_process } from './oom-kvm-lib.js';

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

function* qemu(ts: task_struct, kvm: boolean): KGen {
  const mm = ts.mm as mm_struct;
  if (kvm) yield* simple_kvm_setup(ts, false);
  // kswapd isolates guest page 0 from the LRU (a reference while it is mapped) and reclaims it
  const vma = mm.vmas[0];
  const folio = vma?.pages[0];
  if (vma?.anon_vma && folio) {
    get_page(folio);
    kswapd_reclaim(folio, vma.anon_vma);
  }
  spawn_process('tee', (self) => tee(self, ts), false);
  yield* close_all_files(ts);
}

/** `echo $pid | sudo tee /sys/kernel/debug/oom_reap_task` */
function* tee(_self: task_struct, victim: task_struct): KGen {
  yield* oom_reap_task_write(victim.pid);
}

export const reclaimReap = defineScenario({
  name: 'reclaim-reap',
  description:
    'kswapd unmaps a guest page (blockable invalidations, no mmap_lock) while debugfs reaps the VMM and it exits',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process('qemu', (ts) => qemu(ts, kvm), true, null, true);
  },
});

registerScenarios([reclaimReap]);
