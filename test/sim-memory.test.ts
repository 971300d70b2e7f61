import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCESS_PLAIN,
  ACCESS_UNCHECKED,
  FirstChoice,
  Machine,
  allocationOf,
  release,
  setAccessObserver,
  setTrackedTag,
  track,
  trackedTag,
} from '../src/sim/index.js';

/** Every observed access of tracked memory, as "r|w field id mode". */
function observed(m: Machine): string[] {
  const seen: string[] = [];
  setAccessObserver(m, (a) => seen.push(`${a.write ? 'w' : 'r'} ${a.field} ${a.id} ${a.mode}`));
  return seen;
}

test('field ids: wrapped keys get one each, a key touched later (an array length, a new member) gets one at its first touch', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const seen = observed(m);
  const o = track({ a: 1, b: [5, 6] as number[] } as { a: number; b: number[]; c?: number }, 'slab', 'struct t');
  assert.equal(o.a, 1);
  assert.equal(o.b.length, 2);
  assert.equal(o.b[1], 6);
  o.c = 3;
  assert.equal(o.c, 3);
  assert.equal(o.b.length, 2);
  assert.deepEqual(
    seen.map((s) => s.split(' ').slice(0, 2).join(' ')),
    ['r a', 'r b', 'r length', 'r b', 'r 1', 'w c', 'r c', 'r b', 'r length'],
  );
  const [a, b, len, b2, b1, c, c2, b3, len2] = seen.map((s) => Number(s.split(' ')[2])) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // The embedded array is wrapped first: its elements' ids come before the struct's, consecutive.
  assert.equal(b, a + 1);
  assert.equal(b1, a - 1);
  // Later keys: a new id at the first touch, the same one afterwards.
  assert.ok(len > b && c > len);
  assert.deepEqual([b2, b3, c2, len2], [b, b, c, len]);
  for (const s of seen) assert.equal(Number(s.split(' ')[3]), ACCESS_PLAIN);

  // release(): every field of every object of the allocation once, as an unchecked write, in the
  // order their ids were given (wrapped keys, then later ones), the embedded array first.
  seen.length = 0;
  release(allocationOf(o) as NonNullable<ReturnType<typeof allocationOf>>);
  assert.deepEqual(seen, [
    `w 0 ${a - 2} ${ACCESS_UNCHECKED}`,
    `w 1 ${a - 1} ${ACCESS_UNCHECKED}`,
    `w length ${len} ${ACCESS_UNCHECKED}`,
    `w a ${a} ${ACCESS_UNCHECKED}`,
    `w b ${b} ${ACCESS_UNCHECKED}`,
    `w c ${c} ${ACCESS_UNCHECKED}`,
  ]);
});

test('a tracked object keeps its slot (trackedTag) without an access; an untracked one has none', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const seen = observed(m);
  const o = track({ x: { y: 1 } }, 'slab', 'struct s');
  assert.equal(trackedTag(o), undefined);
  assert.equal(setTrackedTag(o, 'outer'), true);
  assert.equal(trackedTag(o), 'outer');
  const inner = o.x;
  assert.equal(setTrackedTag(inner, 'inner'), true);
  assert.equal(trackedTag(inner), 'inner');
  assert.equal(trackedTag(o), 'outer');
  assert.equal(setTrackedTag({}, 1), false);
  assert.equal(trackedTag({}), undefined);
  assert.deepEqual(
    seen.map((s) => s.split(' ').slice(0, 2).join(' ')),
    ['r x'],
  );
});
