/**
 * rcupdate.h's checked accessors beside rcu_dereference_check()/rcu_dereference_protected()
 * (test/kernel/rcu-list.test.ts): rcu_dereference_bh(_check), rcu_dereference_sched(_check),
 * rcu_access_pointer(), rcu_replace_pointer(). With CONFIG_PROVE_RCU each warns "suspicious
 * rcu_dereference_check() usage!" (rcu_replace_pointer: "..._protected() usage!") outside its
 * reader and without its lockdep condition, and is silent inside; an updater that swaps the
 * pointer with rcu_replace_pointer() under its lock and frees the old one after a grace period is
 * clean against a reader in every schedule.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { lockdep_is_held } from '../../src/kernel/locking/lockdep.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { shared } from '../../src/kernel/once.js';
import { local_bh_disable, local_bh_enable, preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import { synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import {
  rcu_access_pointer,
  rcu_dereference,
  rcu_dereference_bh,
  rcu_dereference_bh_check,
  rcu_dereference_sched,
  rcu_dereference_sched_check,
  rcu_read_lock,
  rcu_read_unlock,
  rcu_replace_pointer,
} from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { FirstChoice, type KGen, type RunResult, kfunc } from '../../src/sim/index.js';
import { dporOutcomes } from './helpers.js';

function once(body: () => KGen, over: Record<string, boolean> = {}): RunResult {
  const config = makeConfig({ NR_CPUS: 2, DEBUG_KMEMLEAK: false, ...over });
  const k = boot(config, { strategy: new FirstChoice(), maxSteps: 5_000 });
  installCheckers(k.machine, config, createCheckState());
  spawn_user('t', body);
  return k.machine.run();
}

function messages(r: RunResult): string[] {
  return r.reports.map((x) => {
    const line = x.text.split('\n').find((l) => / usage!$/.test(l));
    return `${x.title} | ${line ?? ''}`;
  });
}

interface obj {
  v: number;
}

test('rcu_dereference_bh(): silent under local_bh_disable(), a warning outside it (and rcu_read_lock() is not enough)', () => {
  const r = once(
    kfunc(function* deref_bh() {
      const gp = shared({ p: null as obj | null }, 'gp');
      yield* local_bh_disable();
      yield* rcu_dereference_bh(gp, 'p', 'net/x.c:1');
      yield* local_bh_enable();
      rcu_read_lock();
      yield* rcu_dereference_bh(gp, 'p', 'net/x.c:2');
      rcu_read_unlock();
      const m = mutex_init('m');
      yield* mutex_lock(m);
      yield* rcu_dereference_bh_check(gp, 'p', lockdep_is_held(m), 'net/x.c:3');
      yield* mutex_unlock(m);
    }),
  );
  assert.deepEqual(messages(r), [
    'WARNING: suspicious RCU usage in deref_bh | net/x.c:2 suspicious rcu_dereference_check() usage!',
  ]);
});

test('rcu_dereference_sched(): silent with preemption off, a warning with it on; _check accepts its condition', () => {
  const r = once(
    kfunc(function* deref_sched() {
      const gp = shared({ p: null as obj | null }, 'gp');
      preempt_disable();
      yield* rcu_dereference_sched(gp, 'p', 'kernel/x.c:1');
      preempt_enable();
      yield* rcu_dereference_sched_check(gp, 'p', true, 'kernel/x.c:2');
      yield* rcu_dereference_sched(gp, 'p', 'kernel/x.c:3');
    }),
  );
  assert.deepEqual(messages(r), [
    'WARNING: suspicious RCU usage in deref_sched | kernel/x.c:3 suspicious rcu_dereference_check() usage!',
  ]);
});

test('rcu_access_pointer() never warns; rcu_replace_pointer() without its lock is "suspicious rcu_dereference_protected() usage!"', () => {
  const got: unknown[] = [];
  const r = once(
    kfunc(function* replace_ptr() {
      const gp = shared({ p: null as obj | null }, 'gp');
      const m = mutex_init('gp_mutex');
      got.push(yield* rcu_access_pointer(gp, 'p'));
      const a = kzalloc((): obj => ({ v: 1 }), GFP_KERNEL, 'struct obj');
      yield* mutex_lock(m);
      got.push(yield* rcu_replace_pointer(gp, 'p', a, lockdep_is_held(m), 'kernel/x.c:10'));
      yield* mutex_unlock(m);
      got.push((yield* rcu_access_pointer(gp, 'p'))?.v);
      got.push((yield* rcu_replace_pointer(gp, 'p', null, lockdep_is_held(m), 'kernel/x.c:11'))?.v);
    }),
  );
  assert.deepEqual(got, [null, null, 1, 1]);
  assert.deepEqual(messages(r), [
    'WARNING: suspicious RCU usage in replace_ptr | kernel/x.c:11 suspicious rcu_dereference_protected() usage!',
  ]);
});

test('rcu_replace_pointer() under the lock, synchronize_rcu(), kfree(old): clean against a reader in every schedule (KCSAN too)', () => {
  for (const sync of [true, false]) {
    const { seen, result } = dporOutcomes(
      (seen) => {
        const gp = shared({ p: null as obj | null }, 'gp');
        gp.p = kzalloc((): obj => ({ v: 1 }), GFP_KERNEL, 'struct obj');
        const m = mutex_init('gp_mutex');
        spawn_user(
          'reader',
          kfunc(function* obj_reader() {
            rcu_read_lock();
            const p = yield* rcu_dereference(gp, 'p');
            yield undefined;
            seen.add(`v=${p?.v}`);
            rcu_read_unlock();
          }),
        );
        spawn_user(
          'updater',
          kfunc(function* obj_update() {
            const n = kzalloc((): obj => ({ v: 2 }), GFP_KERNEL, 'struct obj');
            yield* mutex_lock(m);
            const old = yield* rcu_replace_pointer(gp, 'p', n, lockdep_is_held(m));
            yield* mutex_unlock(m);
            if (sync) yield* synchronize_rcu();
            kfree(old);
          }),
        );
      },
      { KCSAN: true, DEBUG_KMEMLEAK: false, FAULT_INJECTION: false },
    );
    assert.equal(result.complete, true);
    const titles = [...new Set(result.findings.map((f) => f.title))];
    if (sync) {
      assert.deepEqual(titles, []);
      assert.deepEqual(seen, ['v=1', 'v=2']);
    } else assert.deepEqual(titles, ['BUG: KASAN: slab-use-after-free in obj_reader']);
  }
});
