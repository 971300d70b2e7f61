import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweep } from './helpers.js';

const SPLAT = 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start';

test('upstream/rt/oom-kill: the oom_reaper kthread hits the syzbot splat (non_block: 1)', async () => {
  const s = await sweep('oom-kill', 'upstream', 'rt', 40);
  const rep = s.titles.get(SPLAT);
  assert.ok(rep, `titles: ${[...s.titles.keys()].join(' | ')}`);
  assert.match(rep.text, /non_block: 1/);
  assert.match(rep.text, /name: oom_reaper/);
  assert.match(rep.text, /oom_reap_task_mm/);
});

// The kernel's own plain reads of mn_active_invalidate_count / mmu_invalidate_seq in
// hva_to_pfn_retry() (mmu_notifier_retry_cache()) race with the reaper's invalidation when the
// vCPU refreshes its kvm-clock cache: KCSAN reports them, as it would in the kernel.
const GPC_KCSAN = /^KCSAN: data-race in hva_to_pfn_retry \/ /;

test("upstream/nonrt/oom-kill and upstream/nomn/oom-kill: clean but for the pfncache refresh's KCSAN races", async () => {
  for (const c of ['nonrt', 'nomn']) {
    const s = await sweep('oom-kill', 'upstream', c, 40);
    assert.deepEqual(
      [...s.titles.keys()].filter((t) => !GPC_KCSAN.test(t)),
      [],
      c,
    );
    assert.ok(s.stats.some((st) => st.reaped > 0) || c === 'nonrt', c);
  }
});

test('nomn/oom-kill: the OOM path runs through the stubs, including v2/v3 mmu_notifier_oom_enter()', async () => {
  for (const v of ['v2', 'v3']) {
    const s = await sweep('oom-kill', v, 'nomn', 40);
    assert.deepEqual([...s.titles.keys()], [], v);
    assert.ok(
      s.stats.some((st) => (st.stub_calls.mmu_notifier_oom_enter ?? 0) > 0),
      `${v}: ${JSON.stringify(s.stats[0])}`,
    );
  }
});

test('v1/rt/oom-kill: lockdep recursive srcu, and the OOM path hangs (SRCU self-deadlock)', async () => {
  const s = await sweep('oom-kill', 'v1', 'rt', 40);
  const titles = [...s.titles.keys()];
  const rec = titles.find((t) => t.startsWith('WARNING: possible recursive locking detected'));
  assert.ok(rec, titles.join(' | '));
  assert.match((s.titles.get(rec) as { text: string }).text, /srcu/);
  assert.ok(
    titles.some((t) => t.startsWith('DEADLOCK: circular wait') || t.startsWith('INFO: task hung')),
    titles.join(' | '),
  );
});

test('v3/rt and v3/nonrt oom-kill: clean', async () => {
  for (const c of ['rt', 'nonrt']) {
    const s = await sweep('oom-kill', 'v3', c, 60);
    assert.deepEqual([...s.titles.keys()], [], c);
  }
});
