import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type Allocation, allocationOf, kfunc, machine, release, track } from '../../src/sim/index.js';
import { Replay, Seeded, runProgram, titles } from './helpers.js';

interface Obj {
  x: number;
  y: number;
}

/** What the slab allocator does: track + 'alloc' event; kfree: release + 'free' event. */
function kmalloc(kind = 'slab', label = 'struct foo'): Obj {
  const o = track({ x: 1, y: 2 }, kind, label, 48);
  machine().emit({ type: 'alloc', alloc: allocationOf(o) } as never);
  return o;
}
function kfree(o: Obj): void {
  const a = allocationOf(o) as Allocation;
  const m = machine();
  if (!a.live) {
    m.emit({ type: 'bad_free', alloc: a, label: a.label, task: m.current } as never);
    return;
  }
  release(a);
  m.emit({ type: 'free', alloc: a, task: m.current } as never);
}

const alloc_obj = kfunc(function* alloc_obj(kind: string) {
  yield undefined;
  return kmalloc(kind);
});
const free_obj = kfunc(function* free_obj(o: Obj) {
  yield undefined;
  kfree(o);
});
const use_obj = kfunc(function* use_obj(o: Obj) {
  yield undefined;
  return o.y;
});

function uaf(kind: string, over: Record<string, boolean> = {}, freeFirst = true) {
  return runProgram(
    () => {
      spawn_user(
        'victim',
        kfunc(function* victim() {
          const o = yield* alloc_obj(kind);
          if (freeFirst) yield* free_obj(o);
          yield* use_obj(o);
          if (!freeFirst) yield* free_obj(o);
        }),
      );
    },
    { over },
  );
}

test('slab-use-after-free with allocation and free tracks', () => {
  const r = uaf('slab');
  assert.deepEqual(titles(r), ['BUG: KASAN: slab-use-after-free in use_obj']);
  const text = r.reports[0]?.text as string;
  const lines = text.split('\n');
  assert.equal(lines[0], '='.repeat(66));
  assert.equal(lines[1], 'BUG: KASAN: slab-use-after-free in use_obj');
  assert.equal(lines[2], 'Read of size 8 at addr ffff888000100008 by task victim/1');
  assert.ok(
    text.includes('Allocated by task 1:\n kasan_save_stack\n kasan_save_track\n __kasan_kmalloc\n alloc_obj\n victim'),
  );
  assert.ok(text.includes('Freed by task 1:'));
  assert.ok(text.includes(' which belongs to the cache kmalloc-64 of size 64'));
  assert.ok(
    text.includes(
      'The buggy address is located 8 bytes inside of\n freed 64-byte region [ffff888000100000, ffff888000100040)',
    ),
  );
  assert.equal(lines[lines.length - 1], '='.repeat(66));
});

test('no use after free: silent; KASAN off: silent', () => {
  assert.deepEqual(titles(uaf('slab', {}, false)), []);
  assert.deepEqual(titles(uaf('slab', { KASAN: false, DEBUG_KMEMLEAK: false })), []);
});

test('vmalloc area freed: vmalloc-out-of-bounds; page: use-after-free', () => {
  const r = uaf('vmalloc');
  assert.deepEqual(titles(r), ['BUG: KASAN: vmalloc-out-of-bounds in use_obj']);
  assert.ok(r.reports[0]?.text.includes('The buggy address belongs to the virtual mapping at'));
  assert.deepEqual(titles(uaf('page')), ['BUG: KASAN: use-after-free in use_obj']);
});

test('stack object used after its frame returned: stack-use-after-return', () => {
  const r = runProgram(() => {
    const holder: { p: Obj | null } = { p: null };
    const make_oom_list = kfunc(function* __oom_reap_task_mm() {
      const o = track({ x: 0, y: 0 }, 'stack', 'oom_list');
      holder.p = o;
      yield undefined;
      release(allocationOf(o) as Allocation);
    });
    spawn_user(
      'oom_reaper',
      kfunc(function* oom_reaper() {
        yield* make_oom_list();
        yield* use_obj(holder.p as Obj);
      }),
    );
  });
  assert.deepEqual(titles(r), ['BUG: KASAN: stack-use-after-return in use_obj']);
  const text = r.reports[0]?.text as string;
  assert.ok(
    text.includes(
      'The buggy address belongs to stack of task oom_reaper/1\n and is located at offset 8 in frame:\n __oom_reap_task_mm',
    ),
  );
  assert.ok(!text.includes('Allocated by task'));
});

test('double-free and invalid-free', () => {
  const r = runProgram(() => {
    spawn_user(
      'd',
      kfunc(function* twice() {
        const o = yield* alloc_obj('slab');
        yield* free_obj(o);
        yield* free_obj(o);
      }),
    );
  });
  assert.deepEqual(titles(r), ['BUG: KASAN: double-free in free_obj']);
  assert.ok(r.reports[0]?.text.includes('Free of addr ffff888000100000 by task d/1'));
  const r2 = runProgram(() => {
    spawn_user(
      'i',
      kfunc(function* bogus_kfree() {
        yield undefined;
        const m = machine();
        m.emit({ type: 'bad_free', alloc: undefined, label: 'kfree', task: m.current } as never);
      }),
    );
  });
  assert.deepEqual(titles(r2), ['BUG: KASAN: invalid-free in bogus_kfree']);
});

test('a racing free is found by some schedule, and replay gives byte-identical text', () => {
  const prog = () => {
    const box: { o: Obj | null } = { o: null };
    box.o = kmalloc();
    spawn_user(
      'freer',
      kfunc(function* release_obj() {
        yield undefined;
        kfree(box.o as Obj);
      }),
    );
    spawn_user(
      'user',
      kfunc(function* reader() {
        yield* use_obj(box.o as Obj);
      }),
    );
  };
  let found: ReturnType<typeof runProgram> | undefined;
  for (let seed = 1; seed < 50 && !found; seed++) {
    const r = runProgram(prog, { strategy: new Seeded(seed), over: { DEBUG_KMEMLEAK: false } });
    if (r.reports.length > 0) found = r;
  }
  assert.ok(found);
  assert.deepEqual(titles(found), ['BUG: KASAN: slab-use-after-free in use_obj']);
  const again = runProgram(prog, { strategy: new Replay(found.choices), over: { DEBUG_KMEMLEAK: false } });
  assert.equal(again.reports[0]?.text, found.reports[0]?.text);
});
