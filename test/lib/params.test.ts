/**
 * Issue 13, scenario parameters: declared with type and default in defineScenario, given with
 * `--param name=value`, validated (one line, exit status 2), in ctx.params, in `kernsim list`,
 * carried in tokens (a replay runs with the same values); and configs a scenario defines.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { catalog } from '../../src/run/catalog.js';
import { runExploration } from '../../src/run/exploration.js';
import { replayToken } from '../../src/run/replay.js';
import { decodeToken } from '../../src/report/token.js';
import { UsageError } from '../../src/scenarios/index.js';
import { parseValue } from '../../src/scenarios/params.js';
import { ROOT, cli, tmp } from '../cli/helpers.js';

const src = (p: string) => pathToFileURL(join(ROOT, 'src', p)).href;
const dir = tmp('kernsim-params-');

/**
 * n_incs tasks each READ_ONCE(x) then WRITE_ONCE(x, v + 1); finish() WARNs unless x == n_incs.
 * One task cannot lose an update, two can. `check` = false skips the WARN. A config of its own.
 */
const file = join(dir, 'counter.ts');
writeFileSync(
  file,
  `import { defineScenario } from '${src('scenarios/api.ts')}';
import { READ_ONCE, WRITE_ONCE, shared } from '${src('kernel/once.ts')}';
import { spawn_user } from '${src('kernel/sched/core.ts')}';
import { WARN_ON } from '${src('kernel/bug.ts')}';
import { current, kfunc } from '${src('sim/index.ts')}';

let counter: { x: number } | null = null;
export default defineScenario({
  name: 'counter',
  description: 'n tasks increment a counter without a lock',
  configs: ['default', { name: 'no-kcsan-rt', description: 'PREEMPT_RT, no KCSAN', base: 'rt', options: { KCSAN: false } }],
  params: {
    n_incs: { type: 'int', default: 1, min: 1, max: 3, description: 'incrementing tasks' },
    check: { type: 'bool', default: true },
    mode: { type: 'enum', choices: ['plain', 'twice'], default: 'plain' },
  },
  setup(ctx) {
    const n: number = ctx.params.n_incs;
    const v = shared({ x: 0 }, 'x');
    counter = v;
    const inc = kfunc(function* counter_inc() {
      for (let i = 0; i < (ctx.params.mode === 'twice' ? 2 : 1); i++) {
        const x = yield* READ_ONCE(v, 'x');
        yield* WRITE_ONCE(v, 'x', x + 1);
      }
    });
    for (let t = 0; t < n; t++) spawn_user('inc' + t, () => inc());
  },
  finish(ctx) {
    if (!ctx.params.check || !counter) return;
    const frames = current().frames;
    frames.push('counter_check');
    WARN_ON(counter.x !== ctx.params.n_incs * (ctx.params.mode === 'twice' ? 2 : 1), 'counter.c:1', 'lost update');
    frames.pop();
  },
});
`,
);

const run = (params: string[], config?: string) =>
  runExploration({ scenario: file, params, shrink: false, jobs: 1, ...(config ? { config } : {}) });

test('parameters: the default, a given value, the value in ctx.params and in the token', async () => {
  const dflt = await run([]);
  assert.equal(dflt.complete, true);
  assert.deepEqual(
    dflt.findings.map((f) => f.title),
    [],
  );
  const two = await run(['n_incs=2']);
  assert.deepEqual(
    two.findings.map((f) => f.title),
    ['WARNING in counter_check'],
  );
  assert.ok(two.executions > dflt.executions);
  // check=false: the same two tasks, no assertion.
  assert.deepEqual(
    (await run(['n_incs=2', 'check=false'])).findings.map((f) => f.title),
    [],
  );
  const f = two.findings[0];
  assert.ok(f);
  assert.deepEqual(decodeToken(f.token).params, { n_incs: 2 });
  // The replay runs with the token's parameters (with n_incs = 1 the run has no report #0).
  const r = await replayToken(f.token);
  assert.equal(r.report?.title, 'WARNING in counter_check');
});

test('a bad parameter: unknown name, bad value, out of range, given twice (one line each)', async () => {
  const bad = async (params: string[], msg: string) =>
    assert.rejects(run(params), (e: unknown) => e instanceof UsageError && e.message === msg);
  await bad(
    ['n_vcpus=2'],
    "unknown parameter 'n_vcpus' for scenario 'counter' (it takes n_incs, check, mode; see 'kernsim list')",
  );
  await bad(['n_incs=two'], "param 'n_incs' of scenario 'counter' takes an integer >= 1 and <= 3; got 'two'");
  await bad(['n_incs=4'], "param 'n_incs' of scenario 'counter' takes an integer >= 1 and <= 3; got '4'");
  await bad(['mode=thrice'], "param 'mode' of scenario 'counter' takes one of plain, twice; got 'thrice'");
  await bad(['check=yes'], "param 'check' of scenario 'counter' takes true or false; got 'yes'");
  await bad(['n_incs=1', 'n_incs=2'], '--param n_incs given twice');
  await bad(['n_incs'], "--param expects param=value, got 'n_incs'");
  // A built-in scenario declares none.
  await assert.rejects(
    runExploration({ scenario: 'selftest-abba', params: ['n=1'], jobs: 1 }),
    (e: unknown) =>
      e instanceof UsageError && e.message === "scenario 'selftest-abba' has no parameters: --param n does not apply",
  );
  // On the command line: one line on stderr, exit status 2.
  const c = cli(['explore', '--scenario', file, '--param', 'n_incs=9']);
  assert.equal(c.status, 2);
  assert.equal(c.stderr, "kernsim: param 'n_incs' of scenario 'counter' takes an integer >= 1 and <= 3; got '9'\n");
});

test('parameters and the scenario’s own configs are listed; its config runs', async () => {
  const c = await catalog(file);
  const mine = c.scenarios[0];
  assert.equal(mine?.name, 'counter');
  assert.deepEqual(mine?.configs, ['default', 'no-kcsan-rt']);
  assert.deepEqual(mine?.params, [
    { name: 'n_incs', type: 'int', default: 1, min: 1, max: 3, description: 'incrementing tasks' },
    { name: 'check', type: 'bool', default: true },
    { name: 'mode', type: 'enum', default: 'plain', choices: ['plain', 'twice'] },
  ]);
  const own = c.configs.find((k) => k.name === 'no-kcsan-rt');
  assert.equal(own?.scenario, 'counter');
  assert.equal(own?.options.PREEMPT_RT, true);
  assert.equal(own?.options.KCSAN, false);
  // The text listing.
  const out = cli(['list', '--scenario', file]).stdout;
  assert.match(out, /\n {6}--param n_incs=1 {3}\(>= 1, <= 3\) {2}incrementing tasks\n/);
  assert.match(out, /\n {6}--param mode=plain {3}\(plain \| twice\)\n/);
  assert.match(out, /\n {2}no-kcsan-rt +PREEMPT_RT, no KCSAN {3}\(defined by counter\)\n/);
  const r = await run(['n_incs=2'], 'no-kcsan-rt');
  assert.equal(r.config, 'no-kcsan-rt');
  assert.deepEqual(
    r.findings.map((f) => f.title),
    ['WARNING in counter_check'],
  );
});

test('parseValue: what each declaration type takes', () => {
  assert.deepEqual(parseValue({ type: 'int', default: 0 }, '-3'), { ok: true, value: -3 });
  assert.equal(parseValue({ type: 'int', default: 0 }, '1.5').ok, false);
  assert.equal(parseValue({ type: 'int', default: 0 }, '99999999999999999999').ok, false);
  assert.deepEqual(parseValue({ type: 'bool', default: false }, 'true'), { ok: true, value: true });
  assert.deepEqual(parseValue({ type: 'string', default: '' }, '12'), { ok: true, value: '12' });
});
