/**
 * KCSAN's happens-before bookkeeping (check/kcsan.ts): a synchronising object's clocks are joined
 * only while in use, and a clock made from one task's clock alone is not joined back into that
 * task's. These runs pin the cases where skipping a join would lose an edge.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { READ_ONCE, WRITE_ONCE, shared } from '../../src/kernel/once.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { FirstChoice, kfunc } from '../../src/sim/index.js';
import { runProgram, titles } from './helpers.js';

const ON = { KCSAN: true };

/**
 * b reads d plainly, then (if bReadsFlag) READ_ONCE(flag); then a reads the flag, writes it, and
 * writes d plainly. Under FirstChoice b runs to its end before a starts.
 */
function run(bReadsFlag: boolean, aReadsFirst: boolean): string[] {
  const r = runProgram(
    () => {
      const d = shared({ v: 0 }, 'data');
      const flag = shared({ v: 0 }, 'flag');
      spawn_user(
        'b',
        kfunc(function* reader_b() {
          void d.v;
          if (bReadsFlag) yield* READ_ONCE(flag, 'v');
        }),
      );
      spawn_user(
        'a',
        kfunc(function* writer_a() {
          if (aReadsFirst) yield* READ_ONCE(flag, 'v');
          yield* WRITE_ONCE(flag, 'v', 1);
          d.v = 5;
        }),
      );
    },
    { over: ON, strategy: new FirstChoice() },
  );
  return titles(r).filter((t) => t.startsWith('KCSAN'));
}

test("a write orders after every earlier read of the object, also once the writer's own read joined them", () => {
  // b's READ_ONCE(flag), then a's READ_ONCE(flag): the reads' clock holds both tasks'; a's
  // WRITE_ONCE(flag) must join it (it is not a's alone), which orders b's read of d before a's write.
  assert.deepEqual(run(true, true), []);
  assert.deepEqual(run(true, false), []);
});

test('without the flag read by b: the race on d is reported', () => {
  assert.deepEqual(run(false, true), ['KCSAN: data-race in reader_b / writer_a']);
  assert.deepEqual(run(false, false), ['KCSAN: data-race in reader_b / writer_a']);
});
