/**
 * Issue 12 item 8: a non-deterministic model is a finding naming the first step where two runs of
 * the same choices differ: the findings' runs and a seeded sample are each run twice with a
 * fingerprint of every step (task, footprint, values written, report text).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runExploration } from '../../src/run/exploration.js';
import { API, ROOT, tmp } from './helpers.js';

const dir = tmp();
const src = (p: string) => pathToFileURL(join(ROOT, 'src', p)).href;

function model(name: string, body: string): string {
  const file = join(dir, `${name}.ts`);
  writeFileSync(
    file,
    `import { WRITE_ONCE, READ_ONCE, shared } from '${src('kernel/once.ts')}';
import { WARN } from '${src('kernel/bug.ts')}';
import { spawn_user } from '${src('kernel/sched/core.ts')}';
import { kfunc } from '${src('sim/index.ts')}';
import { defineScenario } from '${API}';
export default defineScenario({
  name: '${name}', description: 'test', variants: [], configs: ['default'],
  setup() {
    const v = shared({ x: 0 }, 'x');
${body}
  },
});
`,
  );
  return file;
}

const TITLE = (n: string) => `kernsim: non-deterministic model in ${n}`;

test('Math.random() in a value written (the schedule never changes) is found in every exploration', async () => {
  const f = model(
    'rand-value',
    `    const w = kfunc(function* rand_writer() { yield* WRITE_ONCE(v, 'x', 1); yield* WRITE_ONCE(v, 'x', Math.random()); });
    spawn_user('w0', () => w());`,
  );
  for (const [strategy, seed] of [
    ['dpor', 1],
    ['dpor', 2],
    ['random', 1],
    ['random', 7],
    ['pct', 3],
    ['pct', 4],
  ] as const) {
    const r = await runExploration({ scenario: f, strategy, seed, jobs: 1, budget: 20 });
    const nd = r.findings.find((x) => x.title === TITLE('rand-value'));
    assert.ok(nd, `${strategy} seed ${seed}`);
    assert.match(nd.report, /the runs first differ at step 2 \(pid 1, w0\): the step wrote different values/);
    assert.equal(r.complete, false);
    assert.equal(r.incomplete_reason, 'stopped: the model is not deterministic');
  }
});

test("Math.random() in a WARN's text: the finding's report does not read the same twice", async () => {
  const f = model(
    'rand-warn',
    `    const w = kfunc(function* rand_warner() { const x = yield* READ_ONCE(v, 'x'); WARN(x === 0, 'x = %d, r = ' + Math.random()); });
    spawn_user('w0', () => w());`,
  );
  const r = await runExploration({ scenario: f, jobs: 1 });
  const nd = r.findings.find((x) => x.title === TITLE('rand-warn'));
  assert.ok(nd, JSON.stringify(r.findings.map((x) => x.title)));
  assert.match(
    nd.report,
    /the run of finding '[^']+', run twice: the runs first differ at step \d+ \(pid 1, w0\): the step's reports differ/,
  );
});

test('a deterministic model is not reported', async () => {
  const f = model(
    'det',
    `    const w = kfunc(function* det_writer() { const x = yield* READ_ONCE(v, 'x'); yield* WRITE_ONCE(v, 'x', x + 1); WARN(x > 5, 'never'); });
    spawn_user('w0', () => w());
    spawn_user('w1', () => w());`,
  );
  for (const strategy of ['dpor', 'random', 'pct'] as const) {
    const r = await runExploration({ scenario: f, strategy, jobs: 1, budget: 20 });
    assert.deepEqual(r.findings, [], strategy);
  }
  const lost = await runExploration({ scenario: 'selftest-lost-update', jobs: 1 });
  assert.ok(lost.complete);
  assert.ok(!lost.findings.some((x) => x.title.startsWith('kernsim: non-deterministic')));
});
