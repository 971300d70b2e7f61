import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HLIST_HEAD,
  HLIST_NODE,
  LIST_HEAD,
  LIST_POISON1,
  LIST_POISON2,
  type hlist_head,
  type hlist_node,
  hlist_add_head,
  hlist_add_head_rcu,
  hlist_del,
  hlist_del_init,
  hlist_del_init_rcu,
  hlist_del_rcu,
  hlist_empty,
  hlist_entry,
  hlist_for_each_entry,
  hlist_for_each_entry_rcu,
  hlist_for_each_entry_safe,
  hlist_next_entry_rcu,
  hlist_unhashed,
  type list_head,
  list_add,
  list_add_tail,
  list_del,
  list_del_init,
  list_empty,
  list_first_entry,
  list_for_each_entry,
  list_for_each_entry_safe,
} from '../../src/kernel/lib/list.js';
import { DEFINE_ON_STACK, GFP_KERNEL, kzalloc } from '../../src/kernel/mm/slab.js';
import { rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, kfunc, setBadAccessHook } from '../../src/sim/index.js';
import { RoundRobin, bootWith, runClean } from './helpers.js';

interface sub {
  name: string;
  hlist: hlist_node;
}
interface item {
  v: number;
  link: list_head;
}

function mksub(name: string): sub {
  return kzalloc(() => ({ name, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct sub') as sub;
}

function names(h: hlist_head): string[] {
  return [...hlist_for_each_entry<sub>(h, 'hlist')].map((s) => s.name);
}

test('list_head: add, add_tail, del, del_init, iteration, container_of', () => {
  const { k } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const head = kzalloc(() => ({ list: LIST_HEAD() }), GFP_KERNEL, 'struct h') as { list: list_head };
    assert.ok(list_empty(head.list));
    const items = [1, 2, 3].map((v) => kzalloc(() => ({ v, link: LIST_HEAD() }), GFP_KERNEL, 'struct item') as item);
    list_add_tail(items[1]!.link, head.list);
    list_add_tail(items[2]!.link, head.list);
    list_add(items[0]!.link, head.list);
    assert.deepEqual(
      [...list_for_each_entry<item>(head.list, 'link')].map((i) => i.v),
      [1, 2, 3],
    );
    assert.equal(list_first_entry<item>(head.list, 'link').v, 1);
    for (const it of list_for_each_entry_safe<item>(head.list, 'link')) if (it.v === 2) list_del(it.link);
    assert.deepEqual(
      [...list_for_each_entry<item>(head.list, 'link')].map((i) => i.v),
      [1, 3],
    );
    assert.equal(items[1]!.link.next, LIST_POISON1);
    assert.equal(items[1]!.link.prev, LIST_POISON2);
    list_del_init(items[0]!.link);
    assert.ok(list_empty(items[0]!.link));
    list_del_init(items[2]!.link);
    assert.ok(list_empty(head.list));
  });
  runClean(k);
});

test('hlist: add_head order, hlist_unhashed after each delete flavour', () => {
  const { k } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const h = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct h') as { list: hlist_head };
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(mksub) as [sub, sub, sub, sub];
    assert.ok(hlist_unhashed(a.hlist));
    hlist_add_head(d.hlist, h.list);
    hlist_add_head_rcu(c.hlist, h.list);
    hlist_add_head(b.hlist, h.list);
    hlist_add_head_rcu(a.hlist, h.list);
    assert.deepEqual(names(h.list), ['a', 'b', 'c', 'd']);
    assert.equal(hlist_entry<sub>(h.list.first as hlist_node, 'hlist'), a);

    hlist_del_init_rcu(b.hlist);
    assert.ok(hlist_unhashed(b.hlist));
    assert.equal(b.hlist.next, c.hlist, 'hlist_del_init_rcu keeps next');
    hlist_del_init_rcu(b.hlist); // unhashed: no-op

    hlist_del_rcu(c.hlist);
    assert.ok(!hlist_unhashed(c.hlist), 'hlist_del_rcu leaves pprev poisoned, not NULL');
    assert.equal(c.hlist.pprev, LIST_POISON2);
    assert.equal(c.hlist.next, d.hlist);

    hlist_del_init(d.hlist);
    assert.ok(hlist_unhashed(d.hlist));
    assert.equal(d.hlist.next, null);

    hlist_add_head(d.hlist, h.list);
    hlist_del(d.hlist);
    assert.ok(!hlist_unhashed(d.hlist));
    assert.equal(d.hlist.next, LIST_POISON1);
    assert.equal(d.hlist.pprev, LIST_POISON2);

    assert.deepEqual(names(h.list), ['a']);
    for (const s of hlist_for_each_entry_safe<sub>(h.list, 'hlist')) hlist_del_init(s.hlist);
    assert.ok(hlist_empty(h.list));
  });
  runClean(k);
});

test('hlist_del twice dereferences LIST_POISON2: general protection fault Oops', () => {
  const { k } = bootWith();
  spawn_user('t', function* () {
    yield undefined;
    const h = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct h') as { list: hlist_head };
    const a = mksub('a');
    hlist_add_head(a.hlist, h.list);
    hlist_del(a.hlist);
    hlist_del(a.hlist);
  });
  const r = k.machine.run();
  assert.equal(r.reports.length, 1);
  assert.match(r.reports[0]!.text, /general protection fault, probably for non-canonical address 0xdead000000000122/);
});

/**
 * A walker stands on b (its body yields there) while a deleter removes b.
 * hlist_del_init NULLs b->next, so the walker stops after b (misses c);
 * hlist_del_init_rcu keeps b->next, so the walker continues to c.
 */
function concurrentWalk(del: (n: hlist_node) => void): string[] {
  const { k } = bootWith(new RoundRobin());
  const seen: string[] = [];
  const st = { onB: false, deleted: false };
  let h: { list: hlist_head } | null = null;
  let b: sub | null = null;
  spawn_user('walker', function* () {
    h = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct h') as { list: hlist_head };
    const [a, bb, c] = ['a', 'b', 'c'].map(mksub) as [sub, sub, sub];
    b = bb;
    hlist_add_head_rcu(c.hlist, h.list);
    hlist_add_head_rcu(bb.hlist, h.list);
    hlist_add_head_rcu(a.hlist, h.list);
    yield undefined;
    rcu_read_lock();
    for (
      let s = yield* hlist_for_each_entry_rcu<sub>(h.list, 'hlist');
      s;
      s = yield* hlist_next_entry_rcu(s, 'hlist')
    ) {
      seen.push(s.name);
      if (s.name === 'b') {
        st.onB = true;
        while (!st.deleted) yield undefined;
      }
      yield undefined;
    }
    rcu_read_unlock();
  });
  spawn_user('deleter', function* () {
    yield undefined;
    while (!st.onB) yield undefined;
    del((b as unknown as sub).hlist);
    st.deleted = true;
  });
  runClean(k);
  return seen;
}

test('F-V2-5: hlist_del_init truncates a concurrent walk; hlist_del_init_rcu lets it continue', () => {
  assert.deepEqual(concurrentWalk(hlist_del_init), ['a', 'b']);
  assert.deepEqual(concurrentWalk(hlist_del_init_rcu), ['a', 'b', 'c']);
  assert.deepEqual(concurrentWalk(hlist_del_rcu), ['a', 'b', 'c']);
});

test('F-V2-6: a write through a stale pprev into a returned stack frame reaches the bad-access hook', () => {
  const { k } = bootWith();
  const bad: string[] = [];
  setBadAccessHook(k.machine, (a, _off, field, write) =>
    bad.push(`${a.kind}:${a.label}.${field}:${write ? 'w' : 'r'}`),
  );
  const s = { node: null as sub | null };
  const detach = kfunc(function* oom_enter(): KGen {
    const oom_list = DEFINE_ON_STACK(() => ({ head: HLIST_HEAD() }), 'oom_list');
    const n = mksub('kvm');
    s.node = n;
    hlist_add_head(n.hlist, oom_list.head); // left linked to the stack head
    yield undefined;
  });
  spawn_user('t', function* () {
    yield undefined;
    yield* detach();
    const n = s.node as sub;
    assert.ok(!hlist_unhashed(n.hlist)); // looks hashed
    hlist_del_init_rcu(n.hlist); // *pprev = next writes oom_list.first in the dead frame
  });
  runClean(k);
  assert.deepEqual(bad, ['stack:oom_list.first:w']);
});
