/**
 * v3 under issue 10: the cleanup runs in process context (the SRCU callback only queues the
 * embedded work), so KVM's zap walk may reschedule; clean on the new scenarios' -EAGAIN paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpor, pct } from './helpers.js';

const ZAP = 'BUG: sleeping function called from invalid context in __tdp_mmu_zap_root';

test('v3: after_oom_unregister from the SRCU callback (BH disabled) splats in the zap walk (present); from the queued work it does not (absent)', async () => {
  const bad = await dpor('simple-kvm-reap', 'v3', 'rt', ['oom_cleanup_context=srcu_callback'], 0);
  assert.ok(bad.titles.has(ZAP), [...bad.titles.keys()].join(' | '));
  const ok = await dpor('simple-kvm-reap', 'v3', 'rt', [], 0);
  assert.ok(ok.complete);
  assert.deepEqual([...ok.titles.keys()], []);
});

test("v3/itree-reap/rt: the interval notifier's -EAGAIN and the two-threaded exit: clean and complete", async () => {
  const s = await dpor('itree-reap', 'v3', 'rt', [], 0);
  assert.ok(s.complete);
  assert.deepEqual([...s.titles.keys()], []);
});

// oom-kill/v3/nonrt: PCT (seed 1) finds the stale kvm-clock cache at its 102nd run when v3's cleanup
// leaves the gfn_to_pfn_caches alone; with the invalidation and the refused refresh, 300 runs of
// the same seed are clean (3,000 were, measured with `kernsim explore --strategy pct --faults 2`).
test('v3/oom-kill: a cleanup that leaves the gfn_to_pfn_caches mapped lets the pvclock write hit a page the reaper freed (present); invalidating them and refusing their refresh closes it (absent)', async () => {
  const UAF = 'BUG: KASAN: use-after-free in kvm_setup_guest_pvclock';
  const bad = await pct('oom-kill', 'v3', 'nonrt', ['invalidate_gpc=false'], 2, 300);
  assert.ok(bad.titles.has(UAF), [...bad.titles.keys()].join(' | '));
  const ok = await pct('oom-kill', 'v3', 'nonrt', [], 2, 300);
  assert.deepEqual([...ok.titles.keys()], []);
});
