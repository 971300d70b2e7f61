/**
 * Partitioned DPOR (--jobs) against sequential DPOR: splitting the tree into subtree tasks carries
 * sequential DPOR's sleep sets and explored siblings, so no work is repeated: the same findings in
 * (nearly) as many executions, whatever the split size and N. (Lockdep's cross-run graph is per
 * task session, so a cross-run cycle such as selftest-abba's may be closed from another side when
 * split: not compared here; docs/fidelity/explore.md.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExploration } from '../../src/run/exploration.js';
import { runnerFor } from '../../src/run/session.js';
import { specFor } from '../../src/run/spec.js';
import { Dpor } from '../../src/explore/dpor.js';
import { explore } from '../../src/explore/explorer.js';

async function sequential(scenario: string, variant: string | undefined, config: string | undefined, p: number) {
  const spec = await specFor(scenario, variant, config, []);
  return explore(new Dpor({ preemptions: p, faults: 1 }), runnerFor(spec), { scenario });
}

const cells: [string, string | undefined, string | undefined, number][] = [
  ['selftest-mutex-counter', undefined, undefined, -1],
  // Schedule and data (fault) nodes, findings, runs abandoned by sleep sets:
  ['simple-kvm-reap', 'v2', 'rt', 2],
];

for (const [scenario, variant, config, preemptions] of cells)
  test(`partitioned DPOR explores what sequential DPOR does: ${scenario}${variant ? `/${variant}/${config}` : ''}`, async () => {
    const seq = await sequential(scenario, variant, config, preemptions);
    const titles = seq.findings.map((f) => f.title).sort();
    for (const seqPhase of [1, 3, 10]) {
      const par = await runExploration({ scenario, variant, config, preemptions, jobs: 1, seqPhase, shrink: false });
      assert.equal(par.complete, seq.complete, `seqPhase ${seqPhase}`);
      assert.deepEqual(par.findings.map((f) => f.title).sort(), titles, `seqPhase ${seqPhase}`);
      assert.ok(
        par.executions <= Math.ceil(seq.executions * 1.05),
        `seqPhase ${seqPhase}: ${par.executions} executions against ${seq.executions} sequential`,
      );
    }
  });
