import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mempool_alloc,
  mempool_create_kmalloc_pool,
  mempool_destroy,
  mempool_free,
  type mempool_t,
} from '../../src/kernel/mm/mempool.js';
import { GFP_ATOMIC, GFP_KERNEL } from '../../src/kernel/mm/slab.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type ChoicePoint, kfunc, setBadAccessHook } from '../../src/sim/index.js';
import { Recorder, RoundRobin, bootWith, ofType, runClean } from './helpers.js';

interface work {
  n: number;
}

test('mempool: allocator failure falls back to the reserve; GFP_ATOMIC gets NULL when both fail', () => {
  // Every failable allocation fails.
  const rec = new Recorder((p: ChoicePoint) => (p.kind === 'data' ? 1 : 0));
  const { k, events } = bootWith(rec);
  const got: (work | null)[] = [];
  let pool: mempool_t<work> | null = null;
  const site = kfunc(function* oom_enter() {
    pool = mempool_create_kmalloc_pool<work>(2, () => ({ n: 0 }), 'struct work');
    assert.ok(pool);
    assert.equal(pool.curr_nr, 2);
    for (let i = 0; i < 3; i++) got.push(yield* mempool_alloc(pool, GFP_ATOMIC));
    yield* mempool_free(got[0] as work, pool);
    assert.equal(pool.curr_nr, 1);
    got.push(yield* mempool_alloc(pool, GFP_ATOMIC));
    mempool_destroy(pool);
  });
  spawn_user('t', function* () {
    yield undefined;
    yield* site();
  });
  runClean(k);
  assert.ok(got[0] && got[1]);
  assert.equal(got[2], null);
  assert.equal(got[3], got[0]);
  assert.ok(
    rec
      .dataLabels()
      .every((l) => l === 'kmalloc(GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC) fails in oom_enter'),
  );
  // The reserve is empty at destroy: only the pool itself is freed; elements handed out stay live.
  assert.equal(ofType(events, 'free').length, 1);
});

test('mempool: GFP_KERNEL with an exhausted reserve retries the allocator with reclaim (succeeds)', () => {
  const rec = new Recorder((p) => (p.kind === 'data' ? 1 : 0));
  const { k } = bootWith(rec);
  let n = 0;
  spawn_user('t', function* () {
    yield undefined;
    const pool = mempool_create_kmalloc_pool<work>(1, () => ({ n: 0 }), 'struct work') as mempool_t<work>;
    for (let i = 0; i < 3; i++) if (yield* mempool_alloc(pool, GFP_KERNEL)) n++;
  });
  runClean(k);
  assert.equal(n, 3);
});

test('mempool: waiter sleeps until an element is freed (reserve exhausted, allocator failing)', () => {
  // With FAIL_GFP_WAIT sleeping allocations are failable too: the pool's own creation (2 allocations) succeeds, then all fail.
  const { k } = bootWith(new RoundRobinFail(2), { FAIL_GFP_WAIT: true });
  const st = { pool: null as mempool_t<work> | null, first: null as work | null, second: null as work | null };
  const waiter = spawn_user('waiter', function* () {
    st.pool = mempool_create_kmalloc_pool<work>(1, () => ({ n: 0 }), 'struct work');
    yield undefined;
    st.first = yield* mempool_alloc(st.pool as mempool_t<work>, GFP_KERNEL);
    st.second = yield* mempool_alloc(st.pool as mempool_t<work>, GFP_KERNEL);
  });
  spawn_user('freer', function* () {
    while (!st.first) yield undefined;
    for (let i = 0; i < 6; i++) yield undefined;
    yield* mempool_free(st.first, st.pool as mempool_t<work>);
  });
  runClean(k);
  assert.ok(waiter.dead);
  assert.equal(st.second, st.first);
  assert.ok(k.machine.now < 5e9, 'woken by mempool_free, not by the 5 s timeout');
});

test('mempool_free into a destroyed pool is a KASAN use-after-free', () => {
  const { k } = bootWith(undefined, { FAULT_INJECTION: false });
  const bad: string[] = [];
  setBadAccessHook(k.machine, (a, _o, field) => bad.push(`${a.kind}:${a.label}.${field}`));
  spawn_user('t', function* () {
    yield undefined;
    const pool = mempool_create_kmalloc_pool<work>(1, () => ({ n: 0 }), 'struct work') as mempool_t<work>;
    const e = (yield* mempool_alloc(pool, GFP_KERNEL)) as work;
    mempool_destroy(pool);
    yield* mempool_free(e, pool);
  });
  runClean(k);
  assert.equal(bad[0], 'slab:mempool_t.curr_nr');
});

/** Round-robin schedule; data choices: the first `ok` succeed, the rest fail. */
class RoundRobinFail extends RoundRobin {
  private n = 0;
  private readonly ok: number;
  constructor(ok: number) {
    super();
    this.ok = ok;
  }
  override choose(p: ChoicePoint): number {
    if (p.kind === 'data') return this.n++ < this.ok ? 0 : 1;
    return super.choose(p);
  }
}
