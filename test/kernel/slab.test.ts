import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  AllocEvent,
  BadFreeEvent,
  FreeEvent,
  LockAcquireEvent,
  MightReschedEvent,
} from '../../src/kernel/events.js';
import {
  DEFINE_ON_STACK,
  GFP_ATOMIC,
  GFP_KERNEL,
  GFP_KERNEL_ACCOUNT,
  GFP_NOWAIT,
  PAGE_SIZE,
  __GFP_NOFAIL,
  __GFP_ZERO,
  gfp_name,
  is_live_allocation,
  kfree,
  kmalloc,
  kmemleak_not_leak,
  kvfree,
  kvzalloc,
  kzalloc,
  vfree,
  vmalloc,
} from '../../src/kernel/mm/slab.js';
import { shared } from '../../src/kernel/once.js';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import { type Allocation, type KGen, allocationOf, kfunc, setBadAccessHook } from '../../src/sim/index.js';
import { Recorder, bootWith, dporOutcomes, ofType, runClean } from './helpers.js';

test('gfp_name prints masks like %pGg', () => {
  assert.equal(gfp_name(GFP_KERNEL), 'GFP_KERNEL');
  assert.equal(gfp_name(GFP_KERNEL_ACCOUNT), 'GFP_KERNEL_ACCOUNT');
  assert.equal(gfp_name(GFP_ATOMIC), 'GFP_ATOMIC');
  assert.equal(gfp_name(GFP_KERNEL | __GFP_ZERO), 'GFP_KERNEL|__GFP_ZERO');
  assert.equal(gfp_name(GFP_NOWAIT), 'GFP_NOWAIT');
});

test('kmalloc returns a tracked slab object and emits alloc/free; GFP_KERNEL is a might_resched point and takes fs_reclaim', () => {
  const { k, events } = bootWith();
  let a: Allocation | undefined;
  spawn_user('t', function* () {
    yield undefined;
    const p = kmalloc(() => ({ x: 1, inner: { y: 2 } }), GFP_KERNEL, 'struct foo');
    assert.ok(p);
    a = allocationOf(p);
    assert.equal(a?.kind, 'slab');
    assert.equal(a?.label, 'struct foo');
    assert.equal(allocationOf(p.inner), a);
    kfree(p);
  });
  runClean(k);
  assert.equal(ofType<AllocEvent>(events, 'alloc')[0]?.alloc, a);
  assert.equal(ofType<FreeEvent>(events, 'free')[0]?.alloc, a);
  assert.equal(a?.live, false);
  const mr = ofType<MightReschedEvent>(events, 'might_resched');
  assert.equal(mr.length, 1);
  assert.equal(`${mr[0]?.file}:${mr[0]?.line}`, 'include/linux/sched/mm.h:321');
  const acq = ofType<LockAcquireEvent>(events, 'lock_acquire');
  assert.deepEqual(
    acq.map((e) => e.cls.name),
    ['fs_reclaim'],
  );
});

test('GFP_ATOMIC is not a might_sleep point and does not take fs_reclaim', () => {
  const { k, events } = bootWith(new Recorder(), { FAULT_INJECTION: false });
  spawn_user('t', function* () {
    yield undefined;
    kfree(kmalloc(() => ({ x: 1 }), GFP_ATOMIC, 'struct foo'));
  });
  runClean(k);
  assert.equal(ofType(events, 'might_resched').length, 0);
  assert.equal(ofType(events, 'lock_acquire').length, 0);
});

test('fault injection: a data choice only for allocations failslab may fail', () => {
  const run = (over: Record<string, boolean>, fail: boolean) => {
    const rec = new Recorder(() => (fail ? 1 : 0));
    const { k } = bootWith(rec, over);
    const got: (object | null)[] = [];
    const f = kfunc(function* my_alloc_site(): KGen {
      got.push(kmalloc(() => ({ a: 1 }), GFP_ATOMIC, 'struct a'));
      got.push(kzalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct b'));
      got.push(kmalloc(() => ({ a: 1 }), GFP_ATOMIC | __GFP_NOFAIL, 'struct c'));
      got.push(vmalloc(() => ({ a: 1 }), 'struct d'));
      yield undefined;
    });
    spawn_user('t', function* () {
      yield undefined;
      yield* f();
    });
    runClean(k);
    return { labels: rec.dataLabels(), got };
  };
  const on = run({}, true);
  assert.deepEqual(on.labels, ['kmalloc(GFP_ATOMIC) fails in my_alloc_site']);
  assert.equal(on.got[0], null);
  assert.notEqual(on.got[1], null);
  const wait = run({ FAIL_GFP_WAIT: true }, false);
  assert.deepEqual(wait.labels, [
    'kmalloc(GFP_ATOMIC) fails in my_alloc_site',
    'kzalloc(GFP_KERNEL) fails in my_alloc_site',
    'vmalloc(GFP_KERNEL) fails in my_alloc_site',
  ]);
  assert.ok(wait.got.every((g) => g !== null));
  assert.deepEqual(run({ FAULT_INJECTION: false }, true).labels, []);
});

test('kvzalloc: vmalloc-backed when asked or large; kvfree frees both kinds', () => {
  const { k, events } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const big = kvzalloc(() => ({ a: 0 }), GFP_KERNEL_ACCOUNT, 'struct kvm', 'vmalloc');
    const sized = kvzalloc(() => ({ a: 0 }), GFP_KERNEL, 'struct x', PAGE_SIZE * 4);
    const small = kvzalloc(() => ({ a: 0 }), GFP_KERNEL, 'struct y', 64);
    assert.equal(allocationOf(big as object)?.kind, 'vmalloc');
    assert.equal(allocationOf(sized as object)?.kind, 'vmalloc');
    assert.equal(allocationOf(small as object)?.kind, 'slab');
    kvfree(big);
    kvfree(sized);
    kvfree(small);
  });
  runClean(k);
  assert.equal(ofType(events, 'free').length, 3);
  assert.equal(ofType(events, 'bad_free').length, 0);
});

test('bad frees: double free, kfree of vmalloc, vfree of slab, never allocated; kfree(NULL) is a no-op', () => {
  const { k, events } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const p = kmalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct p');
    kfree(p);
    kfree(p);
    const v = vmalloc(() => ({ a: 1 }), 'struct v');
    kfree(v);
    const s = kmalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct s');
    vfree(s);
    kfree({ never: true });
    kfree(null);
    vfree(undefined);
    kmemleak_not_leak(s);
    assert.equal(allocationOf(s as object)?.flags.not_leak, true);
  });
  runClean(k);
  const bad = ofType<BadFreeEvent>(events, 'bad_free');
  assert.deepEqual(
    bad.map((e) => [e.label, e.alloc?.label]),
    [
      ['kfree', 'struct p'],
      ['kfree', 'struct v'],
      ['vfree', 'struct s'],
      ['kfree', undefined],
    ],
  );
});

test('an access after kfree reaches the bad-access hook', () => {
  const { k } = bootWith();
  const bad: string[] = [];
  setBadAccessHook(k.machine, (a, _off, field, write) => bad.push(`${a.label}.${field}:${write ? 'w' : 'r'}`));
  spawn_user('t', function* () {
    yield undefined;
    const p = kmalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct p') as { a: number };
    kfree(p);
    p.a = 2;
  });
  runClean(k);
  assert.deepEqual(bad, ['struct p.a:w']);
});

test('DEFINE_ON_STACK objects die when their frame returns', () => {
  const { k } = bootWith();
  const bad: string[] = [];
  setBadAccessHook(k.machine, (a, _off, field) => bad.push(`${a.kind}:${a.label}.${field}`));
  let leaked: { v: number } | null = null;
  const f = kfunc(function* callee(): KGen {
    const local = DEFINE_ON_STACK(() => ({ v: 1 }), 'local');
    local.v = 2; // fine: frame alive
    leaked = local;
    yield undefined;
  });
  spawn_user('t', function* () {
    yield undefined;
    yield* f();
    (leaked as unknown as { v: number }).v = 3;
  });
  runClean(k);
  assert.deepEqual(bad, ['stack:local.v']);
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('two tasks free one object: DPOR reaches both orders, so both double-free titles', () => {
  const { result } = dporOutcomes(() => {
    const st = shared({ p: null as object | null }, 'struct st');
    st.p = kmalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct p');
    const p = st.p;
    spawn_user(
      'a',
      kfunc(function* put_a() {
        yield* cond_resched();
        kfree(p);
      }),
    );
    spawn_user(
      'b',
      kfunc(function* put_b() {
        yield* cond_resched();
        kfree(p);
      }),
    );
  });
  assert.equal(result.complete, true);
  assert.deepEqual(result.findings.map((f) => f.title).sort(), [
    'BUG: KASAN: double-free in put_a',
    'BUG: KASAN: double-free in put_b',
  ]);
});

test('is_live_allocation: DPOR reaches the check before and after the free', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const p = kmalloc(() => ({ a: 1 }), GFP_KERNEL, 'struct p') as object;
    spawn_user('freer', function* () {
      yield* cond_resched();
      kfree(p);
    });
    spawn_user('looker', function* () {
      yield* cond_resched();
      seen.add(`live=${is_live_allocation(p)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['live=false', 'live=true']);
});
