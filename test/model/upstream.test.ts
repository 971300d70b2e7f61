import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweep } from './helpers.js';

const SPLAT = 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start';

test('upstream/rt/simple-kvm-reap: the syzbot splat, with non_block: 1', async () => {
  const s = await sweep('simple-kvm-reap', 'upstream', 'rt', 10);
  const rep = s.titles.get(SPLAT);
  assert.ok(rep, `titles: ${[...s.titles.keys()].join(' | ')}`);
  assert.match(rep.text, /non_block: 1/);
  assert.match(rep.text, /at kernel\/locking\/spinlock_rt\.c/);
  assert.match(rep.text, /__oom_reap_task_mm/);
});

test('upstream/nonrt/simple-kvm-reap: clean (spin_lock does not check on !RT)', async () => {
  const s = await sweep('simple-kvm-reap', 'upstream', 'nonrt', 30);
  assert.deepEqual([...s.titles.keys()], []);
});

test('upstream/nomn/simple-kvm-reap: the reap runs through the !CONFIG_MMU_NOTIFIER stubs', async () => {
  const s = await sweep('simple-kvm-reap', 'upstream', 'nomn', 10);
  assert.deepEqual([...s.titles.keys()], []);
  assert.ok(s.results.every((r) => r.end === 'done'));
  assert.ok(s.stats.some((st) => (st.stub_calls.mmu_notifier_invalidate_range_start_nonblock ?? 0) > 0));
  assert.ok(s.stats.some((st) => st.reaped > 0));
});
