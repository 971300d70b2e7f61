/** Issue 12 item 4: --budget N is N executions, also where a parallel exploration would split the space (a budget runs one task). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExploration } from '../../src/run/exploration.js';

const unbounded = { preemptions: -1, faults: 0 };

test('--budget N runs exactly N executions past the sequential phase, the same for every --jobs', async () => {
  const full = await runExploration({ scenario: 'selftest-mutex-counter', ...unbounded, jobs: 1, seqPhase: 2 });
  assert.equal(full.complete, true);
  const n = full.executions;
  assert.ok(n > 8, `the space has ${n} executions`);
  for (const budget of [3, 5, n - 1]) {
    const rs = [];
    for (const jobs of [1, 3]) {
      const r = await runExploration({ scenario: 'selftest-mutex-counter', ...unbounded, jobs, seqPhase: 2, budget });
      assert.equal(r.executions, budget, `budget ${budget}, jobs ${jobs}`);
      assert.equal(r.complete, false);
      assert.equal(r.incomplete_reason, `stopped by --budget after ${budget} executions`);
      rs.push(r);
    }
    const [a, b] = rs as [(typeof rs)[0], (typeof rs)[0]];
    assert.equal(a.steps, b.steps);
    assert.deepEqual(
      a.findings.map((f) => [f.title, f.token, f.execution]),
      b.findings.map((f) => [f.title, f.token, f.execution]),
    );
  }
  // A budget beyond the whole space runs it all and is complete.
  const r = await runExploration({
    scenario: 'selftest-mutex-counter',
    ...unbounded,
    jobs: 3,
    seqPhase: 2,
    budget: n + 5,
  });
  assert.equal(r.executions, n);
  assert.equal(r.complete, true);
});
