/** Issue 12 item 9: every error is one line on stderr, exit 2. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { API, cli, scenarioFile, tmp } from './helpers.js';

const dir = tmp();

function oneLine(r: { status: number | null; stderr: string; stdout: string }, line: string | RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  if (typeof line === 'string') assert.equal(r.stderr, `${line}\n`);
  else assert.match(r.stderr, line);
}

test("commander's errors: one line and a hint of --help", () => {
  oneLine(cli(['frob']), "kernsim: unknown command 'frob' (see 'kernsim --help')");
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--bogus']),
    "kernsim: unknown option '--bogus' (see 'kernsim explore --help')",
  );
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--budget', 'x']),
    "kernsim: option '--budget <n>' argument 'x' is invalid. expected an integer >= 1 (see 'kernsim explore --help')",
  );
  oneLine(cli(['replay']), "kernsim: missing required argument 'token' (see 'kernsim replay --help')");
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--strategy', 'bfs']),
    /^kernsim: option '--strategy <name>' argument 'bfs' is invalid\. Allowed choices are dpor, pct, random\. \(see 'kernsim explore --help'\)\n$/,
  );
});

test('an option that takes one value, given twice, is refused', () => {
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--strategy', 'dpor', '--strategy=pct']),
    'kernsim: --strategy given 2 times (it takes one value)',
  );
  oneLine(
    cli(['check', '--scenario', 'simple-kvm-reap', '--jobs', '1', '--jobs', '2']),
    'kernsim: --jobs given 2 times (it takes one value)',
  );
});

test('a TypeScript syntax error in a scenario names file:line:col and the message', () => {
  const f = join(dir, 'syntax.ts');
  writeFileSync(
    f,
    `import { defineScenario } from '${API}';\nconst x: number = ;\nexport default defineScenario({} as never);\n`,
  );
  oneLine(
    cli(['explore', '--scenario', f]),
    `kernsim: cannot load scenario file ${f}: ${f}:2:18: error: Unexpected ";"`,
  );
});

test('a .ts scenario beside a CommonJS package.json loads as an ES module', () => {
  const sub = join(dir, 'cjs');
  mkdirSync(sub);
  writeFileSync(join(sub, 'package.json'), '{ "type": "commonjs" }\n');
  const f = scenarioFile(sub, 'esm.ts', '  setup() {},');
  const r = cli(['explore', '--scenario', f, '--jobs', '1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^OK: no findings/m);
});

test('a top-level await that never settles is reported, not a silent exit 13', () => {
  const f = join(dir, 'tla.ts');
  writeFileSync(
    f,
    `import { defineScenario } from '${API}';\nawait new Promise(() => {});\nexport default defineScenario({} as never);\n`,
  );
  oneLine(
    cli(['explore', '--scenario', f]),
    `kernsim: scenario file ${f} never finished loading (a top-level await that never settles)`,
  );
});

test('a scenario file without a default scenario, or of another kind, is refused', () => {
  const f = join(dir, 'none.ts');
  writeFileSync(f, 'export const x = 1;\n');
  oneLine(
    cli(['explore', '--scenario', f]),
    `kernsim: scenario file ${f} has no default export made with defineScenario()`,
  );
  const g = join(dir, 'notes.txt');
  writeFileSync(g, '');
  oneLine(cli(['explore', '--scenario', g]), `kernsim: scenario file ${g}: not a .ts/.js/.mjs/.mts file`);
});

test('--variant and --set on a scenario without variants are refused', () => {
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--variant', 'v2']),
    "kernsim: scenario 'selftest-abba' has no variants: --variant 'v2' does not apply",
  );
  oneLine(
    cli(['explore', '--scenario', 'selftest-abba', '--set', 'oom_fast_path=true']),
    "kernsim: scenario 'selftest-abba' has no variants: --set oom_fast_path does not apply (no knobs)",
  );
  oneLine(
    cli([
      'explore',
      '--scenario',
      'destroy-race',
      '--variant',
      'v2',
      '--set',
      'idempotent_detach=true',
      '--set',
      'idempotent_detach=false',
    ]),
    'kernsim: --set idempotent_detach given twice',
  );
});
