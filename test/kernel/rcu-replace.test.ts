/**
 * list_replace_rcu() / hlist_replace_rcu() (include/linux/rculist.h): a reader walking the list
 * while an updater replaces an entry sees the old entry or the new one, never neither and never a
 * half-linked new one; freeing the old entry needs a grace period (without one, DPOR finds the
 * KASAN use-after-free in the walker). The absent case: a delete and an insert done as two steps
 * let a reader see the list without either.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HLIST_HEAD,
  HLIST_NODE,
  LIST_HEAD,
  type hlist_head,
  type hlist_node,
  hlist_add_behind,
  hlist_add_head_rcu,
  hlist_del_rcu,
  hlist_for_each_entry_rcu,
  hlist_next_entry_rcu,
  hlist_replace_rcu,
  type list_head,
  list_add_rcu,
  list_add_tail_rcu,
  list_del_rcu,
  list_for_each_entry,
  list_for_each_entry_rcu,
  list_next_entry_rcu,
  list_replace,
  list_replace_init,
  list_replace_rcu,
  is_poison,
} from '../../src/kernel/lib/list.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import { rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, kfunc } from '../../src/sim/index.js';
import { bootWith, dporOutcomes, runClean } from './helpers.js';

interface item {
  v: number;
  link: list_head;
}
interface sub {
  v: number;
  hlist: hlist_node;
}

type Mode = 'replace+sync' | 'replace-nosync' | 'del+add';

/** a(1) -> b(2) -> c(3); the updater replaces b with b'(20). The reader records the sum it saw. */
function listReplace(mode: Mode) {
  return (seen: Set<string>) => {
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
        for (
          let it = yield* list_for_each_entry_rcu<item>(head.list, 'link');
          it;
          it = yield* list_next_entry_rcu(it, head.list, 'link')
        )
          sum += it.v;
        rcu_read_unlock();
        seen.add(`sum=${sum}`);
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* list_updater() {
        const nb = kzalloc(() => ({ v: 20, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item;
        yield* spin_lock(lock);
        if (mode === 'del+add') {
          list_del_rcu(b.link);
          yield undefined; // another step, still under the lock: a reader on the other CPU may walk in between
          list_add_rcu(nb.link, a.link);
        } else list_replace_rcu(b.link, nb.link);
        yield* spin_unlock(lock);
        if (mode !== 'replace-nosync') yield* synchronize_rcu();
        kfree(b);
      }),
    );
  };
}

function titles(r: { findings: readonly { title: string }[] }): string[] {
  return [...new Set(r.findings.map((f) => f.title))].sort();
}

test('list_replace_rcu(): a concurrent _rcu walk sees the old entry or the new one, never a torn list (KCSAN clean)', () => {
  const { seen, result } = dporOutcomes(listReplace('replace+sync'), { KCSAN: true, DEBUG_KMEMLEAK: false });
  assert.equal(result.complete, true);
  assert.deepEqual(titles(result), []);
  assert.deepEqual(seen, ['sum=24', 'sum=6']);
});

test('without list_replace_rcu(): list_del_rcu() then list_add_rcu() in two steps lets a walk see neither (sum 4)', () => {
  const { seen, result } = dporOutcomes(listReplace('del+add'), { DEBUG_KMEMLEAK: false });
  assert.equal(result.complete, true);
  assert.ok(seen.includes('sum=4'), seen.join(' '));
});

test('list_replace_rcu() then kfree(old) without a grace period: the walker standing on old is a use-after-free', () => {
  const { result } = dporOutcomes(listReplace('replace-nosync'), { DEBUG_KMEMLEAK: false });
  assert.equal(result.complete, true);
  assert.ok(titles(result).includes('BUG: KASAN: slab-use-after-free in reader_walk'), titles(result).join(' | '));
});

/** The same on an hlist: 3 -> 2 -> 1 (head first), the middle one replaced by 20. */
function hlistReplace(mode: Mode) {
  return (seen: Set<string>) => {
    const lock = spin_lock_init('hlist_lock');
    const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
    const subs = [1, 2, 3].map((v) => kzalloc(() => ({ v, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub);
    for (const s of subs) hlist_add_head_rcu(s.hlist, head.list);
    const victim = subs[1] as sub;
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
        seen.add(`sum=${sum}`);
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* hlist_updater(): KGen {
        const n = kzalloc(() => ({ v: 20, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
        yield* spin_lock(lock);
        if (mode === 'del+add') {
          const prev = subs[2] as sub;
          hlist_del_rcu(victim.hlist);
          yield undefined;
          hlist_add_behind(n.hlist, prev.hlist);
        } else hlist_replace_rcu(victim.hlist, n.hlist);
        yield* spin_unlock(lock);
        if (mode !== 'replace-nosync') yield* synchronize_rcu();
        kfree(victim);
      }),
    );
  };
}

test('hlist_replace_rcu(): old or new, never torn; without it (del, then add) a walk sees neither; no grace period is a UAF', () => {
  const good = dporOutcomes(hlistReplace('replace+sync'), { KCSAN: true, DEBUG_KMEMLEAK: false });
  assert.equal(good.result.complete, true);
  assert.deepEqual(titles(good.result), []);
  assert.deepEqual(good.seen, ['sum=24', 'sum=6']);
  const torn = dporOutcomes(hlistReplace('del+add'), { DEBUG_KMEMLEAK: false });
  assert.ok(torn.seen.includes('sum=4'), torn.seen.join(' '));
  const uaf = dporOutcomes(hlistReplace('replace-nosync'), { DEBUG_KMEMLEAK: false });
  assert.ok(
    titles(uaf.result).includes('BUG: KASAN: slab-use-after-free in hreader_walk'),
    titles(uaf.result).join(' | '),
  );
});

test('list_replace_rcu/hlist_replace_rcu links: new in old place, old->next kept, old->prev/pprev poisoned; list_replace(_init)', () => {
  const { k } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: list_head };
    const xs = [1, 2, 3].map((v) => kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item);
    for (const x of xs) list_add_tail_rcu(x.link, head.list);
    const [a, b, c] = xs as [item, item, item];
    const nb = kzalloc(() => ({ v: 20, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item;
    list_replace_rcu(b.link, nb.link);
    assert.deepEqual(
      [...list_for_each_entry<item>(head.list, 'link')].map((x) => x.v),
      [1, 20, 3],
    );
    assert.equal(b.link.next, c.link);
    assert.ok(is_poison(b.link.prev));
    assert.equal(c.link.prev, nb.link);
    const nc = kzalloc(() => ({ v: 30, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item;
    list_replace(c.link, nc.link);
    const na = kzalloc(() => ({ v: 10, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item;
    list_replace_init(a.link, na.link);
    assert.deepEqual(
      [...list_for_each_entry<item>(head.list, 'link')].map((x) => x.v),
      [10, 20, 30],
    );
    assert.equal(a.link.next, a.link);
    const h = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
    const s1 = kzalloc(() => ({ v: 1, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
    const s2 = kzalloc(() => ({ v: 2, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
    hlist_add_head_rcu(s1.hlist, h.list);
    const n1 = kzalloc(() => ({ v: 9, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
    hlist_replace_rcu(s1.hlist, n1.hlist); // the only node: the head's first
    assert.equal(h.list.first, n1.hlist);
    assert.ok(is_poison(s1.hlist.pprev));
    hlist_add_head_rcu(s2.hlist, h.list); // 2 -> 9
    const n2 = kzalloc(() => ({ v: 8, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
    hlist_replace_rcu(s2.hlist, n2.hlist); // the first of two: next's pprev now points at n2
    assert.equal(h.list.first, n2.hlist);
    assert.equal(n2.hlist.next, n1.hlist);
    assert.equal(n1.hlist.pprev?.base, n2.hlist);
    assert.equal(s2.hlist.next, n1.hlist);
  });
  runClean(k);
});
