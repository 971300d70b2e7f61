import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeConfig } from '../src/kernel/config.js';
import { boot } from '../src/kernel/kernel.js';
import { READ_ONCE, shared } from '../src/kernel/once.js';
import { spawn_user } from '../src/kernel/sched/core.js';
import { FirstChoice, current, isKfunc, isKfuncName, kfunc } from '../src/sim/index.js';

// Plain identifiers take the cached-factory path; the factory's own identifiers, reserved words
// and non-identifiers take the general one: every one must behave the same.
const names = [
  'frames_worker',
  'enterFrame',
  'start',
  'overrides',
  'name',
  'body',
  'args',
  't',
  'r',
  'yield',
  'if',
  'with.dot',
  'has space',
  '',
];

test('kfunc wrappers carry their name, are branded, and each runs its own body in its frame', () => {
  for (const name of names) {
    const k = boot(makeConfig(), { strategy: new FirstChoice() });
    const seen: string[][] = [];
    const mk = (tag: number) => {
      const v = shared({ x: tag });
      return kfunc(function* (k: number) {
        const x = yield* READ_ONCE(v, 'x');
        seen.push([...current().frames, `${x + k}`]);
        return x + k;
      }, name);
    };
    const a = mk(10);
    const b = mk(20);
    assert.equal(a.name, name, `name of '${name}'`);
    assert.notEqual(a, b);
    assert.ok(isKfunc(a) && isKfunc(b), `isKfunc('${name}')`);
    assert.ok(!isKfunc(function* plain() {}));
    assert.ok(isKfuncName(name));
    const results: number[] = [];
    spawn_user('ta', function* () {
      results.push(yield* a(1));
    });
    spawn_user('tb', function* () {
      results.push(yield* b(2));
    });
    k.machine.run();
    assert.deepEqual(results.sort(), [11, 22], `bodies of '${name}'`);
    assert.deepEqual(
      seen.map((f) => f.slice(-2)).sort(),
      [
        [name, '11'],
        [name, '22'],
      ],
      `frames of '${name}'`,
    );
  }
});

test('a kfunc called from a task pushes and pops its frame', () => {
  const k = boot(makeConfig(), { strategy: new FirstChoice() });
  const v = shared({ x: 5 });
  const inner = kfunc(function* frames_inner() {
    return (yield* READ_ONCE(v, 'x')) + current().frames.length;
  });
  const outer = kfunc(function* frames_outer() {
    const before = [...current().frames];
    const r = yield* inner();
    return { before, r, after: [...current().frames] };
  });
  let got: unknown = null;
  spawn_user('t', function* () {
    got = yield* outer();
  });
  k.machine.run();
  assert.deepEqual(got, { before: ['frames_outer'], r: 7, after: ['frames_outer'] });
});
