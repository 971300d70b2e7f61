/** `kernsim list --json` (and --scenario FILE): the catalog as one JSON object, validated by its schema. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogJsonSchema } from '../../src/report/json.js';
import { cli, scenarioFile, tmp } from './helpers.js';

test('list --json: scenarios with params, variants with knobs and choices, configs with options', () => {
  const r = cli(['list', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const c = CatalogJsonSchema.parse(JSON.parse(r.stdout));
  const mrelease = c.scenarios.find((s) => s.name === 'mrelease');
  assert.ok(mrelease, 'mrelease is listed');
  assert.equal(mrelease.file, null);
  assert.ok(mrelease.variants.includes('v2'));
  assert.deepEqual(mrelease.params, []);
  const v2 = c.variants.find((v) => v.name === 'v2');
  const alloc = v2?.knobs.find((k) => k.name === 'alloc_fail');
  assert.deepEqual(alloc?.choices, ['stale_oom_list', 'detach_no_cb', 'stay_attached']);
  assert.equal(alloc?.type, 'string');
  const rt = c.configs.find((k) => k.name === 'rt');
  assert.equal(rt?.options.PREEMPT_RT, true);
  assert.equal(c.configs.find((k) => k.name === 'nonrt')?.options.PREEMPT_RT, false);
});

test('list --scenario FILE --json: that scenario, with its file and (empty) parameters', () => {
  const dir = tmp();
  const file = scenarioFile(dir, 'mine.ts', '  setup() {},');
  const r = cli(['list', '--scenario', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const c = CatalogJsonSchema.parse(JSON.parse(r.stdout));
  assert.deepEqual(c.scenarios, [
    { name: 'mine', description: 'test', file, variants: [], configs: ['default'], params: [] },
  ]);
  assert.ok(
    c.variants.some((v) => v.name === 'v2'),
    'the built-in variants are listed beside it',
  );
  const one = CatalogJsonSchema.parse(JSON.parse(cli(['list', '--scenario', 'mrelease', '--json']).stdout));
  assert.deepEqual(
    one.scenarios.map((s) => s.name),
    ['mrelease'],
  );
});

test('list --scenario of a missing file: one line, exit 2', () => {
  const r = cli(['list', '--scenario', './no-such-file.ts']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kernsim: scenario file ./no-such-file.ts does not exist\n');
});
