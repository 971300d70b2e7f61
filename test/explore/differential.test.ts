/**
 * Differential self-check of DPOR: on small generated programs over every kernel primitive,
 * unbounded DPOR (no preemption bound, fault budget 1) must reach exactly the outcomes (finding
 * titles + final state) that plain exhaustive enumeration of every schedule and data choice
 * reaches (test/explore/differential-gen.ts). A program DPOR misses an outcome of is a DPOR bug, or
 * a dependency the engine's footprints do not show; the failure message names the program, the
 * primitives it uses, the outcomes DPOR missed with the exhaustive run that reached each, and the
 * first failing program shrunk by fast-check.
 *
 * More cases: `npm run selfcheck -- --seed N --count N` (scripts/selfcheck.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChoiceMismatch, type RunFn } from '../../src/explore/common.js';
import { Exhaustive } from '../../src/explore/exhaustive.js';
import { explore } from '../../src/explore/explorer.js';
import type { RunResult } from '../../src/sim/index.js';
import {
  LATE_RCU_READER,
  LATE_RCU_READER_PREEMPTED,
  PRIMITIVE_PROGRAMS,
  REGRESSIONS,
  differential,
  failing,
  failureText,
  maskedBy,
  report,
  runSuite,
  shrink,
  summary,
} from './differential-gen.js';

/** Fixed: the sample below contains the late RCU reader 6 times, preempted inside its section 4 times. */
const SEED = 5;
const GENERAL = 90;
const FOCUSED = 60;
/** Programs of the #13 primitives (kfree_rcu, SLAB_TYPESAFE_BY_RCU, list_replace_rcu, hlist_nulls, kref_put_lock ...). */
const PRIMS = 20;
/** Programs whose exhaustive enumeration takes more executions are discarded. */
const MAX_EXECUTIONS = 1_000;

/** A fake model: a schedule point over `enabled`, then a fault point with `options` answers. */
function fakeModel(enabled: number[], options: number, log: string[]): RunFn {
  return (s) => {
    const pid = s.choose({ kind: 'schedule', enabled, current: -1, currentEnabled: false, step: 0, unstarted: [] });
    const v = s.choose({ kind: 'data', options, label: 'kmalloc fails', fault: true, task: pid, step: 1 });
    log.push(`${pid}:${v}`);
    return {
      end: 'done',
      steps: 2,
      choices: [pid, v],
      reports: [],
      digest: `${pid}${v}`.padStart(16, '0'),
      timeNs: 0,
      cut: false,
    } as RunResult;
  };
}

test('exhaustive enumeration: every branch of every choice point, faults within the budget', () => {
  const log: string[] = [];
  const r = explore(new Exhaustive({ faults: 1 }), fakeModel([1, 2], 3, log), { scenario: 'fake' });
  assert.equal(r.complete, true);
  assert.deepEqual(log, ['1:0', '1:1', '1:2', '2:0', '2:1', '2:2']);
  const none: string[] = [];
  explore(new Exhaustive({ faults: 0 }), fakeModel([1, 2, 3], 3, none), { scenario: 'fake' });
  assert.deepEqual(none, ['1:0', '2:0', '3:0']);
  // A model that offers other choices when a prefix is replayed is non-deterministic.
  let flip = 0;
  const nondet: RunFn = (s) => fakeModel(flip++ === 0 ? [1, 2] : [1, 3], 1, [])(s);
  assert.throws(() => {
    const x = new Exhaustive({ faults: 0 });
    const run = nondet;
    for (let s = x.next(); s !== null; s = x.next()) x.done(run(s));
  }, ChoiceMismatch);
});

test('masked outcomes: only a first-report-wins checker explains the difference', () => {
  const o = (titles: string[], x = 0) => JSON.stringify({ titles, state: { x } });
  const a = 'BUG: sleeping function called from invalid context in op_a';
  const b = 'BUG: sleeping function called from invalid context in op_b';
  const uaf = 'BUG: KASAN: slab-use-after-free in op_deref';
  // The same state, another task's splat hid this one: masked.
  assert.equal(maskedBy(o([a, uaf]), [o([b, uaf])]), o([b, uaf]));
  // A different state, or a title no first-report-wins checker hides, or no splat at all: missed.
  assert.equal(maskedBy(o([a]), [o([b], 1)]), null);
  assert.equal(maskedBy(o([a, uaf]), [o([b])]), null);
  assert.equal(maskedBy(o([a]), [o([])]), null);
});

test('differential regression: the late RCU reader (and the same reader preempted inside its section)', () => {
  for (const [name, prog] of [
    ['late reader', LATE_RCU_READER],
    ['late reader preempted inside its section', LATE_RCU_READER_PREEMPTED],
  ] as const) {
    const d = differential(prog);
    assert.ok(
      [...d.exhaustive.outcomes.keys()].some((o) => o.includes('BUG: KASAN: slab-use-after-free in op_deref')),
      `${name}: exhaustive enumeration reaches the use-after-free\n${report(prog, d)}`,
    );
    assert.equal(d.status, 'ok', `${name}: DPOR missed an outcome\n${report(prog, d)}`);
  }
});

/**
 * Regressions that are known to fail go here (as todos, so that they fail loudly once fixed). Empty:
 * 'a task that never runs because another spins on their CPU' passes since DPOR races a CPU hold
 * that is never released with every earlier step on that CPU (explore/dpor.ts, analyse).
 */
const OPEN = new Set<string>();

for (const r of REGRESSIONS)
  test(`differential regression: ${r.name}`, { todo: OPEN.has(r.name) }, () => {
    const d = differential(r.prog);
    assert.equal(d.status, 'ok', `DPOR missed an outcome (${r.why})\n${report(r.prog, d)}`);
  });

for (const r of PRIMITIVE_PROGRAMS)
  test(`differential: ${r.name}`, () => {
    const d = differential(r.prog);
    assert.ok(d.exhaustive.outcomes.size > 1, `more than one outcome\n${report(r.prog, d)}`);
    assert.equal(d.status, 'ok', `DPOR missed an outcome\n${report(r.prog, d)}`);
  });

test(`differential: unbounded DPOR reaches every outcome exhaustive enumeration reaches (seed ${SEED}, ${GENERAL}+${FOCUSED}+${PRIMS} programs)`, (t) => {
  const r = runSuite({ seed: SEED, general: GENERAL, focused: FOCUSED, prims: PRIMS, maxExecutions: MAX_EXECUTIONS });
  for (const line of summary(r).split('\n')) t.diagnostic(line);
  const masked = r.checked.filter((c) => c.diff.status === 'masked');
  if (masked.length > 0)
    t.diagnostic(
      `${masked.length} programs where DPOR missed only titles a first-report-wins checker hides (not a DPOR failure): ${masked.map((c) => `${c.source} #${c.index}`).join(', ')}`,
    );
  assert.ok(r.late.preempted >= 1, 'the generator produced the late RCU reader preempted inside its section');
  const bad = r.checked.filter((c) => failing(c.diff));
  if (bad.length === 0) return;
  const first = bad[0] as (typeof bad)[number];
  const s = shrink(first, SEED, { maxExecutions: MAX_EXECUTIONS, timeMs: 15_000 });
  assert.fail(
    [
      `DPOR missed outcomes of ${bad.length} of ${r.checked.length - r.counts['too-large']} programs:`,
      '',
      ...bad.map((c) => failureText(c, SEED)),
      '',
      `the first one shrunk (${s.shrinks} fast-check shrinks, ${s.removals} removals${s.interrupted ? ', stopped at the time limit' : ''}):`,
      report(s.prog, s.diff),
    ].join('\n'),
  );
});

/**
 * Bounded DPOR against bounded exhaustive enumeration, under the same preemption bound. Bounded
 * DPOR with sleep sets is a heuristic (docs/fidelity/explore.md): a trace whose in-bound orders it
 * prunes can be missed. Measured with `npm run selfcheck -- --preemptions P` on seeds 1-4, 6, 7
 * (110 programs each): at bound 2, the bound of every verdict, none is missed since a trylock that
 * fails because of its own task's hold records no acquisition (seed 4 and 6 each had one: an rwsem
 * write trylock, then a read trylock in its section, against another task's down_write); at bound
 * 1, 14 programs are missed. The bound-1 comparison is todo until bounded DPOR is complete there.
 */
test('differential: DPOR under preemption bound 2 reaches every outcome bounded exhaustive enumeration reaches (seed 4)', (t) => {
  const r = runSuite({ seed: 4, general: 60, focused: 40, prims: 10, maxExecutions: MAX_EXECUTIONS, preemptions: 2 });
  for (const line of summary(r).split('\n')) t.diagnostic(line);
  const bad = r.checked.filter((c) => failing(c.diff));
  assert.equal(bad.length, 0, bad.map((c) => report(c.prog, c.diff)).join('\n'));
});

test('differential: DPOR under preemption bound 1 reaches every outcome bounded exhaustive enumeration reaches (seed 5)', {
  todo: 'bounded DPOR with sleep sets is a heuristic, not complete for the bounded space at bound 1',
}, (t) => {
  const r = runSuite({ seed: 5, general: 60, focused: 40, prims: 10, maxExecutions: MAX_EXECUTIONS, preemptions: 1 });
  for (const line of summary(r).split('\n')) t.diagnostic(line);
  const bad = r.checked.filter((c) => failing(c.diff));
  assert.equal(bad.length, 0, bad.map((c) => report(c.prog, c.diff)).join('\n'));
});
