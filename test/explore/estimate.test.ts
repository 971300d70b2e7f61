import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Exhaustive } from '../../src/explore/exhaustive.js';
import { explore } from '../../src/explore/explorer.js';
import { estimateSpace } from '../../src/run/estimate.js';
import { runnerFor } from '../../src/run/session.js';
import { specFor } from '../../src/run/spec.js';

/** Executions of plain exhaustive enumeration under the bounds: what the estimate estimates. */
async function enumerated(scenario: string, preemptions: number, faults: number): Promise<number> {
  const spec = await specFor(scenario, undefined, undefined, []);
  const r = explore(new Exhaustive({ faults, preemptions }), runnerFor(spec), { scenario });
  assert.equal(r.complete, true, `${scenario} enumerated`);
  return r.executions;
}

test("Knuth's estimate of a bounded space agrees with its enumeration on the self-tests", async () => {
  for (const [scenario, preemptions] of [
    ['selftest-lost-update', -1],
    ['selftest-mutex-counter', 1],
    ['selftest-mutex-counter', -1],
    ['selftest-abba', 0],
  ] as const) {
    const exact = await enumerated(scenario, preemptions, 0);
    const e = await estimateSpace(scenario, { preemptions, faults: 0, samples: 2000, seed: 3 });
    assert.equal(e.samples, 2000);
    assert.ok(e.maxDepth > 0, `${scenario}: the samples made choices`);
    // Within four standard errors, and the standard error small against the size.
    assert.ok(
      Math.abs(e.leaves - exact) <= 4 * e.stderr + 1e-9,
      `${scenario} bound ${preemptions}: ${e.leaves} ± ${e.stderr} against ${exact}`,
    );
    assert.ok(e.stderr <= 0.1 * exact, `${scenario}: standard error ${e.stderr} of ${exact}`);
  }
});

test('the same seed gives the same estimate, another seed another', async () => {
  const a = await estimateSpace('selftest-mutex-counter', { preemptions: -1, faults: 0, samples: 300, seed: 9 });
  const b = await estimateSpace('selftest-mutex-counter', { preemptions: -1, faults: 0, samples: 300, seed: 9 });
  assert.deepEqual(a, b);
  const c = await estimateSpace('selftest-mutex-counter', { preemptions: -1, faults: 0, samples: 300, seed: 10 });
  assert.notEqual(a.leaves, c.leaves, 'another seed samples other runs');
});

test('estimateSpace refuses a bad sample count or bound, as explore does', async () => {
  await assert.rejects(estimateSpace('selftest-lost-update', { samples: 0 }), /samples must be an integer >= 1/);
  await assert.rejects(
    estimateSpace('selftest-lost-update', { preemptions: 1.5 }),
    /--preemptions must be an integer >= -1/,
  );
  await assert.rejects(estimateSpace('selftest-lost-update', { faults: -1 }), /--faults must be an integer >= 0/);
});
