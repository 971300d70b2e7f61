/**
 * The public entry points from a checkout: kernsim/explore's functions on a built-in scenario
 * and on a defineScenario() object, and a user file outside the checkout (no package.json
 * beside it, .ts and .mts) importing 'kernsim' and 'kernsim/kernel' by name.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  READ_ONCE,
  WARN_ON,
  WRITE_ONCE,
  __READ_ONCE,
  mutex_init,
  mutex_lock,
  mutex_unlock,
  shared,
} from '../../src/kernel/index.js';
import { defineScenario, inFrame, kfunc, spawn_user } from '../../src/index.js';
import { ExploreJsonSchema, UsageError, catalog, explore, replay } from '../../src/run/index.js';
import { searchOptions } from '../../src/run/options.js';
import { specFor } from '../../src/run/spec.js';
import { runJob, specKey, workerSpec } from '../../src/run/worker.js';
import { cli, tmp } from '../cli/helpers.js';

/** Two tasks increment a counter, racing or under a mutex. */
function counter(name: string, racy: boolean) {
  let x: { v: number };
  return defineScenario({
    name,
    description: 'two tasks increment a counter',
    variants: [],
    configs: ['default'],
    setup() {
      x = shared({ v: 0 }, 'x');
      const lock = mutex_init('&counter_lock');
      const inc = kfunc(function* counter_inc() {
        if (!racy) yield* mutex_lock(lock);
        const v = yield* READ_ONCE(x, 'v');
        yield* WRITE_ONCE(x, 'v', v + 1);
        if (!racy) yield* mutex_unlock(lock);
      });
      spawn_user('a', () => inc());
      spawn_user('b', () => inc());
    },
    finish() {
      inFrame('counter_check', () => WARN_ON(__READ_ONCE(x, 'v') !== 2));
    },
  });
}

test('explore() on a built-in scenario returns the typed result; replay() gives its report back', async () => {
  const r = await explore('selftest-lost-update', { jobs: 1 });
  ExploreJsonSchema.parse({ version: 1, results: [r] });
  assert.equal(r.complete, true);
  assert.deepEqual(
    r.findings.map((f) => f.title),
    ['WARNING in lost_update_check'],
  );
  const f = r.findings[0];
  assert.ok(f);
  const again = await replay(f.token);
  assert.equal(again.finding?.title, f.title);
  assert.equal(again.finding?.report, f.report);
});

test('explore() on a defineScenario() object: found when racy, clean when not; its token replays on the object', async () => {
  const racy = counter('api-racy', true);
  const r = await explore(racy, { jobs: 4 });
  assert.equal(r.jobs, 1, 'an object runs on the calling thread');
  assert.deepEqual(
    r.findings.map((f) => f.title),
    ['WARNING in counter_check'],
  );
  const token = r.findings[0]?.token as string;
  assert.equal((await replay(token, { scenario: racy })).finding?.title, 'WARNING in counter_check');
  const clean = await explore(counter('api-atomic', false));
  assert.equal(clean.complete, true);
  assert.deepEqual(clean.findings, []);
});

test('explore() given what is not a scenario: a UsageError naming the problem, never a TypeError', async () => {
  for (const [bad, why] of [
    [
      { scenario: 'selftest-lost-update', strategy: 'random' },
      /^scenario 'undefined': name must be a non-empty string$/,
    ],
    [{ name: 'half' }, /^scenario 'half': setup must be a function$/],
    [{ name: 'v', setup() {}, variants: 'v2' }, /^scenario 'v': variants must be a list/],
    [null, /^scenario 'undefined': a scenario definition is an object$/],
  ] as const) {
    await assert.rejects(explore(bad as never), (e: unknown) => e instanceof UsageError && why.test(e.message));
  }
});

test('catalog() lists the built-in scenarios and the configs', async () => {
  const c = await catalog();
  assert.ok(c.scenarios.some((s) => s.name === 'selftest-lost-update'));
  assert.deepEqual(
    c.configs.map((k) => k.name),
    ['default', 'rt', 'nonrt', 'nomn'],
  );
});

const USER = `import { defineScenario, inFrame, kfunc, spawn_user } from 'kernsim';
import { READ_ONCE, WARN_ON, WRITE_ONCE, __READ_ONCE, shared } from 'kernsim/kernel';

let x: { v: number };
export default defineScenario({
  name: 'user-counter',
  description: 'two tasks increment a counter',
  variants: [],
  configs: ['default'],
  setup() {
    x = shared({ v: 0 }, 'x');
    const inc = kfunc(function* counter_inc() {
      const v = yield* READ_ONCE(x, 'v');
      yield* WRITE_ONCE(x, 'v', v + 1);
    });
    spawn_user('a', () => inc());
    spawn_user('b', () => inc());
  },
  finish() {
    inFrame('counter_check', () => WARN_ON(__READ_ONCE(x, 'v') !== 2));
  },
});
`;

for (const ext of ['ts', 'mts'])
  test(`a .${ext} file outside the checkout, no package.json beside it, imports 'kernsim' by name`, () => {
    const dir = tmp('kernsim-api-');
    writeFileSync(join(dir, `counter.${ext}`), USER);
    const r = cli(['explore', '--scenario', `./counter.${ext}`, '--jobs', '2'], { cwd: dir });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^== WARNING in counter_check$/m);
    assert.match(r.stdout, /^FOUND 1 finding: finished the bounded search/m);
  });

test('a worker thread that resolves a different spec than its caller refuses the job (nothing is explored silently wrong)', async () => {
  const spec = await specFor('selftest-lost-update', undefined, undefined, []);
  const w = workerSpec(spec);
  assert.equal(w.key, specKey(await specFor('selftest-lost-update', undefined, undefined, [])));
  const task = { ...searchOptions({}), spec: w, split: 10 };
  const ok = (await runJob(task)) as { executions: number };
  assert.equal(ok.executions, 4);
  // As if the caller's RunSpec held something (a scenario parameter, say) workerSpec() did not carry.
  const drifted = { ...task, spec: { ...w, key: specKey({ ...spec, params: { n: 3 } } as typeof spec) } };
  await assert.rejects(runJob(drifted), /a worker thread resolved a different spec than its caller/);
});
