import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeConfig } from '../src/kernel/config.js';
import { boot } from '../src/kernel/kernel.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../src/kernel/locking/mutex.js';
import { READ_ONCE, WRITE_ONCE, shared } from '../src/kernel/once.js';
import { spawn_user } from '../src/kernel/sched/core.js';
import { type ChoicePoint, type RunResult, type Strategy, FirstChoice, kfunc } from '../src/sim/index.js';
import { SeededWalk } from '../src/explore/random.js';

const Seeded = SeededWalk;

class Replay implements Strategy {
  private i = 0;
  private readonly choices: readonly number[];
  constructor(choices: readonly number[]) {
    this.choices = choices;
  }
  choose(_p: ChoicePoint): number {
    return this.choices[this.i++] as number;
  }
}

function counterRun(strategy: Strategy, locked: boolean): { r: RunResult; x: number } {
  const k = boot(makeConfig(), { strategy });
  const m = mutex_init('m');
  const v = shared({ x: 0 });
  const body = kfunc(function* worker() {
    if (locked) yield* mutex_lock(m);
    const x = yield* READ_ONCE(v, 'x');
    yield* WRITE_ONCE(v, 'x', x + 1);
    if (locked) yield* mutex_unlock(m);
  });
  for (let i = 0; i < 3; i++) spawn_user(`w${i}`, () => body());
  const r = k.machine.run();
  return { r, x: v.x };
}

test('a mutex-protected counter always ends at 3', () => {
  for (let seed = 1; seed < 200; seed++) assert.equal(counterRun(new Seeded(seed), true).x, 3);
});

test('an unprotected counter loses updates under some schedule', () => {
  const xs = new Set<number>();
  for (let seed = 1; seed < 200; seed++) xs.add(counterRun(new Seeded(seed), false).x);
  assert.ok(xs.has(3));
  assert.ok([...xs].some((x) => x < 3));
});

test('replaying recorded choices gives an identical run', () => {
  for (let seed = 1; seed < 50; seed++) {
    const a = counterRun(new Seeded(seed), false);
    const b = counterRun(new Replay(a.r.choices), false);
    assert.deepEqual(b.r.choices, a.r.choices);
    assert.equal(b.r.digest, a.r.digest);
    assert.equal(b.x, a.x);
  }
});

test('the first-choice strategy runs tasks without preemption', () => {
  const { r, x } = counterRun(new FirstChoice(), false);
  assert.equal(x, 3);
  assert.equal(r.end, 'done');
});
