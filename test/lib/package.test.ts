/**
 * Packaging (issue 13): `npm pack` gives a tarball that installs into an empty project with no
 * network and runs a user's scenario there; and docs/tutorial.md's steps, run as written, in that
 * project (a fresh directory outside the checkout).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { type Installed, ROOT, installPackage, run } from './package.js';

let pkg: Installed;

before(() => {
  pkg = installPackage();
});

const LOST_UPDATE = `import { defineScenario, inFrame, kfunc, spawn_user } from 'kernsim';
import { READ_ONCE, WARN_ON, WRITE_ONCE, __READ_ONCE, mutex_init, mutex_lock, mutex_unlock, shared } from 'kernsim/kernel';

let x: { v: number };
export default defineScenario({
  name: 'counter',
  description: 'two tasks increment a counter',
  variants: [],
  configs: ['default'],
  setup() {
    x = shared({ v: 0 }, 'x');
    const m = mutex_init('&counter_lock');
    const inc = kfunc(function* counter_inc() {
      if (LOCKED) yield* mutex_lock(m);
      const v = yield* READ_ONCE(x, 'v');
      yield* WRITE_ONCE(x, 'v', v + 1);
      if (LOCKED) yield* mutex_unlock(m);
    });
    spawn_user('a', () => inc());
    spawn_user('b', () => inc());
  },
  finish() {
    inFrame('counter_check', () => WARN_ON(__READ_ONCE(x, 'v') !== 2));
  },
});
`;

test('the tarball holds the built entry points, their types, bin/ and src/; not the tests', () => {
  if (pkg.note) console.log(`# ${pkg.note}`);
  const list = execFileSync('tar', ['-tzf', pkg.tarball], { encoding: 'utf8' }).split('\n');
  for (const f of [
    'package/bin/kernsim.js',
    'package/dist/index.js',
    'package/dist/kernel/index.js',
    'package/dist/linux.js',
    'package/dist/run/index.js',
    'package/dist/run/worker.js',
    'package/dist/cli/main.js',
    'package/dist/types/index.d.ts',
    'package/dist/types/run/index.d.ts',
    'package/docs/verdicts.md',
  ])
    assert.ok(list.includes(f), `${f} is in the tarball`);
  assert.ok(!list.some((f) => f.startsWith('package/test/')), 'no tests in the tarball');
});

test("a .ts and a .mts scenario in a directory without package.json import 'kernsim' and run with npx kernsim", () => {
  const dir = join(pkg.dir, 'designs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'racy.ts'), LOST_UPDATE.replace(/LOCKED/g, 'false'));
  writeFileSync(join(dir, 'locked.mts'), LOST_UPDATE.replace(/LOCKED/g, 'true'));
  const racy = run('npx', ['kernsim', 'explore', '--scenario', './racy.ts'], dir);
  assert.equal(racy.status, 1, racy.stderr);
  assert.match(racy.stdout, /^== WARNING in counter_check$/m);
  assert.match(racy.stdout, /^FOUND 1 finding: finished the bounded search/m);
  const locked = run('npx', ['kernsim', 'explore', '--scenario', './locked.mts'], dir);
  assert.equal(locked.status, 0, locked.stderr);
  assert.match(locked.stdout, /^OK: no findings in the bounded search/m);
  // examples/my-scenario.ts builds on kernsim/linux (the OOM killer, KVM, the scenario helpers).
  copyFileSync(join(ROOT, 'examples/my-scenario.ts'), join(dir, 'two-reapers.ts'));
  const args = ['kernsim', 'explore', '--scenario', './two-reapers.ts', '--variant', 'v2', '--config', 'rt'];
  const ex = run('npx', [...args, '--budget', '20'], dir);
  assert.equal(ex.status, 3, ex.stderr);
  assert.match(ex.stdout, /^INCOMPLETE: stopped by --budget after 20 executions; no findings in what was explored/m);
});

test('a plain Node script (no tsx) explores through kernsim/explore and gets the typed result', () => {
  writeFileSync(
    join(pkg.dir, 'script.mjs'),
    `import { ExploreJsonSchema, explore, replay } from 'kernsim/explore';
const r = await explore('selftest-lost-update', { jobs: 1 });
ExploreJsonSchema.parse({ version: 1, results: [r] });
const again = await replay(r.findings[0].token);
console.log(JSON.stringify({ titles: r.findings.map((f) => f.title), executions: r.executions, replayed: again.finding.title }));
`,
  );
  const r = run(process.execPath, ['script.mjs'], pkg.dir);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    titles: ['WARNING in lost_update_check'],
    executions: 4,
    replayed: 'WARNING in lost_update_check',
  });
});

test("a TypeScript user gets kernsim's types: a scenario type-checks, a wrong kernel call does not", () => {
  const dir = join(pkg.dir, 'typed');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ok.ts'), LOST_UPDATE.replace(/LOCKED/g, 'true'));
  writeFileSync(
    join(dir, 'bad.ts'),
    LOST_UPDATE.replace(/LOCKED/g, 'true').replace("mutex_init('&counter_lock')", 'mutex_init(42)'),
  );
  const tsconfig = { compilerOptions: { module: 'node20', strict: true, noEmit: true, skipLibCheck: true, types: [] } };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files: ['ok.ts', 'bad.ts'] }));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir);
  assert.equal(r.status, 2, r.stdout);
  const errors = r.stdout.split('\n').filter((l) => / error TS\d+/.test(l));
  assert.equal(errors.length, 1, r.stdout);
  assert.match(errors[0] as string, /^bad\.ts\(\d+,\d+\): error TS2345: Argument of type 'number' is not assignable/);
});

/** The fenced block of docs/tutorial.md whose info string is `ts NAME`. */
function block(doc: string, name: string): string {
  const m = new RegExp(`\`\`\`ts ${name.replace('.', '\\.')}\\n([\\s\\S]*?)\\n\`\`\``).exec(doc);
  assert.ok(m, `docs/tutorial.md has a \`\`\`ts ${name} block`);
  return `${m[1]}\n`;
}

test("docs/tutorial.md's steps, as written, in a fresh project outside the checkout", () => {
  const doc = readFileSync(join(ROOT, 'docs/tutorial.md'), 'utf8');
  const dir = pkg.dir;
  const say = (cmd: string) => assert.ok(doc.includes(`\n${cmd}\n`), `the tutorial says \`${cmd}\``);
  // 1. Install: done by installPackage() (offline, from the packed tarball), as `npm install kernsim` would.
  say('npm install kernsim');
  // 2. Write the scenario.
  const file = block(doc, 'lookup-table.ts');
  writeFileSync(join(dir, 'lookup-table.ts'), file);
  // 3. Explore: the use-after-free, exit status 1.
  say('npx kernsim explore --scenario ./lookup-table.ts');
  const found = run('npx', ['kernsim', 'explore', '--scenario', './lookup-table.ts'], dir);
  assert.equal(found.status, 1, found.stderr);
  // 4. The report reads as the tutorial shows it.
  assert.match(found.stdout, /^== BUG: KASAN: slab-use-after-free in table_lookup$/m);
  for (const line of ['Read of size 8 at addr ffff888000100008 by task reader/2', ' table_insert', ' table_delete'])
    assert.ok(found.stdout.includes(`\n${line}\n`) && doc.includes(`\n${line}\n`), line);
  assert.match(found.stdout, /^FOUND 1 finding: finished the bounded search/m);
  const token = /^token: {2}(ks1-\S+)$/m.exec(found.stdout)?.[1];
  assert.ok(token, 'the finding has a token');
  // 5. Replay the token: the same report, byte for byte.
  say('npx kernsim replay TOKEN');
  const replayed = run('npx', ['kernsim', 'replay', token], dir);
  assert.equal(replayed.status, 1, replayed.stderr);
  const report = found.stdout.slice(
    found.stdout.indexOf('==================================================================\nBUG'),
  );
  assert.ok(report.startsWith(replayed.stdout.replace(/\n$/, '')), 'replay prints the report explore printed');
  // 6. The timeline.
  say('npx kernsim replay TOKEN --html timeline.html');
  const html = run('npx', ['kernsim', 'replay', token, '--html', 'timeline.html'], dir);
  assert.equal(html.status, 1, html.stderr);
  const page = readFileSync(join(dir, 'timeline.html'), 'utf8');
  assert.match(page, /^<!doctype html>/i);
  assert.ok(page.includes('slab-use-after-free in table_lookup'));
  // 7. Fix the design: table_delete replaced by the tutorial's.
  const fix = block(doc, 'fix');
  const start = file.indexOf('const table_delete');
  const end = file.indexOf('\n});\n', start) + 5;
  assert.ok(start >= 0 && end > start);
  writeFileSync(join(dir, 'lookup-table.ts'), `${file.slice(0, start)}${fix}${file.slice(end)}`);
  // 8. Clean.
  const clean = run('npx', ['kernsim', 'explore', '--scenario', './lookup-table.ts'], dir);
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /^OK: no findings in the bounded search \(preemption bound 2, fault budget 1\)/m);
  assert.ok(doc.includes('OK: no findings in the bounded search (preemption bound 2, fault budget 1)'));
  // The token of the first file is refused now (its content changed), in one line.
  const stale = run('npx', ['kernsim', 'replay', token], dir);
  assert.equal(stale.status, 2);
  assert.match(
    stale.stderr,
    /^kernsim: .*refusing to run .*lookup-table\.ts: its content .* is not the file the token was made from/,
  );
});
