/** Footprints of WARN_ON_ONCE() (kernel/bug.ts): its once-flags decide which task reports. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WARN_ON_ONCE } from '../../src/kernel/bug.js';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import { kfunc } from '../../src/sim/index.js';
import { dporOutcomes } from './helpers.js';

test('WARN_ON_ONCE reached by two tasks: DPOR reaches both orders, so both callers report', () => {
  const { result } = dporOutcomes(() => {
    const check = (): boolean => WARN_ON_ONCE(true, 'kernel/x.c:1');
    spawn_user(
      'a',
      kfunc(function* caller_a() {
        yield* cond_resched();
        check();
      }),
    );
    spawn_user(
      'b',
      kfunc(function* caller_b() {
        yield* cond_resched();
        check();
      }),
    );
  });
  assert.equal(result.complete, true);
  assert.deepEqual(result.findings.map((f) => f.title).sort(), ['WARNING in caller_a', 'WARNING in caller_b']);
  // Still once per run: no run reports both.
  for (const f of result.findings) assert.equal(f.reportIndex, 0);
});
