import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckState, exportLockdepEdges, importLockdepEdges } from '../../src/check/index.js';
import {
  lock_map_acquire_read,
  lock_map_release,
  lock_map_sync,
  lockdep_map,
} from '../../src/kernel/locking/lockdep.js';
import { mutex_init, mutex_lock, mutex_unlock, mutex_trylock } from '../../src/kernel/locking/mutex.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type Machine, machine as _m, kfunc } from '../../src/sim/index.js';
import { Replay, runProgram, titles } from './helpers.js';

const srcuSelf = () => {
  const srcu = new lockdep_map('srcu', 'srcu');
  const sync = kfunc(function* __synchronize_srcu() {
    lock_map_sync(srcu);
    yield undefined;
  });
  const f = kfunc(function* mmu_notifier_unregister() {
    lock_map_acquire_read(srcu);
    yield undefined;
    yield* sync();
    lock_map_release(srcu);
  });
  spawn_user('oom_reaper', () => f());
};

test('synchronize_srcu inside the same srcu read section: possible recursive locking', () => {
  const r = runProgram(srcuSelf);
  const rep = r.reports.find((x) => x.kind === 'lockdep');
  assert.ok(rep);
  assert.equal(rep.title, 'WARNING: possible recursive locking detected in __synchronize_srcu');
  const lines = rep.text.split('\n');
  assert.equal(lines[0], '============================================');
  assert.equal(lines[1], 'WARNING: possible recursive locking detected');
  assert.equal(lines[2], '6.17.0-kernsim #1 PREEMPT(full) Not tainted');
  assert.equal(lines[4], 'oom_reaper/1 is trying to acquire lock:');
  assert.ok(rep.text.includes('  rlock(srcu);\n  sync(srcu);\n\n *** DEADLOCK ***'));
  assert.ok(rep.text.includes('1 lock held by oom_reaper/1:'));
});

test('recursive read after read is not recursive locking; PROVE_LOCKING off is silent', () => {
  const r = runProgram(() => {
    const srcu = new lockdep_map('srcu', 'srcu');
    const f = kfunc(function* nested_reader() {
      lock_map_acquire_read(srcu);
      lock_map_acquire_read(srcu);
      yield undefined;
      lock_map_release(srcu);
      lock_map_release(srcu);
    });
    spawn_user('r', () => f());
  });
  assert.deepEqual(titles(r), []);
  assert.deepEqual(titles(runProgram(srcuSelf, { over: { PROVE_LOCKING: false } })), []);
});

function abba(which: 'both' | 'ab' | 'ba' | 'same') {
  return (_m: Machine) => {
    const a = mutex_init('&a->lock');
    const b = mutex_init('&b->lock');
    const ab = kfunc(function* take_a_then_b() {
      yield* mutex_lock(a);
      yield* mutex_lock(b);
      yield* mutex_unlock(b);
      yield* mutex_unlock(a);
    });
    const ba = kfunc(function* take_b_then_a() {
      yield* mutex_lock(b);
      yield* mutex_lock(a);
      yield* mutex_unlock(a);
      yield* mutex_unlock(b);
    });
    if (which !== 'ba') spawn_user('t1', () => ab());
    if (which === 'both' || which === 'ba') spawn_user('t2', () => ba());
    if (which === 'same') spawn_user('t2', () => ab());
  };
}

test('ABBA in one run (no actual deadlock under this schedule): circular dependency', () => {
  const r = runProgram(abba('both'));
  assert.equal(r.end, 'done');
  const rep = r.reports.find((x) => x.kind === 'lockdep');
  assert.ok(rep);
  assert.equal(rep.title, 'WARNING: possible circular locking dependency detected in take_b_then_a');
  assert.equal(rep.prelude, undefined);
  for (const s of [
    't2/2 is trying to acquire lock:',
    'the existing dependency chain (in reverse order) is:',
    '-> #1 (&b->lock){....}-{4:4}:\n       lock_acquire\n       mutex_lock\n       take_a_then_b\n',
    '-> #0 (&a->lock){....}-{4:4}:\n       check_prev_add',
    '       CPU0                    CPU1\n       ----                    ----\n  lock(&b->lock);\n                               lock(&a->lock);\n                               lock(&b->lock);\n  lock(&a->lock);\n\n *** DEADLOCK ***',
  ])
    assert.ok(rep.text.includes(s), s);
  assert.equal(r.reports.filter((x) => x.kind === 'lockdep').length, 1);
});

test('a consistent lock order is silent', () => {
  assert.deepEqual(titles(runProgram(abba('same'))), []);
});

test('the graph is kept across runs: the cycle closes in a later run, with the earlier run as prelude', () => {
  const state = createCheckState();
  const r1 = runProgram(abba('ab'), { state });
  assert.deepEqual(titles(r1), []);
  const r2 = runProgram(abba('ba'), { state });
  const rep = r2.reports.find((x) => x.kind === 'lockdep');
  assert.ok(rep);
  assert.equal(rep.title, 'WARNING: possible circular locking dependency detected in take_b_then_a');
  assert.deepEqual(rep.prelude, [r1.choices.slice()]);
  // A fresh state does not know the first run's edge.
  assert.deepEqual(titles(runProgram(abba('ba'))), []);
});

test('export/import merges graphs from parallel workers', () => {
  const w1 = createCheckState();
  runProgram(abba('ab'), { state: w1 });
  const edges = exportLockdepEdges(w1.lockdep);
  assert.equal(edges.length, 1);
  const w2 = createCheckState();
  assert.equal(importLockdepEdges(w2.lockdep, JSON.parse(JSON.stringify(edges))), 1);
  assert.equal(importLockdepEdges(w2.lockdep, edges), 0);
  const r = runProgram(abba('ba'), { state: w2 });
  const rep = r.reports.find((x) => x.kind === 'lockdep');
  assert.ok(rep?.title.startsWith('WARNING: possible circular locking dependency detected'));
  assert.equal(rep?.prelude?.length, 1);
});

test('srcu reader taking a mutex vs synchronize_srcu under that mutex: circular', () => {
  const r = runProgram(() => {
    const srcu = new lockdep_map('&subscriptions->srcu', 'srcu');
    const m = mutex_init('&kvm->lock');
    spawn_user(
      'reader',
      kfunc(function* srcu_reader() {
        lock_map_acquire_read(srcu);
        yield* mutex_lock(m);
        yield* mutex_unlock(m);
        lock_map_release(srcu);
      }),
    );
    spawn_user(
      'syncer',
      kfunc(function* syncer_under_lock() {
        yield* mutex_lock(m);
        lock_map_sync(srcu);
        yield* mutex_unlock(m);
      }),
    );
  });
  assert.deepEqual(titles(r), ['WARNING: possible circular locking dependency detected in syncer_under_lock']);
});

test('recursive readers on both sides of a lock are not a cycle', () => {
  const r = runProgram(() => {
    const rl = new lockdep_map('rl', 'rwlock');
    const m = mutex_init('mm');
    spawn_user(
      'a',
      kfunc(function* reader_then_mutex() {
        lock_map_acquire_read(rl);
        yield* mutex_lock(m);
        yield* mutex_unlock(m);
        lock_map_release(rl);
      }),
    );
    spawn_user(
      'b',
      kfunc(function* mutex_then_reader() {
        yield* mutex_lock(m);
        lock_map_acquire_read(rl);
        yield undefined;
        lock_map_release(rl);
        yield* mutex_unlock(m);
      }),
    );
  });
  assert.deepEqual(titles(r), []);
});

test('trylock adds no dependency', () => {
  const r = runProgram(() => {
    const a = mutex_init('A');
    const b = mutex_init('B');
    spawn_user(
      't1',
      kfunc(function* t1() {
        yield* mutex_lock(a);
        if (yield* mutex_trylock(b)) yield* mutex_unlock(b);
        yield* mutex_unlock(a);
      }),
    );
    spawn_user(
      't2',
      kfunc(function* t2() {
        yield* mutex_lock(b);
        yield* mutex_lock(a);
        yield* mutex_unlock(a);
        yield* mutex_unlock(b);
      }),
    );
  });
  assert.deepEqual(titles(r), []);
});

test('lockdep turns itself off after the first splat; later held-lock dumps say so', () => {
  const r = runProgram(() => {
    const s = spin_lock_init('S');
    const srcu = new lockdep_map('srcu', 'srcu');
    const f = kfunc(function* two_bugs() {
      lock_map_acquire_read(srcu);
      lock_map_sync(srcu);
      lock_map_release(srcu);
      yield* spin_lock(s);
      yield* mutex_lock(mutex_init('M'));
      yield* spin_unlock(s);
    });
    spawn_user('x', () => f());
  });
  assert.deepEqual(titles(r), [
    'WARNING: possible recursive locking detected in two_bugs',
    'BUG: sleeping function called from invalid context in two_bugs',
  ]);
  assert.ok(r.reports[1]?.text.includes('INFO: lockdep is turned off.'));
});

test('suspicious RCU usage', () => {
  const prog = () => {
    spawn_user(
      'k',
      kfunc(function* bad_sync() {
        yield undefined;
        _m().emit({
          type: 'rcu_suspicious',
          file: 'kernel/rcu/srcutree.c',
          line: 1470,
          message: 'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section',
          task: _m().current,
        } as never);
      }),
    );
  };
  const r = runProgram(prog);
  assert.deepEqual(titles(r), ['WARNING: suspicious RCU usage in bad_sync']);
  assert.ok(
    r.reports[0]?.text.includes(
      'kernel/rcu/srcutree.c:1470 Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section!',
    ),
  );
  assert.deepEqual(titles(runProgram(prog, { over: { PROVE_RCU: false } })), []);
});

test('replaying the choices gives byte-identical lockdep text', () => {
  const a = runProgram(abba('both'));
  const b = runProgram(abba('both'), { strategy: new Replay(a.choices) });
  assert.equal(a.reports.map((x) => x.text).join('\n'), b.reports.map((x) => x.text).join('\n'));
});

test('a release of a lock the task does not hold is "WARNING: bad unlock balance detected!"; a balanced pair is clean', () => {
  const r = runProgram(() => {
    const m = mutex_init('&dev->lock');
    spawn_user(
      't',
      kfunc(function* dev_release() {
        yield* mutex_lock(m);
        yield* mutex_unlock(m);
        yield* mutex_unlock(m); // once too often
      }),
    );
  });
  assert.deepEqual(titles(r), ['WARNING: bad unlock balance in dev_release']);
  const lines = String(r.reports[0]?.text).split('\n');
  assert.equal(lines[0], '=====================================');
  assert.equal(lines[1], 'WARNING: bad unlock balance detected!');
  assert.equal(lines[4], 't/1 is trying to release lock (&dev->lock) at:');
  assert.equal(lines[6], 'but there are no more locks to release!');
  const ok = runProgram(() => {
    const m = mutex_init('&dev->lock');
    spawn_user(
      't',
      kfunc(function* dev_release() {
        yield* mutex_lock(m);
        yield* mutex_unlock(m);
      }),
    );
  });
  assert.deepEqual(titles(ok), []);
});
