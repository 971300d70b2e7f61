/**
 * Soundness of a clean verdict: dependencies the grace-period code decides on are visible to
 * DPOR, a spawned task's code is a step of its own, timers return to the task they interrupted,
 * and a run cut at the step limit is a finding or makes the exploration incomplete — never a pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { Dpor } from '../../src/explore/dpor.js';
import { type ExploreResult, explore, replayRun } from '../../src/explore/explorer.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { GFP_KERNEL } from '../../src/kernel/mm/gfp.js';
import { kfree, kmalloc } from '../../src/kernel/mm/slab.js';
import { READ_ONCE, WRITE_ONCE, shared } from '../../src/kernel/once.js';
import { init_srcu_struct, srcu_read_lock, srcu_read_unlock, synchronize_srcu } from '../../src/kernel/rcu/srcutree.js';
import { synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import { rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import { type RunResult, type Strategy, kfunc } from '../../src/sim/index.js';

type Obj = { v: number };

function runner(setup: () => void, maxSteps = 2_000) {
  const state = createCheckState();
  return (s: Strategy): RunResult => {
    const config = makeConfig({ NR_CPUS: 2 });
    const k = boot(config, { strategy: s, maxSteps });
    installCheckers(k.machine, config, state);
    setup();
    return k.machine.run();
  };
}

function dpor(setup: () => void, preemptions = -1, maxSteps = 2_000): ExploreResult {
  return explore(new Dpor({ preemptions, faults: 0 }), runner(setup, maxSteps), {
    scenario: 'soundness',
    budget: 20_000,
  });
}

/** The reader fetches the pointer, reaches a scheduling point, only then enters its read-side section. */
function lateReader(flavour: 'rcu' | 'srcu') {
  return () => {
    const gp = shared({ p: null as Obj | null }, 'gp');
    gp.p = kmalloc(() => ({ v: 1 }), GFP_KERNEL, 'struct obj');
    const ssp = flavour === 'srcu' ? init_srcu_struct('srcu') : null;
    spawn_user(
      'reader',
      kfunc(function* late_reader() {
        const p = yield* READ_ONCE(gp, 'p');
        yield* cond_resched();
        let idx = 0;
        if (ssp) idx = yield* srcu_read_lock(ssp);
        else rcu_read_lock();
        if (p) p.v;
        if (ssp) yield* srcu_read_unlock(ssp, idx);
        else rcu_read_unlock();
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* updater() {
        const old = yield* READ_ONCE(gp, 'p');
        yield* WRITE_ONCE(gp, 'p', null);
        if (ssp) yield* synchronize_srcu(ssp);
        else yield* synchronize_rcu();
        kfree(old);
      }),
    );
  };
}

for (const flavour of ['rcu', 'srcu'] as const) {
  test(`dpor finds the ${flavour} reader that dereferences a pointer fetched before its read-side section`, () => {
    const setup = lateReader(flavour);
    const r = dpor(setup);
    assert.equal(r.complete, true);
    const f = r.findings.find((x) => x.title.startsWith('BUG: KASAN: slab-use-after-free'));
    assert.ok(f, `no use-after-free; found: ${r.findings.map((x) => x.title).join(' | ') || 'nothing'}`);
    // The token's choices replay the same run, with the same report.
    const again = replayRun(runner(setup), f.choices);
    assert.equal(again.mismatch, null);
    assert.equal(again.result?.digest, f.digest);
    assert.equal(again.result?.reports[f.reportIndex]?.text, f.report.text);
  });
}

test('a reader that fetches the pointer inside its read-side section is clean', () => {
  const r = dpor(() => {
    const gp = shared({ p: null as Obj | null }, 'gp');
    gp.p = kmalloc(() => ({ v: 1 }), GFP_KERNEL, 'struct obj');
    spawn_user(
      'reader',
      kfunc(function* reader() {
        yield* cond_resched();
        rcu_read_lock();
        const p = yield* READ_ONCE(gp, 'p');
        yield undefined; // preempted inside the section (PREEMPT_RCU)
        if (p) p.v;
        rcu_read_unlock();
      }),
    );
    spawn_user(
      'updater',
      kfunc(function* updater() {
        const old = yield* READ_ONCE(gp, 'p');
        yield* WRITE_ONCE(gp, 'p', null);
        yield* synchronize_rcu();
        kfree(old);
      }),
    );
  });
  assert.equal(r.complete, true);
  assert.deepEqual(
    r.findings.map((f) => f.title),
    [],
  );
  assert.ok(r.executions > 1);
});

test("a spawned task's code up to its first scheduling point is a step of its own", () => {
  // The child writes x before any yield; the parent reads x right after spawning it. Inside the
  // parent's step the child's write would always come first.
  const seen = new Set<number>();
  const r = explore(
    new Dpor({ preemptions: -1, faults: 0 }),
    runner(() => {
      const v = shared({ x: 0 }, 'x');
      spawn_user(
        'parent',
        kfunc(function* parent() {
          yield* cond_resched();
          spawn_user(
            'child',
            kfunc(function* child() {
              v.x = 1;
            }),
          );
          seen.add(v.x);
        }),
      );
    }),
    { scenario: 'spawn', budget: 100 },
  );
  assert.equal(r.complete, true);
  assert.deepEqual([...seen].sort(), [0]);
});

test('a task spinning for ever is a livelock finding, not a pass', () => {
  const r = dpor(
    () => {
      const v = shared({ go: 0 }, 'go');
      spawn_user(
        'spinner',
        kfunc(function* spin_wait() {
          while ((yield* READ_ONCE(v, 'go')) === 0) yield* cond_resched();
        }),
      );
    },
    2,
    500,
  );
  assert.deepEqual(
    r.findings.map((f) => f.title),
    ['INFO: task spinner:1 livelocked in spin_wait'],
  );
  assert.match(r.findings[0]?.report.text ?? '', /reached its step limit \(500 steps\)/);
});

test('a task stuck in an RCU read-side section is an RCU stall', () => {
  const r = dpor(
    () => {
      const v = shared({ go: 0 }, 'go');
      spawn_user(
        'reader',
        kfunc(function* stuck_reader() {
          rcu_read_lock();
          while ((yield* READ_ONCE(v, 'go')) === 0) yield undefined;
          rcu_read_unlock();
        }),
      );
      spawn_user(
        'updater',
        kfunc(function* updater() {
          yield* synchronize_rcu();
        }),
      );
    },
    0,
    500,
  );
  const f = r.findings.find((x) => x.kind === 'rcu_stall');
  assert.ok(f, r.findings.map((x) => x.title).join(' | '));
  assert.equal(f.title, 'INFO: rcu detected stall in stuck_reader');
  const lines = f.report.text.split('\n');
  assert.equal(lines[0], 'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:');
  assert.match(lines[1] ?? '', /^rcu: \tTasks blocked on level-0 rcu_node \(CPUs 0-1\): P1$/);
  assert.match(lines[2] ?? '', /^rcu: \t\(detected by \d, t=21001 jiffies, g=\d+, q=1 ncpus=2\)$/);
  // End-of-run checks (hung task, kmemleak) do not run on a run that did not end.
  assert.equal(
    r.findings.some((x) => x.kind === 'hung_task' || x.kind === 'kmemleak'),
    false,
  );
});

test('a run cut at the step limit with progress makes the exploration incomplete', () => {
  const r = dpor(
    () => {
      const v = shared({ n: 0 }, 'n');
      spawn_user(
        'counter',
        kfunc(function* long_loop() {
          for (let i = 0; i < 1_000; i++) {
            yield* WRITE_ONCE(v, 'n', i);
            // A fresh task per iteration is progress: the loop is long, not stuck.
            spawn_user(
              'helper',
              kfunc(function* helper() {}),
            );
          }
        }),
      );
    },
    0,
    300,
  );
  assert.equal(r.complete, false);
  assert.equal(r.stoppedBy, 'cut-runs');
  assert.ok(r.cut >= 1);
  assert.deepEqual(
    r.findings.map((f) => f.title),
    [],
  );
});
