/**
 * The watchdog across shards and the fleet (issue 12 over issue 14): a run that never reaches a
 * scheduling point is stopped in the shard (or on the fleet worker) that runs it, comes back as its
 * hang finding, and the merged (fleet) result is the single-machine one: the same finding and
 * token, incomplete for the same reason. A fleet check cell runs as `kernsim check` runs it
 * (run/matrix.ts cellRunner), watched with the check's --watchdog-ms.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { fleetCells, fleetCheck, fleetExplore, fleetWork } from '../../src/fleet/fleet.js';
import { mergeShards } from '../../src/fleet/merge.js';
import { shardExplore } from '../../src/fleet/shard.js';
import { decodeToken } from '../../src/report/token.js';
import { type ExplorationRequest, runExploration } from '../../src/run/exploration.js';
import { exploreCells } from '../../src/run/matrix.js';
import { KERNEL, SIM, scenarioFile, tmp } from '../cli/helpers.js';
import { sameJson, skip, startKernsim, startRedis } from './helpers.js';

const TITLE = 'kernsim: a task ran without a scheduling point in spin';

/** `p`, or an error after `ms` (then the test's finally stops the worker and Redis, which ends `p`). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} did not come back within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(t));
}

/** The JSON, elapsed times zeroed and the milliseconds a hang ran (timing) blanked. */
const untimed = (v: unknown): string => sameJson(JSON.parse(JSON.stringify(v).replace(/ran \d+ ms/g, 'ran _ ms')));

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

test('fleet: a check cell whose run hangs comes back as kernsim check gives it; a fleet exploration as explore', {
  skip,
  timeout: 180_000,
}, async () => {
  const dir = tmp('kernsim-fleet-watchdog-');
  const hang = spinScenario(dir);
  const reqs: ExplorationRequest[] = [
    { scenario: hang, strategy: 'dpor' },
    { scenario: 'selftest-mutex-counter', strategy: 'dpor' },
  ];
  // kernsim check's cells (test/cli/watchdog.test.ts): the hung one and a clean one.
  const local = await exploreCells(reqs, { jobs: 1, watchdogMs: 300 });
  const redis = await startRedis();
  // A fleet worker process, from source as the scenario file's imports are (a thread spinning in it
  // does not stop this test's timeout).
  const w = startKernsim(['fleet', 'work', '--redis', redis.url, '--jobs', '1', '--idle', '120'], {
    KERNSIM_FROM_SOURCE: '1',
  });
  try {
    // Without the watchdog on the worker this never returns (the cell's thread spins forever).
    const fleet = await within(fleetCells(reqs, { redis: redis.url, watchdogMs: 300 }), 90_000, 'the fleet’s cells');
    const [hung, clean] = fleet;
    assert.ok(hung && clean);
    assert.equal(hung.complete, false);
    assert.match(hung.incomplete_reason ?? '', /^a run was stopped by the watchdog/);
    assert.deepEqual(
      hung.findings.map((f) => f.title),
      [TITLE],
    );
    assert.ok(decodeToken(hung.findings[0]?.token as string).choices.length > 0);
    assert.equal(clean.complete, true);
    assert.equal(clean.executions, 24);
    // The same result objects as kernsim check's, byte for byte (timings aside).
    assert.equal(untimed(fleet), untimed(local));
    // A fleet exploration of the hanging scenario (one subtree task: the run that hangs is its
    // second) is explore's, and the very result the check cell is: the same finding and token,
    // executions, completeness and reason, byte for byte (timings aside).
    const req: ExplorationRequest = { scenario: hang, watchdogMs: 300, jobs: 1, shrink: false };
    const [fx, lx] = [await fleetExplore(req, { redis: redis.url }), await runExploration(req)];
    assert.equal(untimed(fx), untimed(lx));
    assert.equal(untimed(fx), untimed(local[0]));
    assert.equal(untimed(fx), untimed(hung));
  } finally {
    w.child.kill('SIGKILL');
    await w.done;
    await redis.stop();
  }
});

test('fleet run --check: the check’s --watchdog-ms travels with every cell job', {
  skip,
  timeout: 120_000,
}, async () => {
  const redis = await startRedis();
  const stop = new AbortController();
  const working = fleetWork({ redis: redis.url, jobs: 1, signal: stop.signal });
  const c = new Redis(redis.url, { maxRetriesPerRequest: null });
  c.on('error', () => {});
  const q = new Queue('kernsim', { connection: c });
  q.on('error', () => {});
  try {
    const opts = { scenarios: ['simple-kvm-reap'], variants: ['upstream'], configs: ['rt'] };
    const r = await fleetCheck({ ...opts, watchdogMs: 4321 }, { redis: redis.url });
    assert.equal(r.results.length, 1);
    const jobs = await q.getCompleted();
    assert.deepEqual(
      jobs.map((j) => [j.data.kind, j.data.watchdog_ms]),
      [['cell', 4321]],
    );
    // Another limit is another run (its own jobs), not the first run's results again.
    await fleetCheck({ ...opts, watchdogMs: 5000 }, { redis: redis.url });
    assert.deepEqual((await q.getCompleted()).map((j) => j.data.watchdog_ms).sort(), [4321, 5000]);
  } finally {
    await q.close();
    c.disconnect();
    stop.abort();
    await working;
    await redis.stop();
  }
});
