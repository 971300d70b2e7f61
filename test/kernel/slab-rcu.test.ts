/**
 * RCU-deferred frees and SLAB_TYPESAFE_BY_RCU (kernel/mm/slab_common.ts, kernel/lib/list_nulls.ts):
 *  - kfree_rcu() under a reader is clean, kfree() under the same reader is a KASAN UAF;
 *  - a SLAB_TYPESAFE_BY_RCU object freed and reused under a reader is not a use-after-free, but a
 *    lookup that does not re-check the identity of what it found returns the wrong object (its
 *    WARN_ON fires); with the re-check it is clean;
 *  - the slab page of a freed SLAB_TYPESAFE_BY_RCU object goes back after a grace period: an access
 *    after that (a pointer kept past rcu_read_unlock()) is a KASAN use-after-free;
 *  - hlist_nulls: a reader standing on an object that moves to another chain ends on that chain's
 *    nulls marker; without the get_nulls_value() check it misses an entry of its own chain.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WARN_ON } from '../../src/kernel/bug.js';
import {
  HLIST_NULLS_HEAD_INIT,
  HLIST_NULLS_NODE,
  NULLS_MARKER,
  get_nulls_value,
  type hlist_nulls_head,
  type hlist_nulls_node,
  hlist_nulls_add_head_rcu,
  hlist_nulls_del_rcu,
  hlist_nulls_empty,
  hlist_nulls_for_each_entry,
  hlist_nulls_for_each_entry_rcu,
  hlist_nulls_next_entry_rcu,
  is_a_nulls,
  hlist_nulls_add_tail_rcu,
  hlist_nulls_del_init_rcu,
  hlist_nulls_unhashed,
} from '../../src/kernel/lib/list_nulls.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { GFP_ATOMIC, GFP_KERNEL, kfree, kmalloc } from '../../src/kernel/mm/slab.js';
import {
  SLAB_TYPESAFE_BY_RCU,
  kfree_rcu,
  kfree_rcu_mightsleep,
  kmem_cache_alloc,
  kmem_cache_create,
  kmem_cache_free,
  kvfree_rcu_barrier,
} from '../../src/kernel/mm/slab_common.js';
import { READ_ONCE, WRITE_ONCE, shared } from '../../src/kernel/once.js';
import { preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import {
  REFCOUNT_INIT,
  refcount_dec_and_test,
  type refcount_t,
  refcount_inc_not_zero,
  refcount_set,
} from '../../src/kernel/refcount.js';
import {
  RCU_HEAD_INIT,
  type rcu_head,
  rcu_dereference,
  rcu_read_lock,
  rcu_read_unlock,
} from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, type RunResult, FirstChoice, current, kfunc } from '../../src/sim/index.js';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { bootWith, dporOutcomes, runClean } from './helpers.js';

const OFF = { DEBUG_KMEMLEAK: false } as const;

/** One run (first choice everywhere) of a single task's body, with every checker. */
function once(body: () => KGen): RunResult {
  const config = makeConfig({ NR_CPUS: 2, ...OFF });
  const k = boot(config, { strategy: new FirstChoice(), maxSteps: 5_000 });
  installCheckers(k.machine, config, createCheckState());
  spawn_user('t', body);
  return k.machine.run();
}

function titles(r: { findings: readonly { title: string }[] }): string[] {
  return [...new Set(r.findings.map((f) => f.title))].sort();
}

// ---------------------------------------------------------------- kfree_rcu

interface gobj {
  v: number;
  rcu: rcu_head;
}

type Free = 'kfree_rcu' | 'kfree' | 'kfree_rcu_mightsleep';

/** A reader dereferences gp under rcu_read_lock() (two steps apart); the updater unpublishes and frees. */
function deferred(free: Free, late = false) {
  return () => {
    const gp = shared({ p: null as gobj | null }, 'gp');
    gp.p = kmalloc((): gobj => ({ v: 1, rcu: RCU_HEAD_INIT() }), GFP_KERNEL, 'struct gobj');
    spawn_user(
      'reader',
      kfunc(function* gobj_reader() {
        rcu_read_lock();
        const p = yield* rcu_dereference(gp, 'p');
        if (!late) {
          yield undefined;
          if (p) assert.equal(p.v, 1);
        }
        rcu_read_unlock();
        if (late) {
          // The pointer kept past the read-side section: no grace period protects it.
          yield undefined;
          if (p) assert.equal(p.v, 1);
        }
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* gobj_updater() {
        const p = gp.p;
        yield* WRITE_ONCE(gp, 'p', null);
        if (free === 'kfree_rcu') kfree_rcu(p, 'rcu');
        else if (free === 'kfree_rcu_mightsleep') yield* kfree_rcu_mightsleep(p);
        else kfree(p);
      }),
    );
  };
}

test('kfree_rcu() (and kfree_rcu_mightsleep()) under a reader: clean in every schedule, KCSAN included', () => {
  for (const free of ['kfree_rcu', 'kfree_rcu_mightsleep'] as const) {
    const { result } = dporOutcomes(deferred(free), { ...OFF, KCSAN: true });
    assert.equal(result.complete, true, free);
    assert.deepEqual(titles(result), [], free);
    assert.ok(result.executions > 2, free);
  }
});

test('plain kfree() under the same reader is a KASAN slab-use-after-free', () => {
  const { result } = dporOutcomes(deferred('kfree'), OFF);
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), ['BUG: KASAN: slab-use-after-free in gobj_reader']);
});

test('kfree_rcu() does not protect a pointer kept past rcu_read_unlock(): the late use is found', () => {
  const { result } = dporOutcomes(deferred('kfree_rcu', true), OFF);
  assert.equal(result.complete, true);
  const f = result.findings.find((x) => x.title === 'BUG: KASAN: slab-use-after-free in gobj_reader');
  assert.ok(f, titles(result).join(' | '));
  // Freed from RCU's callback (kvfree_rcu_list), by the softirq pseudo-task.
  assert.match(f.report.text, /Freed by task 0:\n(.|\n)*kvfree_rcu_list/);
});

test('kfree_rcu_mightsleep() may sleep: in an atomic section it is "sleeping function called from invalid context"; kfree_rcu() is not', () => {
  for (const [name, body, want] of [
    [
      'mightsleep',
      function* () {
        const p = kmalloc(() => ({ v: 1 }), GFP_KERNEL, 'struct x');
        preempt_disable();
        yield* kfree_rcu_mightsleep(p);
        preempt_enable();
      },
      ['BUG: sleeping function called from invalid context in kvfree_call_rcu'],
    ],
    [
      'kfree_rcu',
      function* () {
        const p = kmalloc(() => ({ v: 1, rcu: RCU_HEAD_INIT() }), GFP_KERNEL, 'struct x');
        preempt_disable();
        kfree_rcu(p, 'rcu');
        kfree_rcu(null as typeof p, 'rcu'); // NULL: a no-op
        preempt_enable();
        yield* kvfree_rcu_barrier();
      },
      [],
    ],
  ] as const) {
    const r = once(kfunc(body as () => KGen, `body_${name}`));
    assert.deepEqual(
      r.reports.map((x) => x.title.replace(/ in .*kvfree_call_rcu$/, ' in kvfree_call_rcu')),
      want,
      name,
    );
  }
});

test('kfree_rcu() of an object already freed writes its rcu_head: a use-after-free in the caller', () => {
  const r = once(
    kfunc(function* double_free_rcu() {
      yield undefined;
      const p = kmalloc(() => ({ v: 1, rcu: RCU_HEAD_INIT() }), GFP_KERNEL, 'struct x');
      kfree(p);
      kfree_rcu(p, 'rcu');
    }),
  );
  assert.deepEqual(
    r.reports.map((x) => x.title),
    // ... and the deferred kvfree() of it, after the grace period, a double-free.
    ['BUG: KASAN: slab-use-after-free in double_free_rcu', 'BUG: KASAN: double-free in kvfree_rcu_list'],
  );
});

// ---------------------------------------------------------------- SLAB_TYPESAFE_BY_RCU: identity

interface tobj {
  key: number;
  ref: refcount_t;
  node: hlist_nulls_node;
}

const ctor = (): tobj => ({ key: 0, ref: REFCOUNT_INIT(0), node: HLIST_NULLS_NODE() });

/**
 * A one-chain table of a SLAB_TYPESAFE_BY_RCU cache (Documentation/RCU/rculist_nulls.rst, "1)
 * Lookup algorithm"). The reader looks key 1 up locklessly and takes a reference; the updater
 * removes key 1, drops its last reference (kmem_cache_free()), and inserts key 5, which reuses the
 * same memory. `recheck`: the reader re-checks the key after taking the reference.
 */
function identity(recheck: boolean, flags = SLAB_TYPESAFE_BY_RCU) {
  return () => {
    const cache = kmem_cache_create('tobj_cache', 64, 0, flags, ctor);
    const lock = spin_lock_init('table_lock');
    const tbl = shared({ chain: HLIST_NULLS_HEAD_INIT(0) }, 'table');
    const a = kmem_cache_alloc(cache, GFP_KERNEL) as tobj;
    a.key = 1;
    a.ref.refs = 1;
    hlist_nulls_add_head_rcu(a.node, tbl.chain);
    function* tobj_put(o: tobj): KGen {
      if (yield* refcount_dec_and_test(o.ref)) kmem_cache_free(cache, o);
    }
    spawn_user(
      'reader',
      kfunc(function* tobj_lookup() {
        let found: tobj | null = null;
        for (let tries = 0; tries < 3 && !found; tries++) {
          rcu_read_lock();
          let again = false;
          for (
            let pos = yield* hlist_nulls_for_each_entry_rcu<tobj>(tbl.chain, 'node');
            !is_a_nulls(pos);
            pos = yield* hlist_nulls_next_entry_rcu(pos, 'node')
          ) {
            if ((yield* READ_ONCE(pos, 'key')) !== 1) continue;
            if (!(yield* refcount_inc_not_zero(pos.ref))) {
              again = true; // being freed: look again
              break;
            }
            if (recheck && (yield* READ_ONCE(pos, 'key')) !== 1) {
              yield* tobj_put(pos); // reused for another key meanwhile
              again = true;
              break;
            }
            found = pos;
            break;
          }
          rcu_read_unlock();
          if (!again) break;
        }
        if (!found) return;
        WARN_ON((yield* READ_ONCE(found, 'key')) !== 1, 'lib/tobj.c:42', 'lookup(1) returned another object');
        yield* tobj_put(found);
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* tobj_replace() {
        yield* spin_lock(lock);
        hlist_nulls_del_rcu(a.node);
        yield* spin_unlock(lock);
        yield* tobj_put(a);
        const b = kmem_cache_alloc(cache, GFP_ATOMIC);
        if (!b) return;
        yield* WRITE_ONCE(b, 'key', 5);
        yield* refcount_set(b.ref, 1);
        yield* spin_lock(lock);
        hlist_nulls_add_head_rcu(b.node, tbl.chain);
        yield* spin_unlock(lock);
      }),
    );
  };
}

test('SLAB_TYPESAFE_BY_RCU: a lookup without the identity re-check returns the reused object (WARN); memory-wise no KASAN report', () => {
  const { result } = dporOutcomes(identity(false), { ...OFF, KCSAN: true, FAULT_INJECTION: false });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), ['WARNING in tobj_lookup']);
});

test('SLAB_TYPESAFE_BY_RCU: the same lookup re-checking the key after taking its reference is clean', () => {
  const { result } = dporOutcomes(identity(true), { ...OFF, KCSAN: true, FAULT_INJECTION: false });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), []);
  assert.ok(result.executions > 10);
});

test('without SLAB_TYPESAFE_BY_RCU the freed object is poisoned: the same lockless lookup is a KASAN use-after-free', () => {
  const { result } = dporOutcomes(identity(true, 0), { ...OFF, FAULT_INJECTION: false });
  assert.equal(result.complete, true);
  assert.ok(
    titles(result).some((t) => t.startsWith('BUG: KASAN: slab-use-after-free in tobj_lookup')),
    titles(result).join(' | '),
  );
});

// ---------------------------------------------------------------- SLAB_TYPESAFE_BY_RCU: the page

/** The reader keeps a pointer to a freed, never reused object: inside its section (fine) or past it (not). */
function stale(late: boolean) {
  return () => {
    const cache = kmem_cache_create('tobj_cache', 64, 0, SLAB_TYPESAFE_BY_RCU, ctor);
    const tbl = shared({ chain: HLIST_NULLS_HEAD_INIT(0) }, 'table');
    const a = kmem_cache_alloc(cache, GFP_KERNEL) as tobj;
    a.key = 1;
    hlist_nulls_add_head_rcu(a.node, tbl.chain);
    spawn_user(
      'reader',
      kfunc(function* tobj_peek() {
        rcu_read_lock();
        const pos = yield* hlist_nulls_for_each_entry_rcu<tobj>(tbl.chain, 'node');
        if (!late) {
          yield undefined;
          if (!is_a_nulls(pos)) yield* READ_ONCE(pos, 'key');
        }
        rcu_read_unlock();
        if (late) {
          yield undefined;
          if (!is_a_nulls(pos)) yield* READ_ONCE(pos, 'key');
        }
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* tobj_remove() {
        yield undefined;
        hlist_nulls_del_rcu(a.node);
        kmem_cache_free(cache, a);
      }),
    );
  };
}

test('SLAB_TYPESAFE_BY_RCU: a freed object read inside the reader that found it is no finding', () => {
  const { result } = dporOutcomes(stale(false), { ...OFF, KCSAN: true });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), []);
});

test('SLAB_TYPESAFE_BY_RCU: the slab page goes back after a grace period; a read after that is a KASAN use-after-free (page)', () => {
  const { result } = dporOutcomes(stale(true), OFF);
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), ['BUG: KASAN: use-after-free in tobj_peek']);
  const text = result.findings[0]?.report.text ?? '';
  assert.match(text, /^Read of size 8 at addr [0-9a-f]+ by task reader\/\d+$/m);
  assert.match(text, /^The buggy address belongs to the physical page:$/m);
  assert.doesNotMatch(text, /Allocated by task/);
});

test('SLAB_TYPESAFE_BY_RCU: a double kmem_cache_free() is a KASAN double-free; freeing to the wrong cache WARNs', () => {
  const r = once(
    kfunc(function* cache_misuse() {
      yield undefined;
      const c1 = kmem_cache_create('c1', 64, 0, SLAB_TYPESAFE_BY_RCU, ctor);
      const c2 = kmem_cache_create('c2', 64, 0, 0, ctor);
      const x = kmem_cache_alloc(c1, GFP_KERNEL) as tobj;
      kmem_cache_free(c1, x);
      kmem_cache_free(c1, x);
      const y = kmem_cache_alloc(c1, GFP_KERNEL) as tobj; // x again
      assert.equal(y, x);
      kmem_cache_free(c2, y);
    }),
  );
  assert.deepEqual(
    r.reports.map((x) => x.title),
    ['BUG: KASAN: double-free in cache_misuse', 'WARNING in kmem_cache_free'],
  );
});

// ---------------------------------------------------------------- hlist_nulls: moving between chains

/**
 * Two chains (nulls 0 and 1). Chain 0: A(key 0) -> K(key 2); chain 1 empty. The reader looks up
 * key 2 in chain 0; the updater moves A (freed and reused as key 1) to the head of chain 1. A
 * reader standing on A then follows A->next to chain 1's end. `check`: restart when the walk did
 * not end on its own chain's nulls value.
 */
function moving(check: boolean) {
  return (seen: Set<string>) => {
    const cache = kmem_cache_create('tobj_cache', 64, 0, SLAB_TYPESAFE_BY_RCU, ctor);
    const lock = spin_lock_init('table_lock');
    const tbl = shared({ h: [HLIST_NULLS_HEAD_INIT(0), HLIST_NULLS_HEAD_INIT(1)] }, 'table');
    const chain = (k: number) => tbl.h[k % 2] as hlist_nulls_head;
    const a = kmem_cache_alloc(cache, GFP_KERNEL) as tobj;
    a.key = 0;
    const kk = kmem_cache_alloc(cache, GFP_KERNEL) as tobj;
    kk.key = 2;
    hlist_nulls_add_head_rcu(kk.node, chain(2));
    hlist_nulls_add_head_rcu(a.node, chain(0));
    spawn_user(
      'reader',
      kfunc(function* tobj_find() {
        let hit = false;
        for (let tries = 0; tries < 3; tries++) {
          rcu_read_lock();
          let pos = yield* hlist_nulls_for_each_entry_rcu<tobj>(chain(2), 'node');
          for (; !is_a_nulls(pos); pos = yield* hlist_nulls_next_entry_rcu(pos, 'node'))
            if ((yield* READ_ONCE(pos, 'key')) === 2) {
              hit = true;
              break;
            }
          rcu_read_unlock();
          if (hit || !check || (is_a_nulls(pos) && get_nulls_value(pos) === 2 % 2)) break;
        }
        seen.add(hit ? 'found' : 'missed');
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* tobj_move() {
        yield* spin_lock(lock);
        hlist_nulls_del_rcu(a.node);
        yield* spin_unlock(lock);
        kmem_cache_free(cache, a);
        const b = kmem_cache_alloc(cache, GFP_ATOMIC);
        if (!b) return;
        yield* WRITE_ONCE(b, 'key', 1);
        yield* spin_lock(lock);
        hlist_nulls_add_head_rcu(b.node, chain(1));
        yield* spin_unlock(lock);
      }),
    );
  };
}

test('hlist_nulls: without the get_nulls_value() check a reader carried to another chain misses its entry', () => {
  const { seen, result } = dporOutcomes(moving(false), { ...OFF, FAULT_INJECTION: false });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), []);
  assert.deepEqual(seen, ['found', 'missed']);
});

test('hlist_nulls: with the check (restart when the walk ended on another chain) it always finds it (KCSAN clean)', () => {
  const { seen, result } = dporOutcomes(moving(true), { ...OFF, KCSAN: true, FAULT_INJECTION: false });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), []);
  assert.deepEqual(seen, ['found']);
});

test('hlist_nulls primitives: markers, empty, add tail, del_init, one scheduling point per node fetch', () => {
  const { k } = bootWith(undefined, OFF);
  spawn_user('t', function* () {
    yield undefined;
    assert.equal(NULLS_MARKER(3), NULLS_MARKER(3));
    assert.ok(is_a_nulls(NULLS_MARKER(3)));
    assert.equal(get_nulls_value(NULLS_MARKER(3)), 3);
    assert.ok(!is_a_nulls(null) && !is_a_nulls({}));
    const t = shared({ h: HLIST_NULLS_HEAD_INIT(7) }, 'table');
    assert.ok(hlist_nulls_empty(t.h));
    const xs = [1, 2, 3].map((key) => {
      const o = kmalloc(() => ({ key, node: HLIST_NULLS_NODE() }), GFP_KERNEL, 'struct n') as {
        key: number;
        node: hlist_nulls_node;
      };
      hlist_nulls_add_tail_rcu(o.node, t.h);
      return o;
    });
    assert.deepEqual(
      [...hlist_nulls_for_each_entry<{ key: number }>(t.h, 'node')].map((o) => o.key),
      [1, 2, 3],
    );
    hlist_nulls_del_init_rcu((xs[1] as (typeof xs)[number]).node);
    assert.ok(hlist_nulls_unhashed((xs[1] as (typeof xs)[number]).node));
    let n = 0;
    const s0 = current().steps;
    let pos = yield* hlist_nulls_for_each_entry_rcu<{ key: number }>(t.h, 'node');
    for (; !is_a_nulls(pos); pos = yield* hlist_nulls_next_entry_rcu(pos, 'node')) n += pos.key;
    assert.equal(n, 4);
    // first, 1->next, 3->next (the marker): one step each.
    assert.equal(current().steps - s0, 3);
    assert.equal(get_nulls_value(pos), 7);
  });
  runClean(k);
});

test('SLAB_TYPESAFE_BY_RCU reuse from another task: the new owner sees the old values; KCSAN does not report the two owners (the free list orders them)', () => {
  const { seen, result } = dporOutcomes(
    (seen) => {
      const cache = kmem_cache_create('tobj_cache', 64, 0, SLAB_TYPESAFE_BY_RCU, ctor);
      spawn_user(
        'a',
        kfunc(function* owner_a() {
          yield undefined;
          const o = kmem_cache_alloc(cache, GFP_KERNEL);
          if (!o) return;
          o.key = 1;
          kmem_cache_free(cache, o);
        }),
      );
      spawn_user(
        'b',
        kfunc(function* owner_b() {
          yield undefined;
          const o = kmem_cache_alloc(cache, GFP_KERNEL);
          if (!o) return;
          seen.add(`key=${o.key}`); // 1: a's object, as a left it (no constructor, no zeroing)
          o.key = 2;
          kmem_cache_free(cache, o);
        }),
      );
    },
    { ...OFF, KCSAN: true, FAULT_INJECTION: false },
  );
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['key=0', 'key=1']);
  assert.deepEqual(titles(result), []);
});
