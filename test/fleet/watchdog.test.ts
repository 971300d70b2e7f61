/**
 * The watchdog across shards (issue 12 over issue 14): a run that never reaches a scheduling point
 * is stopped in the shard that runs it, comes back as its hang finding, and the merged result is
 * the unsharded one: the same finding and token, incomplete for the same reason.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mergeShards } from '../../src/fleet/merge.js';
import { shardExplore } from '../../src/fleet/shard.js';
import { type ExplorationRequest, runExploration } from '../../src/run/exploration.js';
import { KERNEL, SIM, scenarioFile, tmp } from '../cli/helpers.js';

/** The waiter busy-waits, with no scheduling point, when it reads the flag before the setter writes it. */
function spinScenario(dir: string): string {
  const file = scenarioFile(
    dir,
    'spin.ts',
    `  setup() {
    const x = shared({ v: 0 }, 'x');
    spawn_user('setter', kfunc(function* set_flag() { yield* WRITE_ONCE(x, 'v', 1); }));
    spawn_user('waiter', kfunc(function* wait_flag() {
      const v = yield* READ_ONCE(x, 'v');
      if (v === 0) for (;;) {}
    }));
  },`,
  );
  const imports = `import { READ_ONCE, WRITE_ONCE, shared } from '${KERNEL}/once.ts';
import { spawn_user } from '${KERNEL}/sched/core.ts';
import { kfunc } from '${SIM}';
`;
  writeFileSync(file, `${imports}${readFileSync(file, 'utf8')}`);
  return file;
}

test('a hang in a shard is the merged result’s watchdog finding, as in the unsharded run', async () => {
  const dir = tmp('kernsim-shard-watchdog-');
  const req: ExplorationRequest = { scenario: spinScenario(dir), watchdogMs: 300, jobs: 1 };
  const single = await runExploration(req);
  const hang = single.findings.find((f) => f.kind === 'watchdog');
  assert.ok(hang, JSON.stringify(single.findings));
  assert.match(single.incomplete_reason ?? '', /^a run was stopped by the watchdog/);
  const paths: string[] = [];
  for (let i = 1; i <= 2; i++) {
    const o = await shardExplore(req, { index: i, count: 2 });
    const p = join(dir, `shard-${i}.ndjson`);
    writeFileSync(p, o.text);
    paths.push(p);
  }
  const m = await mergeShards(paths);
  assert.equal(m.kind, 'explore');
  if (m.kind !== 'explore') return;
  // The hang's report names the milliseconds it ran (timing): compared are titles and tokens.
  assert.deepEqual(
    m.result.findings.map((f) => [f.kind, f.title, f.token]),
    single.findings.map((f) => [f.kind, f.title, f.token]),
  );
  assert.equal(m.result.complete, false);
  assert.equal(m.result.incomplete_reason, single.incomplete_reason);
  assert.equal(m.result.executions, single.executions);
});
