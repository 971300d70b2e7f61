/**
 * track_struct() gives every embedded struct its container as it wraps it (sim/memory.ts' member
 * slots): the same containers and member names as register_members() finds walking the struct
 * after track(), the same object ids and addresses, and nothing for arrays or what they hold.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { container_entry, member_name, register_members, track_struct } from '../../src/kernel/lib/container_of.js';
import { addressOf, allocationOf, fieldAddress, isTracked, machine, rawOf, track } from '../../src/sim/index.js';
import { bootWith } from './helpers.js';

/** A struct with nested structs, arrays of structs, a struct in an array's struct, null and scalars. */
function sample(): Record<string, unknown> {
  return {
    a: 1,
    list: { next: null, prev: null },
    inner: { x: 2, deep: { y: 3, deeper: { z: 4 } }, arr: [{ q: 1 }, { r: { s: 2 } }] },
    arr: [{ t: 1 }, [{ u: 2 }]],
    nil: null,
    frozen: Object.freeze({ f: 1 }),
    last: { w: 5 },
  };
}

/** Every object reachable from `obj` (through raw fields), with its path, its container's path and member. */
function describe(obj: object): string[] {
  const paths = new Map<object, string>();
  const out: string[] = [];
  const walk = (o: object, path: string): void => {
    paths.set(o, path);
    const raw = rawOf(o) as Record<string, unknown>;
    for (const k of Object.keys(raw)) {
      const v = raw[k];
      if (typeof v === 'object' && v !== null) walk(v, `${path}.${k}`);
    }
  };
  walk(obj, '$');
  for (const [o, path] of paths) {
    const c = container_entry(o);
    out.push(
      `${path} tracked=${isTracked(o)} container=${c === undefined ? '-' : paths.get(c)} member=${member_name(o) ?? '-'} addr=${addressOf(o) ?? '-'}`,
    );
  }
  return out;
}

test('track_struct sets the containers register_members sets, and the same ids and addresses', () => {
  bootWith();
  const m = machine();
  const before = m.newId();
  const viaWalk = track(sample(), 'slab', 'struct sample');
  register_members(viaWalk);
  const ids = m.newId() - before;
  const start = m.newId();
  const viaWrap = track_struct(sample(), 'slab', 'struct sample');
  assert.equal(m.newId() - start, ids, 'the same number of ids');
  const a = describe(viaWalk).map((l) => l.replace(/addr=\d+/, ''));
  const b = describe(viaWrap).map((l) => l.replace(/addr=\d+/, ''));
  assert.deepEqual(b, a);
  // Members have containers; arrays and what they hold do not.
  assert.ok(a.includes('$.inner.deep.deeper tracked=true container=$.inner.deep member=deeper '));
  assert.ok(a.includes('$.arr.0 tracked=true container=- member=- '));
  assert.ok(a.includes('$.inner.arr.1.r tracked=true container=- member=- '));
  // Addresses are offsets in their allocation, the same for both.
  const offs = (o: object) =>
    describe(o).map((l) => {
      const n = /addr=(\d+)/.exec(l)?.[1];
      return n === undefined ? '-' : String(Number(n) - (allocationOf(o)?.addr ?? 0));
    });
  assert.deepEqual(offs(viaWrap), offs(viaWalk));
  assert.equal(
    (fieldAddress(viaWrap, 'last') as number) - (allocationOf(viaWrap)?.addr as number),
    (fieldAddress(viaWalk, 'last') as number) - (allocationOf(viaWalk)?.addr as number),
  );
});

test('a top-level array tracked with track_struct gives its elements containers, as register_members does', () => {
  bootWith();
  const walk = track([{ a: { b: 1 } }, { c: 2 }], 'slab', 'arr');
  register_members(walk);
  const wrap = track_struct([{ a: { b: 1 } }, { c: 2 }], 'slab', 'arr');
  const strip = (o: object) => describe(o).map((l) => l.replace(/addr=\d+/, ''));
  assert.deepEqual(strip(wrap), strip(walk));
  assert.ok(strip(wrap).includes('$.0.a tracked=true container=$.0 member=a '));
});
