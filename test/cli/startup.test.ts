/**
 * Issue 11 (start-up): the commands load zod only where a schema is used. `kernsim list`,
 * `--help` and an exploration of a built-in scenario load none of it; decoding a token (replay)
 * and checking a user file's declarations do. Every module the command loads is recorded by a
 * preloaded module: an ES module loader hook for imports, require.cache at exit for require().
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { API, BIN, ROOT, tmp } from './helpers.js';

const dir = tmp('kernsim-startup-');
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, 'import ' + r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'loads.mjs'),
  `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const out = process.env.KERNSIM_TEST_LOADS;
register(new URL('./hooks.mjs', import.meta.url), { data: { out } });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(out, Object.keys(cache).map((k) => 'require ' + k + '\\n').join('')));
`,
);

let n = 0;

/** Runs bin/kernsim.js with the recorder: its exit status and every module it loaded. */
function loads(args: readonly string[]): { status: number | null; stderr: string; stdout: string; modules: string[] } {
  const out = join(dir, `loads-${n++}.txt`);
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'loads.mjs')).href, BIN, ...args], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', KERNSIM_TEST_LOADS: out },
  });
  return {
    status: r.status,
    stderr: r.stderr,
    stdout: r.stdout,
    modules: readFileSync(out, 'utf8').split('\n').filter(Boolean),
  };
}

const zod = (modules: readonly string[]) => modules.filter((m) => /[\\/]node_modules[\\/]zod[\\/]/.test(m));

test('kernsim list and --help load no zod (the recorder sees the CLI itself)', () => {
  for (const args of [['list'], ['list', '--json'], ['--help'], ['explore', '--help']]) {
    const r = loads(args);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      r.modules.some((m) => /cli[\\/]main\.(js|ts)$/.test(m)),
      `the recorder saw kernsim's modules (${args.join(' ')})`,
    );
    assert.deepEqual(zod(r.modules), [], `kernsim ${args.join(' ')} loads no zod`);
  }
});

test('an exploration of a built-in scenario loads no zod; replaying its token does', () => {
  const e = loads(['explore', '--scenario', 'selftest-lost-update', '--jobs', '1', '--json']);
  assert.equal(e.status, 1, e.stderr);
  assert.deepEqual(zod(e.modules), [], 'explore loads no zod');
  const token = JSON.parse(e.stdout).results[0].findings[0].token as string;
  const r = loads(['replay', token]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /WARNING: .* lost_update_check\n/);
  assert.notDeepEqual(zod(r.modules), [], 'the token is checked with zod');
  // A token that is not one is refused by the same schema: one line, exit 2.
  const bad = loads(['replay', 'ks1-eyJzIjoxfQ']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^kernsim: malformed token: s: /);
});

test("a user file's declared knob is checked with zod when the file loads", () => {
  const file = join(dir, 'knobbed.ts');
  writeFileSync(
    file,
    `import { defineScenario, defineVariant } from '${API}';
export default defineScenario({
  name: 'knobbed', description: 'a variant with a declared knob', configs: ['default'],
  variants: [defineVariant({ name: 'k', description: 'k', knobs: { n: { type: 'int', default: 2, min: 1 } } })],
  setup() {},
} as never);
`,
  );
  const r = loads(['list', '--scenario', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const knob = JSON.parse(r.stdout).variants.find((v: { name: string }) => v.name === 'k')?.knobs[0];
  assert.deepEqual(knob, { name: 'n', type: 'int', default: 2, min: 1 });
  assert.notDeepEqual(zod(r.modules), [], 'the declaration was checked with zod');
  const bad = join(dir, 'bad-knob.ts');
  writeFileSync(bad, readFileSync(file, 'utf8').replace('default: 2, min: 1', 'default: 0, min: 1'));
  const b = loads(['list', '--scenario', bad]);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /knob 'n': the default is below min/);
});

test("a user file that imports 'kernsim' by name and declares nothing loads no zod", () => {
  const file = join(dir, 'plain.ts');
  writeFileSync(
    file,
    `import { defineScenario } from 'kernsim';
export default defineScenario({ name: 'plain', description: 'no declarations', variants: [], configs: ['default'], setup() {} });
`,
  );
  const r = loads(['explore', '--scenario', file, '--jobs', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(
    r.modules.some((m) => m.endsWith('/plain.ts')),
    'the recorder saw the file load',
  );
  assert.deepEqual(zod(r.modules), [], 'explore --scenario FILE loads no zod');
});

test('the library loads one zod: replay() checks the token with the copy its schemas are made with', () => {
  // bin/kernsim.js rebuilds dist/ when a source is newer; the script imports the built entry.
  assert.equal(loads(['list']).status, 0);
  const script = join(dir, 'library-replay.mjs');
  writeFileSync(
    script,
    `import { explore, replay } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/run/index.js')).href)};
const r = await explore('selftest-lost-update', { jobs: 1 });
const again = await replay(r.findings[0].token);
if (again.finding?.title !== r.findings[0].title) throw new Error('replay gave ' + again.finding?.title);
`,
  );
  const out = join(dir, `loads-${n++}.txt`);
  writeFileSync(out, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'loads.mjs')).href, script], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', KERNSIM_TEST_LOADS: out },
  });
  assert.equal(r.status, 0, r.stderr);
  const z = zod(readFileSync(out, 'utf8').split('\n').filter(Boolean));
  assert.ok(
    z.some((m) => m.startsWith('import ')),
    'the schemas load zod as an ES module',
  );
  assert.deepEqual(
    z.filter((m) => m.startsWith('require ')),
    [],
    'and nothing loads a second copy through require()',
  );
});
