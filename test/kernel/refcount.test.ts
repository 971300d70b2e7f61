/**
 * lib/refcount.c's dec-and-lock family and kref_put_lock()/kref_put_mutex() (include/linux/kref.h):
 * the last put takes the lookup lock before the count reaches 0, so a lookup under that lock never
 * finds the object at 0. The classic bug (kref_put() whose release takes the lock) is found by
 * DPOR as "refcount_t: addition on 0; use-after-free." and a KASAN use-after-free; kref_put_lock()
 * and kref_put_mutex() are clean.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WarnEvent } from '../../src/kernel/events.js';
import {
  KREF_INIT,
  REFCOUNT_INIT,
  type kref,
  kref_get,
  kref_put,
  kref_put_lock,
  kref_put_mutex,
  refcount_dec_and_lock,
  refcount_dec_and_lock_irqsave,
  refcount_dec_and_mutex_lock,
  refcount_dec_if_one,
  refcount_dec_not_one,
  refcount_read,
} from '../../src/kernel/kref.js';
import { container_of } from '../../src/kernel/lib/container_of.js';
import {
  LIST_HEAD,
  type list_head,
  list_add_tail,
  list_del,
  list_first_entry_or_null,
} from '../../src/kernel/lib/list.js';
import { lockdep_is_held } from '../../src/kernel/locking/lockdep.js';
import { type mutex, mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import {
  type spinlock_t,
  spin_lock,
  spin_lock_init,
  spin_unlock,
  spin_unlock_irqrestore,
} from '../../src/kernel/locking/spinlock.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { shared } from '../../src/kernel/once.js';
import { irqs_disabled } from '../../src/kernel/preempt.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, kfunc } from '../../src/sim/index.js';
import { bootWith, dporOutcomes, ofType, runClean } from './helpers.js';

test('refcount_dec_not_one / refcount_dec_if_one: the 1 is the boundary; dec_not_one on 0 WARNs underflow', () => {
  const { k, events } = bootWith();
  const r = shared(REFCOUNT_INIT(2), 'refcount');
  const z = shared(REFCOUNT_INIT(0), 'refcount');
  const got: (boolean | number)[] = [];
  spawn_user('t', function* () {
    got.push(yield* refcount_dec_if_one(r)); // 2: no
    got.push(yield* refcount_dec_not_one(r)); // 2 -> 1
    got.push(yield* refcount_dec_not_one(r)); // 1: no
    got.push(yield* refcount_read(r));
    got.push(yield* refcount_dec_if_one(r)); // 1 -> 0
    got.push(yield* refcount_read(r));
    got.push(
      yield* kfunc(function* drop_zero() {
        return yield* refcount_dec_not_one(z);
      })(),
    );
  });
  runClean(k);
  assert.deepEqual(got, [false, true, false, 1, true, 0, true]);
  const w = ofType<WarnEvent>(events, 'warn');
  assert.deepEqual(
    w.map((e) => `${e.file}:${e.line} ${e.message}`),
    ['lib/refcount.c:87 refcount_t: underflow; use-after-free.'],
  );
});

test('refcount_dec_and_lock / _mutex_lock / _lock_irqsave: true with the lock held only for the last reference', () => {
  const { k } = bootWith();
  const s = spin_lock_init('obj_lock');
  const m = mutex_init('obj_mutex');
  const out: string[] = [];
  spawn_user('t', function* () {
    for (const [name, dec] of [
      ['lock', (r: ReturnType<typeof REFCOUNT_INIT>) => refcount_dec_and_lock(r, s)],
      ['mutex', (r: ReturnType<typeof REFCOUNT_INIT>) => refcount_dec_and_mutex_lock(r, m)],
    ] as const) {
      const r = shared(REFCOUNT_INIT(2), 'refcount');
      out.push(`${name} 2: ${yield* dec(r)} held=${lockdep_is_held(name === 'lock' ? s : m)}`);
      out.push(`${name} 1: ${yield* dec(r)} held=${lockdep_is_held(name === 'lock' ? s : m)}`);
      if (name === 'lock') yield* spin_unlock(s);
      else yield* mutex_unlock(m);
    }
    const r = shared(REFCOUNT_INIT(2), 'refcount');
    out.push(`irqsave 2: ${JSON.stringify(yield* refcount_dec_and_lock_irqsave(r, s))}`);
    const f = yield* refcount_dec_and_lock_irqsave(r, s);
    out.push(`irqsave 1: held=${lockdep_is_held(s)} irqs_disabled=${irqs_disabled()}`);
    assert.ok(f);
    yield* spin_unlock_irqrestore(s, f.flags);
    out.push(`after: irqs_disabled=${irqs_disabled()}`);
  });
  runClean(k);
  assert.deepEqual(out, [
    'lock 2: false held=false',
    'lock 1: true held=true',
    'mutex 2: false held=false',
    'mutex 1: true held=true',
    'irqsave 2: null',
    'irqsave 1: held=true irqs_disabled=true',
    'after: irqs_disabled=false',
  ]);
});

// ---------------------------------------------------------------- the lookup race

interface obj {
  ref: kref;
  key: number;
  node: list_head;
}

type Put = 'kref_put' | 'kref_put_lock' | 'kref_put_mutex';

/**
 * A table (a list under a lock) holding one object with one reference (the table's). The owner
 * drops it; a lookup finds the object under the lock, takes a reference, and drops it again.
 * With plain kref_put() the release takes the lock only after the count reached 0: a lookup in
 * between finds the object at 0 (kref_get() WARNs "addition on 0"), and its later put frees it a
 * second time after the owner's release freed it.
 */
function table(put: Put) {
  return () => {
    const s = spin_lock_init('table_lock');
    const m = mutex_init('table_mutex');
    const tbl = shared({ list: LIST_HEAD() }, 'table');
    const o = kzalloc((): obj => ({ ref: KREF_INIT(1), key: 7, node: LIST_HEAD() }), GFP_KERNEL, 'struct obj') as obj;
    list_add_tail(o.node, tbl.list);
    const lock = (): KGen => (put === 'kref_put_mutex' ? mutex_lock(m) : spin_lock(s));
    const unlock = (): KGen => (put === 'kref_put_mutex' ? mutex_unlock(m) : spin_unlock(s));
    /** release with the lock held (kref_put_lock/_mutex): unlink, unlock, free. */
    const obj_release_locked = function* obj_release_locked(k: kref): KGen {
      const x = container_of<obj>(k, 'ref');
      list_del(x.node);
      yield* unlock();
      kfree(x);
    };
    /** release for plain kref_put(): takes the lock itself, too late. */
    const obj_release = function* obj_release(k: kref): KGen {
      const x = container_of<obj>(k, 'ref');
      yield* lock();
      list_del(x.node);
      yield* unlock();
      kfree(x);
    };
    function* obj_put(x: obj): KGen {
      if (put === 'kref_put') yield* kref_put(x.ref, obj_release);
      else if (put === 'kref_put_lock') yield* kref_put_lock(x.ref, obj_release_locked, s);
      else yield* kref_put_mutex(x.ref, obj_release_locked, m as mutex);
    }
    spawn_user(
      'owner',
      kfunc(function* obj_owner_put() {
        yield* obj_put(o);
      }),
    );
    spawn_user(
      'lookup',
      kfunc(function* obj_lookup() {
        yield* lock();
        const x = list_first_entry_or_null<obj>(tbl.list, 'node');
        if (x) yield* kref_get(x.ref);
        yield* unlock();
        if (!x) return;
        assert.equal(x.key, 7);
        yield* obj_put(x);
      }),
    );
  };
}

function titles(put: Put) {
  const { result } = dporOutcomes(table(put), { KCSAN: true, DEBUG_KMEMLEAK: false });
  assert.equal(result.complete, true);
  return { titles: [...new Set(result.findings.map((f) => f.title))].sort(), executions: result.executions };
}

test('kref_put() whose release takes the lookup lock: a lookup finds the object at 0 (DPOR finds the WARN and the UAF)', () => {
  const r = titles('kref_put');
  assert.ok(r.titles.includes('WARNING: refcount bug in obj_lookup'), r.titles.join(' | '));
  assert.ok(
    r.titles.some((t) => t.startsWith('BUG: KASAN: ')),
    r.titles.join(' | '),
  );
});

test('kref_put_lock() (release runs with the spinlock held) and kref_put_mutex(): clean in every schedule', () => {
  for (const put of ['kref_put_lock', 'kref_put_mutex'] as const) {
    const r = titles(put);
    assert.deepEqual(r.titles, [], put);
    assert.ok(r.executions > 1, put);
  }
});

test('kref_put_lock(): release runs with the lock held, and only on the last put', () => {
  const { k } = bootWith();
  const s: spinlock_t = spin_lock_init('l');
  const o = shared({ ref: KREF_INIT(2) }, 'struct obj');
  const seen: string[] = [];
  spawn_user('t', function* () {
    const rel = function* (): KGen {
      seen.push(`release held=${lockdep_is_held(s)}`);
      yield* spin_unlock(s);
    };
    seen.push(`put ${yield* kref_put_lock(o.ref, rel, s)} held=${lockdep_is_held(s)}`);
    seen.push(`put ${yield* kref_put_lock(o.ref, rel, s)} held=${lockdep_is_held(s)}`);
  });
  runClean(k);
  assert.deepEqual(seen, ['put 0 held=false', 'release held=true', 'put 1 held=false']);
});

test('refcount_dec_and_lock(): DPOR reaches both winners of two concurrent last puts (footprints order them)', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const s = spin_lock_init('l');
    const r = { refs: REFCOUNT_INIT(2) }; // plain struct: the refcount's own id orders the steps
    for (const name of ['a', 'b'])
      spawn_user(name, function* () {
        if (yield* refcount_dec_and_lock(r.refs, s)) {
          seen.add(`${name} last`);
          yield* spin_unlock(s);
        }
      });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['a last', 'b last']);
});
