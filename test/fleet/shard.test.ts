/**
 * Static shards (--shard i/N) merged (kernsim merge) give the single-machine result: the same
 * findings, first tokens, shrunk tokens, executions and completeness, byte for byte in the JSON
 * (the elapsed time aside), for N = 2, 3, 7; a missing, duplicated or foreign shard is refused.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ResultJson } from '../../src/report/json.js';
import { type ExplorationRequest, runExploration } from '../../src/run/exploration.js';
import { runCheck } from '../../src/run/matrix.js';
import { mergeShards } from '../../src/fleet/merge.js';
import { shardCheck, shardExplore } from '../../src/fleet/shard.js';
import { UsageError } from '../../src/scenarios/index.js';
import { tmp } from '../cli/helpers.js';
import { sameJson } from './helpers.js';

async function shardFiles(req: ExplorationRequest, n: number, dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 1; i <= n; i++) {
    const o = await shardExplore(req, { index: i, count: n });
    const p = join(dir, `shard-${i}-of-${n}.ndjson`);
    writeFileSync(p, o.text);
    paths.push(p);
  }
  return paths;
}

const cells: [string, ExplorationRequest][] = [
  // Many small subtree tasks and several DPOR rounds (seqPhase 2):
  ['selftest-mutex-counter unbounded', { scenario: 'selftest-mutex-counter', preemptions: -1, seqPhase: 2 }],
  // Schedule and fault nodes, five findings, a later round:
  ['simple-kvm-reap/v2/rt', { scenario: 'simple-kvm-reap', variant: 'v2', config: 'rt', seqPhase: 10, shrink: false }],
  // One finding, shrunk:
  [
    'simple-kvm-reap/upstream/rt shrunk',
    { scenario: 'simple-kvm-reap', variant: 'upstream', config: 'rt', seqPhase: 10 },
  ],
  // Seed ranges of the sampling strategies:
  ['selftest-lost-update pct', { scenario: 'selftest-lost-update', strategy: 'pct', budget: 700 }],
  ['selftest-abba random', { scenario: 'selftest-abba', strategy: 'random', budget: 350 }],
];

for (const [name, req0] of cells)
  test(`shards 1/N..N/N merged equal the unsharded run: ${name}`, async () => {
    const req = { ...req0, jobs: 1 };
    const single: ResultJson = await runExploration(req);
    const dir = tmp('kernsim-shard-');
    for (const n of [2, 3, 7]) {
      const m = await mergeShards(await shardFiles(req, n, dir));
      assert.equal(m.kind, 'explore');
      if (m.kind !== 'explore') return;
      assert.equal(m.result.executions, single.executions, `N=${n}: executions`);
      assert.deepEqual(
        m.result.findings.map((f) => [f.title, f.token, f.shrunk_token]),
        single.findings.map((f) => [f.title, f.token, f.shrunk_token]),
        `N=${n}: findings and tokens`,
      );
      assert.equal(m.result.complete, single.complete, `N=${n}: complete`);
      assert.equal(sameJson(m.result), sameJson(single), `N=${n}: the whole result`);
      // The DPOR cells have later rounds, which no shard sees: the merge explores them.
      if ((req.strategy ?? 'dpor') === 'dpor') assert.ok(m.ranHere.tasks > 0, `N=${n}: later rounds merged`);
    }
  });

test('a missing, duplicated or foreign shard is refused with one line', async () => {
  const req: ExplorationRequest = { scenario: 'selftest-mutex-counter', preemptions: -1, seqPhase: 2, jobs: 1 };
  const dir = tmp('kernsim-shard-');
  const three = await shardFiles(req, 3, dir);
  const [a, b, c] = three as [string, string, string];
  const refused = async (paths: string[], re: RegExp) => {
    await assert.rejects(mergeShards(paths), (e: unknown) => {
      assert.ok(e instanceof UsageError, String(e));
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  };
  await refused([a, c], /^merge: shard 2\/3 missing \(given 2 of 3\)$/);
  await refused([a, b, b, c], /^merge: shard 2\/3 given twice/);
  const other = await shardFiles({ ...req, preemptions: 1 }, 3, tmp('kernsim-shard-'));
  await refused([a, other[1] as string, c], /is from another run/);
  const two = await shardFiles(req, 2, tmp('kernsim-shard-'));
  await refused([a, b, c, two[1] as string], /is shard 2\/2/);
  const cut = join(dir, 'cut.ndjson');
  writeFileSync(cut, (await shardExplore(req, { index: 2, count: 3 })).text.split('\n').slice(0, -2).join('\n'));
  await refused([a, cut, c], /is cut short/);
  // And the complete set merges.
  const m = await mergeShards([c, a, b]);
  assert.equal(m.kind, 'explore');
});

test('check shards (cells) merged equal the unsharded check, N = 2, 3, 7', async () => {
  const opts = { scenarios: ['simple-kvm-reap'], variants: ['upstream', 'rawlock'], jobs: 1 } as const;
  const single = await runCheck(opts);
  assert.equal(single.cells.length, 6);
  const dir = tmp('kernsim-shard-');
  for (const n of [2, 3, 7]) {
    const paths: string[] = [];
    for (let i = 1; i <= n; i++) {
      const p = join(dir, `check-${i}-of-${n}.ndjson`);
      writeFileSync(p, (await shardCheck(opts, { index: i, count: n })).text);
      paths.push(p);
    }
    const m = await mergeShards(paths);
    assert.equal(m.kind, 'check');
    if (m.kind !== 'check') return;
    // The whole check result (every cell's result, expected verdict and match), elapsed aside.
    assert.equal(sameJson(m.result), sameJson(single), `N=${n}`);
    assert.equal(m.result.matched, single.matched);
    await assert.rejects(mergeShards(paths.slice(1)), /missing/);
  }
});
