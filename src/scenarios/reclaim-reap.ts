/**
 * reclaim-reap: two subscribers on one mm, a reclaim walker and the reaper. The VMM has a
 * radeon userptr BO over its guest RAM (radeon_mn, v5.4: an hlist get/put subscriber whose
 * non-blockable start fails with -EAGAIN) registered before its VM (so KVM's node comes first
 * on the list), then closes everything and exits; meanwhile kswapd reclaims a guest page
 * (try_to_unmap: blockable invalidations from an SRCU walker that holds no mmap_lock and may
 * stand on KVM's node) and `tee` writes the VMM's pid to the seed's debugfs oom_reap_task.
 * What it explores: the reaper's -EAGAIN (radeon) and the range_end unwind to KVM (designs
 * that leave KVM attached), v2's reuse of sub->hlist for its on-stack oom_list while kswapd's
 * walker stands on the node, kvm_destroy_vm's barrier against a walker still inside KVM's
 * callbacks, and mmu_notifier_put()'s SRCU free of radeon_mn.
 * 'nomn': no KVM, no radeon; kswapd and the reaper on a plain process.
 */
import { PAGE_SIZE, type mm_struct } from '../models/linux/include/linux/mm_types.js';
import { oom_reap_task_write } from '../models/linux/mm/oom_kill.js';
import { get_page } from '../models/linux/mm/page_alloc.js';
import { kswapd_reclaim } from '../models/linux/mm/vmscan.js';
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

export const reclaimReap = defineScenario({
  name: 'reclaim-reap',
  description:
    'KVM and a radeon userptr (hlist get/put, -EAGAIN) on one mm; kswapd unmaps a guest page while debugfs reaps and the VMM exits',
  variants: VARIANT_NAMES,
  configs: ['rt', 'nonrt', 'nomn'],
  maxSteps: 5000,
  setup(ctx) {
    const kvm = model_setup(ctx);
    spawn_process(
      'qemu',
      function* qemu(ts) {
        const mm = ts.mm as mm_struct;
        if (kvm) {
          // DRM_IOCTL_RADEON_GEM_USERPTR over guest RAM (registered before the VM)
          const bo = radeon_bo_create_userptr(GUEST_HVA, GUEST_PAGES * PAGE_SIZE);
          if ((yield* radeon_mn_register(bo, mm)) === 0)
            ts.signal.files.push({ name: '/dev/dri/card0', release: () => radeon_mn_unregister(bo) });
          yield* simple_kvm_setup(ts, false);
        }
        // kswapd isolates guest page 0 from the LRU (a reference while it is mapped) and reclaims it
        const vma = mm.vmas[0];
        const folio = vma?.pages[0];
        if (vma?.anon_vma && folio) {
          get_page(folio);
          kswapd_reclaim(folio, vma.anon_vma);
        }
        spawn_process(
          'tee',
          function* tee() {
            yield* oom_reap_task_write(ts.pid);
          },
          false,
        );
        yield* close_all_files(ts);
      },
      true,
      null,
      true,
    );
  },
});

registerScenarios([reclaimReap]);
