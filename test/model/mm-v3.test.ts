/**
 * v3 under issue 10: the cleanup runs in process context (the SRCU callback only queues the
 * embedded work), so KVM's zap walk may reschedule; clean on the new scenarios' -EAGAIN paths.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dpor } from './helpers.js';

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
