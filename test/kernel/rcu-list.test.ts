/**
 * RCU list walks with a scheduling point per node fetch (kernel/lib/list.ts "rculist.h: readers")
 * and lockdep's RCU checks (CONFIG_PROVE_RCU, CONFIG_PROVE_RCU_LIST): a node freed under a walker
 * without a grace period is a use-after-free DPOR finds, with synchronize_rcu() it is clean; a
 * walk or rcu_dereference() outside a matching reader and without its lockdep condition prints
 * "WARNING: suspicious RCU usage" in lockdep_rcu_suspicious()'s layout.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { Dpor } from '../../src/explore/dpor.js';
import { type ExploreResult, explore, replayRun } from '../../src/explore/explorer.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import {
  HLIST_HEAD,
  HLIST_NODE,
  LIST_HEAD,
  type hlist_head,
  type hlist_node,
  hlist_add_head_rcu,
  hlist_del_rcu,
  hlist_for_each_entry_rcu,
  hlist_for_each_entry_srcu,
  hlist_next_entry_rcu,
  type list_head,
  list_add_tail_rcu,
  list_del_rcu,
  list_for_each_entry,
  list_for_each_entry_rcu,
  list_for_each_entry_srcu,
  list_next_entry_rcu,
} from '../../src/kernel/lib/list.js';
import { lockdep_is_held } from '../../src/kernel/locking/lockdep.js';
import { type mutex, mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { type spinlock_t, spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { shared } from '../../src/kernel/once.js';
import { preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import {
  init_srcu_struct,
  srcu_dereference,
  srcu_read_lock,
  srcu_read_lock_held,
  srcu_read_unlock,
} from '../../src/kernel/rcu/srcutree.js';
import { synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import {
  rcu_dereference,
  rcu_dereference_check,
  rcu_dereference_protected,
  rcu_read_lock,
  rcu_read_unlock,
} from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, type RunResult, type Strategy, FirstChoice, current, kfunc } from '../../src/sim/index.js';

interface item {
  v: number;
  link: list_head;
}
interface sub {
  v: number;
  hlist: hlist_node;
}

const BASE = { NR_CPUS: 2, DEBUG_KMEMLEAK: false } as const;

function runner(setup: () => void, over: Record<string, boolean | number | string> = {}) {
  const state = createCheckState();
  return (s: Strategy): RunResult => {
    const config = makeConfig({ ...BASE, ...over });
    const k = boot(config, { strategy: s, maxSteps: 5_000 });
    installCheckers(k.machine, config, state);
    setup();
    return k.machine.run();
  };
}

function dpor(setup: () => void, over: Record<string, boolean | number | string> = {}): ExploreResult {
  return explore(new Dpor({ preemptions: -1, faults: 0 }), runner(setup, over), {
    scenario: 'rcu-list',
    budget: 20_000,
  });
}

/** One run (first choice everywhere) of a single task's body, with every checker. */
function once(body: () => KGen, over: Record<string, boolean | number | string> = {}): RunResult {
  return runner(() => {
    spawn_user('walker', body);
  }, over)(new FirstChoice());
}

function titles(r: { reports?: readonly { title: string }[]; findings?: readonly { title: string }[] }): string[] {
  return (r.reports ?? r.findings ?? []).map((x) => x.title);
}

// ------------------------------------------------------------ walks vs. a free

type Del = 'none' | 'sync';

/** a -> b -> c on a list_head; the updater unlinks b under a lock and frees it (after a grace period with 'sync'). */
function listFree(mode: Del, walk: 'rcu' | 'plain' = 'rcu') {
  return () => {
    const lock = spin_lock_init('list_lock');
    const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: list_head };
    const [a, b, c] = [1, 2, 3].map((v) => kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item')) as [
      item,
      item,
      item,
    ];
    for (const x of [a, b, c]) list_add_tail_rcu(x.link, head.list);
    spawn_user(
      'reader',
      kfunc(function* reader_walk() {
        rcu_read_lock();
        let sum = 0;
        if (walk === 'rcu') {
          for (
            let it = yield* list_for_each_entry_rcu<item>(head.list, 'link');
            it;
            it = yield* list_next_entry_rcu(it, head.list, 'link')
          )
            sum += it.v;
        } else {
          // The old, for...of walk: no scheduling point between the fetches.
          yield undefined;
          for (const it of list_for_each_entry<item>(head.list, 'link')) sum += it.v;
        }
        rcu_read_unlock();
        assert.ok(sum > 0);
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* list_updater() {
        yield* spin_lock(lock);
        list_del_rcu(b.link);
        yield* spin_unlock(lock);
        if (mode === 'sync') yield* synchronize_rcu();
        kfree(b);
      }),
    );
  };
}

test('list_for_each_entry_rcu: list_del_rcu + kfree without a grace period is a use-after-free DPOR finds', () => {
  const setup = listFree('none');
  const r = dpor(setup);
  assert.equal(r.complete, true);
  const f = r.findings.find((x) => x.title === 'BUG: KASAN: slab-use-after-free in reader_walk');
  assert.ok(f, `found: ${titles(r).join(' | ') || 'nothing'}`);
  assert.match(f.report.text, /Read of size 8 at addr [0-9a-f]+ by task reader\/1/);
  // The finding's choices replay it byte for byte.
  const again = replayRun(runner(setup), f.choices);
  assert.equal(again.mismatch, null);
  assert.equal(again.result?.reports[f.reportIndex]?.text, f.report.text);
});

test('list_for_each_entry_rcu: the same with synchronize_rcu() before kfree is clean (KCSAN too: fetches and publications are marked)', () => {
  const r = dpor(listFree('sync'), { KCSAN: true });
  assert.equal(r.complete, true);
  assert.deepEqual(titles(r), []);
  assert.ok(r.executions > 1);
});

test('a walk with no scheduling point between its fetches could never be caught (what the per-node points fix)', () => {
  const r = dpor(listFree('none', 'plain'));
  assert.equal(r.complete, true);
  assert.deepEqual(titles(r), []);
});

test('KCSAN: a plain list_for_each_entry walk racing list_del_rcu is a data race; the _rcu walk (marked fetches) is not', () => {
  const race = (walk: 'rcu' | 'plain') =>
    dpor(
      () => {
        const lock = spin_lock_init('list_lock');
        const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: list_head };
        const xs = [1, 2, 3].map((v) => kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item);
        for (const x of xs) list_add_tail_rcu(x.link, head.list);
        spawn_user(
          'reader',
          kfunc(function* reader_walk() {
            rcu_read_lock();
            let sum = 0;
            if (walk === 'rcu')
              for (
                let it = yield* list_for_each_entry_rcu<item>(head.list, 'link');
                it;
                it = yield* list_next_entry_rcu(it, head.list, 'link')
              )
                sum += it.v;
            else {
              yield undefined;
              for (const it of list_for_each_entry<item>(head.list, 'link')) sum += it.v;
            }
            rcu_read_unlock();
            assert.ok(sum > 0);
          }),
        );
        spawn_user(
          'updater',
          kfunc(function* list_updater() {
            yield* spin_lock(lock);
            list_del_rcu((xs[1] as item).link);
            yield* spin_unlock(lock);
          }),
        );
      },
      { KCSAN: true },
    );
  assert.deepEqual(titles(race('rcu')), []);
  assert.deepEqual(titles(race('plain')), ['KCSAN: data-race in list_updater / reader_walk']);
});

/** The same on an hlist: hlist_del_rcu + kfree under a walker. */
function hlistFree(mode: Del) {
  return () => {
    const lock = spin_lock_init('hlist_lock');
    const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
    const subs = [3, 2, 1].map((v) => kzalloc(() => ({ v, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub);
    for (const s of subs) hlist_add_head_rcu(s.hlist, head.list);
    const victim = subs[1] as sub; // the middle one
    spawn_user(
      'reader',
      kfunc(function* hreader_walk() {
        rcu_read_lock();
        let sum = 0;
        for (
          let s = yield* hlist_for_each_entry_rcu<sub>(head.list, 'hlist');
          s;
          s = yield* hlist_next_entry_rcu(s, 'hlist')
        )
          sum += s.v;
        rcu_read_unlock();
        assert.ok(sum > 0);
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* hlist_updater() {
        yield* spin_lock(lock);
        hlist_del_rcu(victim.hlist);
        yield* spin_unlock(lock);
        if (mode === 'sync') yield* synchronize_rcu();
        kfree(victim);
      }),
    );
  };
}

test('hlist_for_each_entry_rcu: hlist_del_rcu + kfree under a walker is found; with synchronize_rcu() it is clean', () => {
  const bad = dpor(hlistFree('none'));
  assert.equal(bad.complete, true);
  assert.ok(titles(bad).includes('BUG: KASAN: slab-use-after-free in hreader_walk'), titles(bad).join(' | '));
  const good = dpor(hlistFree('sync'), { KCSAN: true });
  assert.equal(good.complete, true);
  assert.deepEqual(titles(good), []);
});

// ------------------------------------------------------------ PROVE_RCU_LIST

/** Splits a report and checks it line by line against lockdep_rcu_suspicious()'s layout. */
function assertSuspicious(text: string, site: string, message: string, held: string[], trace: string[], rt = false) {
  const ident = rt ? '6.17.0-kernsim-rt #1 PREEMPT_RT' : '6.17.0-kernsim #1 PREEMPT(full)';
  const expected = [
    '=============================',
    'WARNING: suspicious RCU usage',
    `${ident} Not tainted`,
    '-----------------------------',
    `${site} ${message}!`,
    '',
    'other info that might help us debug this:',
    '',
    '',
    'rcu_scheduler_active = 2, debug_locks = 1',
    ...held,
    '',
    'stack backtrace:',
    `CPU: 0 UID: 0 PID: 1 Comm: walker Not tainted ${ident}`,
    'Hardware name: kernsim virtual machine',
    'Call Trace:',
    ' <TASK>',
    ' dump_stack_lvl',
    ' lockdep_rcu_suspicious',
    ...trace.map((f) => ` ${f}`),
    ' </TASK>',
  ];
  assert.deepEqual(text.split('\n'), expected);
}

interface Locks {
  readonly m: mutex;
  readonly s: spinlock_t;
}

/** A walker over a two-entry list; `around` decides what it holds while walking. */
function listWalker(around: (walk: (cond?: boolean) => KGen, locks: Locks) => KGen): () => KGen {
  return kfunc(function* walk_items() {
    const locks = { m: mutex_init('items_mutex'), s: spin_lock_init('items_lock') };
    const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: list_head };
    for (const v of [1, 2]) {
      const it = kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item;
      list_add_tail_rcu(it.link, head.list);
    }
    yield* around(function* (cond?: boolean) {
      let n = 0;
      for (
        let it = yield* list_for_each_entry_rcu<item>(head.list, 'link', cond, 'lib/walk.c:42');
        it;
        it = yield* list_next_entry_rcu(it, head.list, 'link')
      )
        n += it.v;
      assert.equal(n, 3);
    }, locks);
  });
}

test('PROVE_RCU_LIST: list_for_each_entry_rcu outside rcu_read_lock() is "RCU-list traversed in non-reader section!!"', () => {
  const r = once(
    listWalker(function* (walk) {
      yield* walk();
    }),
  );
  assert.deepEqual(titles(r), ['WARNING: suspicious RCU usage in walk_items']);
  const rep = r.reports[0];
  assert.ok(rep);
  assert.equal(rep.kind, 'lockdep');
  assertSuspicious(
    rep.text,
    'lib/walk.c:42',
    'RCU-list traversed in non-reader section!',
    ['no locks held by walker/1.'],
    ['walk_items'],
  );
});

test('PROVE_RCU_LIST: the report lists the held locks (a mutex held, but not named in cond)', () => {
  const r = once(
    listWalker(function* (walk, { m }) {
      yield* mutex_lock(m);
      yield* walk();
      yield* mutex_unlock(m);
    }),
  );
  assert.deepEqual(titles(r), ['WARNING: suspicious RCU usage in walk_items']);
  const lines = (r.reports[0]?.text ?? '').split('\n');
  const i = lines.indexOf('rcu_scheduler_active = 2, debug_locks = 1');
  assert.equal(lines[i + 1], '1 lock held by walker/1:');
  assert.match(lines[i + 2] ?? '', /^ #0: [0-9a-f]{16} \(items_mutex\)\{\.\.\.\.\}-\{4:4\}, at: walk_items$/);
  assert.equal(lines[i + 3], '');
  assert.equal(lines[i + 4], 'stack backtrace:');
});

test('PROVE_RCU_LIST: not reported with the lockdep condition held, inside rcu_read_lock(), or with preemption off', () => {
  const cases: [string, (walk: (cond?: boolean) => KGen, locks: Locks) => KGen][] = [
    [
      'cond: lockdep_is_held(&mutex)',
      function* (walk, { m }) {
        yield* mutex_lock(m);
        yield* walk(lockdep_is_held(m));
        yield* mutex_unlock(m);
      },
    ],
    [
      'rcu_read_lock()',
      function* (walk) {
        rcu_read_lock();
        yield* walk();
        rcu_read_unlock();
      },
    ],
    [
      'preempt_disable() (rcu_read_lock_any_held)',
      function* (walk) {
        preempt_disable();
        yield* walk();
        preempt_enable();
      },
    ],
  ];
  for (const [name, around] of cases) assert.deepEqual(titles(once(listWalker(around))), [], name);
  // A spinlock_t held is a reader on both kernels: preemption off on !RT, rcu_read_lock() in rt_spin_lock().
  const spin = listWalker(function* (walk, { s }) {
    yield* spin_lock(s);
    yield* walk();
    yield* spin_unlock(s);
  });
  assert.deepEqual(titles(once(spin)), [], 'spin_lock, !PREEMPT_RT');
  assert.deepEqual(titles(once(spin, { PREEMPT_RT: true })), [], 'spin_lock, PREEMPT_RT');
});

test('PROVE_RCU_LIST off (or PROVE_RCU off) is silent', () => {
  const bare = listWalker(function* (walk) {
    yield* walk();
  });
  assert.deepEqual(titles(once(bare, { PROVE_RCU_LIST: false })), []);
  assert.deepEqual(titles(once(bare, { PROVE_RCU: false })), []);
  assert.deepEqual(titles(once(bare)), ['WARNING: suspicious RCU usage in walk_items']);
});

test('PREEMPT_RT: the same layout with the -rt ident; the default site is the check in rculist.h', () => {
  const r = once(
    listWalker(function* (walk) {
      yield* walk();
    }),
    { PREEMPT_RT: true },
  );
  const rep = r.reports[0];
  assert.ok(rep);
  assertSuspicious(
    rep.text,
    'lib/walk.c:42',
    'RCU-list traversed in non-reader section!',
    ['no locks held by walker/1.'],
    ['walk_items'],
    true,
  );
  const d = once(
    kfunc(function* default_site() {
      const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
      const s = yield* hlist_for_each_entry_rcu<sub>(head.list, 'hlist');
      assert.equal(s, null);
    }),
  );
  assert.ok(
    d.reports[0]?.text.includes('\ninclude/linux/rculist.h:65 RCU-list traversed in non-reader section!!\n'),
    d.reports[0]?.text,
  );
});

test('RCU_LOCKDEP_WARN warns once per site: two walks at one site, one report; at two sites, two', () => {
  const twice = (sites: [string, string]) =>
    once(
      kfunc(function* walk_twice() {
        const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: list_head };
        for (const site of sites)
          assert.equal(yield* list_for_each_entry_rcu<item>(head.list, 'link', false, site), null);
      }),
    );
  assert.equal(twice(['a.c:1', 'a.c:1']).reports.length, 1);
  assert.equal(twice(['a.c:1', 'a.c:2']).reports.length, 2);
});

// ------------------------------------------------------------ rcu_dereference

test('rcu_dereference() outside a reader: "suspicious rcu_dereference_check() usage!"; inside, or with cond, not', () => {
  const bad = once(
    kfunc(function* deref_gp() {
      const gp = shared({ p: null as { v: number } | null }, 'gp');
      gp.p = kzalloc(() => ({ v: 7 }), GFP_KERNEL, 'struct obj');
      const p = yield* rcu_dereference(gp, 'p', 'kernel/foo.c:100');
      assert.equal(p?.v, 7);
    }),
  );
  assert.deepEqual(titles(bad), ['WARNING: suspicious RCU usage in deref_gp']);
  assert.ok(bad.reports[0]?.text.includes('\nkernel/foo.c:100 suspicious rcu_dereference_check() usage!\n'));
  const lines = (bad.reports[0]?.text ?? '').split('\n');
  assert.deepEqual(lines.slice(0, 5), [
    '=============================',
    'WARNING: suspicious RCU usage',
    '6.17.0-kernsim #1 PREEMPT(full) Not tainted',
    '-----------------------------',
    'kernel/foo.c:100 suspicious rcu_dereference_check() usage!',
  ]);
  const good = once(
    kfunc(function* deref_ok() {
      const gp = shared({ p: null as { v: number } | null }, 'gp');
      const m = mutex_init('gp_mutex');
      rcu_read_lock();
      yield* rcu_dereference(gp, 'p', 'kernel/foo.c:100');
      rcu_read_unlock();
      yield* mutex_lock(m);
      yield* rcu_dereference_check(gp, 'p', lockdep_is_held(m), 'kernel/foo.c:110');
      rcu_dereference_protected(gp, 'p', lockdep_is_held(m), 'kernel/foo.c:120');
      yield* mutex_unlock(m);
    }),
  );
  assert.deepEqual(titles(good), []);
  // rcu_dereference_check() counts rcu_read_lock() only: preemption off is not enough (rcu_dereference_sched is).
  const sched = once(
    kfunc(function* deref_preempt_off() {
      const gp = shared({ p: null as { v: number } | null }, 'gp');
      preempt_disable();
      yield* rcu_dereference(gp, 'p', 'kernel/foo.c:130');
      preempt_enable();
    }),
  );
  assert.deepEqual(titles(sched), ['WARNING: suspicious RCU usage in deref_preempt_off']);
});

test('rcu_dereference_protected() without its lock: "suspicious rcu_dereference_protected() usage!"', () => {
  const r = once(
    kfunc(function* deref_unlocked() {
      const gp = shared({ p: null as { v: number } | null }, 'gp');
      const m = mutex_init('gp_mutex');
      rcu_read_lock(); // a reader does not make an update-side access legal
      rcu_dereference_protected(gp, 'p', lockdep_is_held(m), 'kernel/foo.c:140');
      rcu_read_unlock();
      yield undefined;
    }),
  );
  assert.deepEqual(titles(r), ['WARNING: suspicious RCU usage in deref_unlocked']);
  assert.ok(r.reports[0]?.text.includes('\nkernel/foo.c:140 suspicious rcu_dereference_protected() usage!\n'));
});

test('each node fetch of an _rcu walk, and each rcu_dereference(), is a scheduling point of its own', () => {
  const counts: number[] = [];
  const r = once(
    kfunc(function* count_steps() {
      const gp = shared({ p: 1 }, 'gp');
      const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
      for (const v of [3, 2, 1])
        hlist_add_head_rcu(
          (kzalloc(() => ({ v, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub).hlist,
          head.list,
        );
      rcu_read_lock();
      counts.push(current().steps);
      yield* rcu_dereference(gp, 'p');
      counts.push(current().steps);
      for (
        let s = yield* hlist_for_each_entry_rcu<sub>(head.list, 'hlist');
        s;
        s = yield* hlist_next_entry_rcu(s, 'hlist')
      )
        counts.push(current().steps);
      counts.push(current().steps);
      rcu_read_unlock();
    }),
  );
  assert.deepEqual(titles(r), []);
  const base = counts[0] as number;
  // one step for rcu_dereference, then one per fetch: first, a->next, b->next, c->next (NULL).
  assert.deepEqual(
    counts.map((c) => c - base),
    [0, 1, 2, 3, 4, 5],
  );
});

// ------------------------------------------------------------ SRCU walks

test('hlist_for_each_entry_srcu / list_for_each_entry_srcu: the wrong srcu_struct or no reader is reported, the right one not', () => {
  const walk = (reader: 'right' | 'wrong' | 'none') =>
    once(
      kfunc(function* srcu_walk() {
        const ssp = init_srcu_struct('my_srcu');
        const other = init_srcu_struct('other_srcu');
        const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
        const lhead = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct lhead') as { list: list_head };
        for (const v of [1, 2]) {
          hlist_add_head_rcu(
            (kzalloc(() => ({ v, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub).hlist,
            head.list,
          );
          list_add_tail_rcu(
            (kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item).link,
            lhead.list,
          );
        }
        const on = reader === 'right' ? ssp : reader === 'wrong' ? other : null;
        const idx = on ? yield* srcu_read_lock(on) : 0;
        let n = 0;
        for (
          let s = yield* hlist_for_each_entry_srcu<sub>(
            head.list,
            'hlist',
            srcu_read_lock_held(ssp),
            'kernel/bar.c:10',
          );
          s;
          s = yield* hlist_next_entry_rcu(s, 'hlist')
        )
          n += s.v;
        for (
          let it = yield* list_for_each_entry_srcu<item>(
            lhead.list,
            'link',
            srcu_read_lock_held(ssp),
            'kernel/bar.c:20',
          );
          it;
          it = yield* list_next_entry_rcu(it, lhead.list, 'link')
        )
          n += it.v;
        assert.equal(n, 6);
        if (on) yield* srcu_read_unlock(on, idx);
      }),
    );
  assert.deepEqual(titles(walk('right')), []);
  for (const reader of ['wrong', 'none'] as const) {
    const r = walk(reader);
    assert.deepEqual(
      titles(r),
      ['WARNING: suspicious RCU usage in srcu_walk', 'WARNING: suspicious RCU usage in srcu_walk'],
      reader,
    );
    const [h, l] = r.reports.map((x) => x.text.split('\n')[4]);
    assert.equal(h, 'kernel/bar.c:10 RCU-list traversed without holding the required lock!!');
    assert.equal(l, 'kernel/bar.c:20 RCU-list traversed without holding the required lock!!');
  }
  // Holding the other domain shows in the held-lock list.
  const wrong = walk('wrong').reports[0]?.text.split('\n') ?? [];
  const i = wrong.indexOf('rcu_scheduler_active = 2, debug_locks = 1');
  assert.equal(wrong[i + 1], '1 lock held by walker/1:');
  assert.match(wrong[i + 2] ?? '', /^ #0: [0-9a-f]{16} \(other_srcu\)\{\.\.\.\.\}-\{0:0\}, at: srcu_walk$/);
  // rcu_read_lock() does not satisfy an srcu walk (unlike an _rcu walk).
  const rcuOnly = once(
    kfunc(function* srcu_walk_under_rcu() {
      const ssp = init_srcu_struct('my_srcu');
      const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
      rcu_read_lock();
      yield* hlist_for_each_entry_srcu<sub>(head.list, 'hlist', srcu_read_lock_held(ssp), 'kernel/bar.c:30');
      rcu_read_unlock();
    }),
  );
  assert.deepEqual(titles(rcuOnly), ['WARNING: suspicious RCU usage in srcu_walk_under_rcu']);
});

test('srcu_dereference() with the wrong srcu_struct: "suspicious rcu_dereference_check() usage!"', () => {
  const deref = (which: 'ssp' | 'other') =>
    once(
      kfunc(function* srcu_deref() {
        const ssp = init_srcu_struct('my_srcu');
        const other = init_srcu_struct('other_srcu');
        const d = shared({ p: 5 }, 'd');
        const on = which === 'ssp' ? ssp : other;
        const idx = yield* srcu_read_lock(on);
        assert.equal(yield* srcu_dereference(d, 'p', ssp, 'kernel/baz.c:5'), 5);
        yield* srcu_read_unlock(on, idx);
      }),
    );
  assert.deepEqual(titles(deref('ssp')), []);
  const r = deref('other');
  assert.deepEqual(titles(r), ['WARNING: suspicious RCU usage in srcu_deref']);
  assert.equal(r.reports[0]?.text.split('\n')[4], 'kernel/baz.c:5 suspicious rcu_dereference_check() usage!');
});
