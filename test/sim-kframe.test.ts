/**
 * A kfunc call is an iterator (sim/frames.ts KFrame), not a generator: it must behave as the
 * generator wrapper did for everything yield* and the machine do with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FirstChoice, Machine, current, kfunc } from '../src/sim/index.js';

test('the frame is pushed at the first next(), not at the call; popped at the return, not after a throw', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const log: string[] = [];
  const inner = kfunc(function* kf_inner(x: number) {
    log.push(`inner ${current().frames.join('>')}`);
    yield undefined;
    return x + 1;
  });
  const thrower = kfunc(function* kf_thrower() {
    yield undefined;
    throw new Error('boom');
  });
  const outer = kfunc(function* kf_outer() {
    const it = inner(1); // made here, started by the yield* below
    log.push(`made ${current().frames.join('>')}`);
    const r = yield* it;
    log.push(`back ${current().frames.join('>')} ${r}`);
    try {
      yield* thrower();
    } catch {
      log.push(`caught ${current().frames.join('>')}`);
    }
  });
  m.spawn('t', () => outer());
  const r = m.run();
  assert.equal(r.end, 'done');
  assert.deepEqual(log, [
    'made kf_outer',
    'inner kf_outer>kf_inner',
    'back kf_outer 2',
    // The thrower's frame stays (an Oops shows where it happened).
    'caught kf_outer>kf_thrower',
  ]);
});

test('a kfunc call is its own iterator; next() after the end stays done and pops nothing more', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const f = kfunc(function* kf_once() {
    yield undefined;
    return 7;
  });
  let depths: number[] = [];
  const outer = kfunc(function* kf_driver() {
    const it = f();
    assert.equal(it[Symbol.iterator](), it);
    const seen: unknown[] = [];
    for (let r = it.next(); ; r = it.next()) {
      seen.push(r.value);
      depths.push(current().frames.length);
      if (r.done) break;
    }
    assert.deepEqual(seen, [undefined, 7]);
    assert.deepEqual(it.next(), { value: undefined, done: true });
    depths.push(current().frames.length);
    yield undefined;
  });
  m.spawn('t', () => outer());
  m.run();
  // Inside kf_once while it yields (driver + once), back to the driver's frame alone after its return.
  assert.deepEqual(depths, [2, 1, 1]);
  depths = [];
});

test('return() and throw() go to the body (a finally runs), or, before the start, end it at once', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const log: string[] = [];
  const f = kfunc(function* kf_finally(): Generator<undefined, number | void, undefined> {
    try {
      yield undefined;
      yield undefined;
    } finally {
      log.push('finally');
    }
  });
  const driver = kfunc(function* kf_driver2() {
    const a = f();
    a.next();
    assert.deepEqual(a.return(5), { value: 5, done: true });
    const b = f();
    b.next();
    assert.throws(() => b.throw(new Error('x')), /x/);
    const c = f();
    assert.deepEqual(c.return(3), { value: 3, done: true });
    assert.throws(() => f().throw(new Error('y')), /y/);
    yield undefined;
  });
  m.spawn('t', () => driver());
  m.run();
  assert.deepEqual(log, ['finally', 'finally']);
});
