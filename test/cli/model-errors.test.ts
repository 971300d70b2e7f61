/** Issue 12 item 1: an exception in a scenario's setup()/finish() is a model failure (an Oops finding), never a tool crash. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API, cli, scenarioFile, tmp } from './helpers.js';

const dir = tmp();

function explore(file: string, ...more: string[]) {
  return cli(['explore', '--scenario', file, '--jobs', '1', ...more]);
}

test('setup() that throws: an Oops finding with the JS call trace, exit 1, no stack on stderr', () => {
  const f = join(dir, 'throw-setup.ts');
  writeFileSync(
    f,
    `import { defineScenario } from '${API}';\nfunction helper(): void { throw new Error('boom in setup'); }\nexport default defineScenario({ name: 'throw-setup', description: 't', variants: [], configs: ['default'], setup() { helper(); } });\n`,
  );
  const r = explore(f);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^== Oops: Error in setup\(\)$/m);
  assert.match(r.stdout, /^kernsim: scenario throw-setup: setup\(\) threw Error: boom in setup$/m);
  assert.match(r.stdout, /^Call Trace:\n helper \(throw-setup\.ts:\d+:\d+\)/m);
  assert.match(r.stdout, /^FOUND 1 finding: finished the bounded search/m);
  const j = explore(f, '--json');
  assert.equal(j.status, 1);
  const out = JSON.parse(j.stdout);
  assert.equal(out.results[0].findings[0].title, 'Oops: Error in setup()');
  // The finding's token replays it.
  const rp = cli(['replay', out.results[0].findings[0].token]);
  assert.equal(rp.status, 1, rp.stderr);
  assert.match(rp.stdout, /setup\(\) threw Error: boom in setup/);
});

test('async setup() that throws: a finding, never "OK" first, never an unhandled rejection', () => {
  const f = scenarioFile(dir, 'async-setup.ts', "  async setup() { await null; throw new Error('late boom'); },");
  const r = explore(f);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.doesNotMatch(r.stdout, /^OK/m);
  assert.match(r.stdout, /^== Oops: async setup\(\)$/m);
  assert.match(r.stdout, /setup\(\) is async: the simulated machine runs it synchronously/);
  // An async setup that throws before its first await: the same.
  const g = scenarioFile(dir, 'async-setup-sync-throw.ts', "  async setup() { throw new Error('early boom'); },");
  const r2 = explore(g);
  assert.equal(r2.status, 1, r2.stderr);
  assert.equal(r2.stderr, '');
  assert.match(r2.stdout, /^== Oops: async setup\(\)$/m);
});

test('finish() that throws (sync and async): an Oops finding of the run', () => {
  const f = scenarioFile(
    dir,
    'throw-finish.ts',
    '  setup() {},\n  finish() { const o: { x?: { y: number } } = {}; return (o.x as { y: number }).y; },',
  );
  const r = explore(f);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^== Oops: TypeError in finish\(\)$/m);
  assert.match(r.stdout, /finish\(\) threw TypeError: Cannot read properties of undefined/);
  const g = scenarioFile(dir, 'async-finish.ts', "  setup() {},\n  async finish() { throw new Error('x'); },");
  const r2 = explore(g);
  assert.equal(r2.status, 1, r2.stderr);
  assert.match(r2.stdout, /^== Oops: async finish\(\)$/m);
});

test('a setup() that does not throw is not reported', () => {
  const f = scenarioFile(dir, 'fine.ts', '  setup() {},\n  finish() {},');
  const r = explore(f);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^OK: no findings/m);
});
