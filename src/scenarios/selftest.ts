/**
 * Built-in self-test scenarios with exactly known exploration results; they
 * check the explorer and the sanitizers end to end (every READ_ONCE,
 * WRITE_ONCE and lock operation is one visible step).
 */
import { WARN_ON } from '../kernel/bug.js';
import { type mutex, mutex_init, mutex_lock, mutex_unlock } from '../kernel/locking/mutex.js';
import { READ_ONCE, WRITE_ONCE, shared } from '../kernel/once.js';
import { spawn_user } from '../kernel/sched/core.js';
import { kfunc } from '../sim/index.js';
import { defineScenario } from './api.js';
import { inFrame } from './frame.js';
import { registerScenarios } from './index.js';

const base = { variants: [] as string[], configs: ['default'] };

// Task bodies at module level, their data as arguments (docs/architecture.md, "What keeps a finished run alive").

const independent_writer = kfunc(function* independent_writer(v: { x: number }) {
  for (let i = 1; i <= 5; i++) yield* WRITE_ONCE(v, 'x', i);
});

export const selftestIndependent = (() => {
  return defineScenario({
    ...base,
    name: 'selftest-independent',
    description: 'self-test: 3 tasks, 5 WRITE_ONCE each to their own variable (dpor: 1 execution)',
    setup() {
      for (let t = 0; t < 3; t++) {
        const v = shared({ x: 0 }, `var${t}`);
        spawn_user(`writer${t}`, () => independent_writer(v));
      }
    },
  });
})();

let lost: { x: number } | null = null;

const lost_update_inc = kfunc(function* lost_update_inc(v: { x: number }) {
  const x = yield* READ_ONCE(v, 'x');
  yield* WRITE_ONCE(v, 'x', x + 1);
});

export const selftestLostUpdate = defineScenario({
  ...base,
  name: 'selftest-lost-update',
  description: 'self-test: 2 tasks READ_ONCE(x) then WRITE_ONCE(x, v+1); WARN_ON(x != 2) at the end (dpor: 4)',
  setup() {
    const v = shared({ x: 0 }, 'x');
    lost = v;
    for (let t = 0; t < 2; t++) spawn_user(`inc${t}`, () => lost_update_inc(v));
  },
  finish() {
    const v = lost;
    if (!v) return;
    inFrame('lost_update_check', () => {
      WARN_ON(v.x !== 2, 'selftest/lost_update.c:1', `x = ${v.x}, expected 2`);
    });
  },
});

const mutex_counter_inc = kfunc(function* mutex_counter_inc(m: mutex, v: { x: number }) {
  yield* mutex_lock(m);
  v.x++;
  yield* mutex_unlock(m);
});

export const selftestMutexCounter = defineScenario({
  ...base,
  name: 'selftest-mutex-counter',
  description: 'self-test: 4 tasks mutex_lock(m); x++; mutex_unlock(m) (dpor: 24, no findings)',
  setup() {
    const m = mutex_init('selftest_mutex');
    const v = shared({ x: 0 }, 'x');
    for (let t = 0; t < 4; t++) spawn_user(`inc${t}`, () => mutex_counter_inc(m, v));
  },
});

const abba_ab = kfunc(function* abba_ab(a: mutex, b: mutex) {
  yield* mutex_lock(a);
  yield* mutex_lock(b);
  yield* mutex_unlock(b);
  yield* mutex_unlock(a);
});

const abba_ba = kfunc(function* abba_ba(a: mutex, b: mutex) {
  yield* mutex_lock(b);
  yield* mutex_lock(a);
  yield* mutex_unlock(a);
  yield* mutex_unlock(b);
});

export const selftestAbba = defineScenario({
  ...base,
  name: 'selftest-abba',
  description: 'self-test: two tasks take two mutexes in opposite orders (lockdep cycle, deadlock)',
  setup() {
    const a = mutex_init('selftest_lock_a');
    const b = mutex_init('selftest_lock_b');
    spawn_user('ab', () => abba_ab(a, b));
    spawn_user('ba', () => abba_ba(a, b));
  },
});

registerScenarios([selftestIndependent, selftestLostUpdate, selftestMutexCounter, selftestAbba]);
