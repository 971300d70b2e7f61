/**
 * The checkers are installed once per exploration (per CheckState and config) and reset at every
 * run: a run must not see what the run before it left (taints, lockdep's debug_locks, the die
 * counter, might_sleep's prev_jiffy, KASAN's and kmemleak's objects, KCSAN's clocks, lockdep's held
 * stacks). The same program run again in the same CheckState gives the same reports, byte for byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CheckState, createCheckState, installCheckers } from '../../src/check/index.js';
import { WARN_ON } from '../../src/kernel/bug.js';
import { type KernelConfig, makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { GFP_KERNEL, kfree, kmalloc } from '../../src/kernel/mm/slab.js';
import { shared } from '../../src/kernel/once.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type KGen, type RunResult, type Strategy, kfunc } from '../../src/sim/index.js';
import { Seeded } from './helpers.js';

interface Obj {
  x: number;
}

/** A program with a finding of every per-run checker: might_sleep, WARN, KASAN, kmemleak, KCSAN, an Oops. */
function everything(): void {
  const sl = spin_lock_init('reuse_spin');
  const mu = mutex_init('reuse_mutex');
  const c = shared({ n: 0 }, 'counter');
  const sleeper = kfunc(function* reuse_sleep_in_atomic(): KGen {
    yield* spin_lock(sl);
    yield* mutex_lock(mu);
    yield* mutex_unlock(mu);
    yield* spin_unlock(sl);
    WARN_ON(true, 'reuse/reuse.c:1', 'after the sleep');
  });
  const uaf = kfunc(function* reuse_use_after_free(): KGen {
    const o = kmalloc<Obj>(() => ({ x: 1 }), GFP_KERNEL, 'struct reuse');
    if (!o) return;
    yield undefined;
    kfree(o);
    yield undefined;
    c.n = o.x;
  });
  const leak = kfunc(function* reuse_leak(): KGen {
    kmalloc<Obj>(() => ({ x: 2 }), GFP_KERNEL, 'struct reuse_leak');
    yield undefined;
  });
  const racer = kfunc(function* reuse_racer(): KGen {
    const v = c.n;
    yield undefined;
    c.n = v + 1;
  });
  const oops = kfunc(function* reuse_oops(): KGen {
    yield undefined;
    (null as unknown as Obj).x = 1;
  });
  spawn_user('sleeper', () => sleeper());
  spawn_user('uaf', () => uaf());
  spawn_user('leak', () => leak());
  spawn_user('racer0', () => racer());
  spawn_user('racer1', () => racer());
  spawn_user('oops', () => oops());
}

/** One run of the program in `state` (a session's runs share their config object, as here). */
function run(config: KernelConfig, strategy: Strategy, state: CheckState): RunResult {
  const k = boot(config, { strategy, maxSteps: 10_000 });
  installCheckers(k.machine, config, state);
  everything();
  return k.machine.run();
}

function reports(r: RunResult): string[] {
  return r.reports.map((x) => `${x.kind}|${x.title}\n${x.text}`);
}

test('a run in the same CheckState as runs before it reports what it reports alone', () => {
  for (const config of [makeConfig({ KCSAN: true, KASAN: false }), makeConfig({ KCSAN: false, KASAN: true })]) {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 6; seed++) {
      const alone = reports(run(config, new Seeded(seed), createCheckState()));
      for (const x of alone) kinds.add(x.split('|')[0] as string);
      const state = createCheckState();
      // Other runs first, in the same state: the same program under other schedules.
      for (let other = 10; other < 13; other++) run(config, new Seeded(other), state);
      const after = reports(run(config, new Seeded(seed), state));
      assert.deepEqual(after, alone);
      // The first report of a run is untainted, whatever the runs before it printed.
      assert.ok(!/Tainted: /.test(after[0] as string) || /Not tainted/.test(after[0] as string));
    }
    for (const k of ['might_sleep', 'warn', 'kmemleak', 'oops', config.KCSAN ? 'kcsan' : 'kasan'])
      assert.ok(kinds.has(k), `no ${k} report in any run`);
  }
});
