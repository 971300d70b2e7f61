/** `kernsim list --json` (and --scenario FILE): the catalog as one JSON object, validated by its schema. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatalogJsonSchema } from '../../src/run/catalog.js';
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

test("list --scenario FILE --json: the user's scenario comes first, with its file", () => {
  const dir = tmp();
  const file = scenarioFile(dir, 'mine.ts', '  setup() {},');
  const r = cli(['list', '--scenario', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const c = CatalogJsonSchema.parse(JSON.parse(r.stdout));
  assert.equal(c.scenarios[0]?.name, 'mine');
  assert.equal(c.scenarios[0]?.file, file);
  const text = cli(['list', '--scenario', file]);
  assert.match(text.stdout, new RegExp(`^  mine +test +\\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm'));
});

test('list --scenario of a missing file: one line, exit 2', () => {
  const r = cli(['list', '--scenario', './no-such-file.ts']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'kernsim: scenario file ./no-such-file.ts does not exist\n');
});
