/** rawlock, v1, rt-nonblock and v3, by exploration (DPOR, preemption bound 2, fault budget 1). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kernel } from '../../src/kernel/kernel.js';
import { PATCH_RT_NONBLOCK_SLEEPING_LOCKS } from '../../src/kernel/sched/core.js';
import { dpor, sweep } from './helpers.js';

const SPLAT = 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start';
const keys = (m: Map<string, unknown>): string => [...m.keys()].join(' | ');

test('rawlock/rt: the splat moves to the next sleeping lock (gpc_lock; mmu_lock on a memslot hit)', async () => {
  const s = await dpor('simple-kvm-reap', 'rawlock', 'rt');
  assert.ok(!s.titles.has(SPLAT), keys(s.titles));
  const moved = s.titles.get('BUG: sleeping function called from invalid context in gfn_to_pfn_cache_invalidate_start');
  assert.ok(moved, keys(s.titles));
  assert.match(moved.text, /non_block: 1/);
  // Even with gpc_lock raw too, the memslot hit takes mmu_lock (an rwlock_t: no raw variant exists).
  const raw = await dpor('destroy-race', 'rawlock', 'rt', ['raw_gpc_lock=true']);
  assert.ok(
    raw.titles.has('BUG: sleeping function called from invalid context in kvm_handle_hva_range'),
    keys(raw.titles),
  );
  const nonrt = await dpor('simple-kvm-reap', 'rawlock', 'nonrt');
  assert.deepEqual([...nonrt.titles.keys()], []);
});

test('v1/rt/destroy-race: recursive srcu, the OOM path hangs, and kvm_destroy_vm frees the VM under it (KASAN)', async () => {
  const s = await dpor('destroy-race', 'v1', 'rt');
  const titles = [...s.titles.keys()];
  assert.ok(s.titles.has('WARNING: possible recursive locking detected in mmu_notifier_unregister'), keys(s.titles));
  assert.ok(
    titles.some((t) => t.startsWith('INFO: task hung') || t.startsWith('DEADLOCK')),
    keys(s.titles),
  );
  assert.ok(
    titles.some((t) => t.startsWith('BUG: KASAN: vmalloc-out-of-bounds in')),
    `the v1 KASAN (struct kvm freed while still hashed): ${keys(s.titles)}`,
  );
});

test('rt-nonblock/rt: with the scheduler patch, the unchanged KVM callbacks no longer splat', async () => {
  for (const sc of ['simple-kvm-reap', 'oom-kill']) {
    const s = await dpor(sc, 'rt-nonblock', 'rt');
    assert.ok(s.complete, sc);
    // oom-kill: the kernel's own plain reads in hva_to_pfn_retry() (the vCPU's kvm-clock cache
    // refresh) race with the reaper's invalidation; KCSAN reports them, as it would in the kernel.
    assert.deepEqual(
      [...s.titles.keys()].filter((t) => !t.startsWith('KCSAN: data-race in hva_to_pfn_retry / ')),
      [],
      sc,
    );
  }
  await sweep('simple-kvm-reap', 'rt-nonblock', 'rt', 1);
  assert.ok(kernel().patches.has(PATCH_RT_NONBLOCK_SLEEPING_LOCKS));
});

// Preemption bound 1 here: at bound 2, with every footprint visible and spawned tasks' code as steps
// of their own, destroy-race/v3/rt alone is 90,497 executions (clean, complete: 170 s); the bound-2
// cells are `kernsim check`'s. At bound 1 destroy-race/v3/rt is 23,778 executions (19,790 before a
// conservatively re-added branch wakes a sibling that would block it: docs/fidelity/explore.md).
test('v3: clean and complete on simple-kvm-reap and destroy-race, every config, fault budget 2, preemption bound 1', async () => {
  for (const sc of ['simple-kvm-reap', 'destroy-race'])
    for (const c of ['rt', 'nonrt', 'nomn']) {
      const s = await dpor(sc, 'v3', c, [], 2, 40000, 1);
      assert.ok(s.complete, `${sc}/${c}`);
      assert.deepEqual([...s.titles.keys()], [], `${sc}/${c}`);
    }
});
