/** Issue 12 item 10: check --jobs capped at the cores; --trace without a finding; the title of the explore page. */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { capJobs } from '../../src/cli/check.js';
import { cli, files, tmp } from './helpers.js';

test('capJobs: at most the cores, unless forced, and says so', () => {
  assert.deepEqual(capJobs(2, false, 4), { jobs: 2 });
  assert.deepEqual(capJobs(8, true, 2), { jobs: 8 });
  assert.deepEqual(capJobs(8, false, 2), {
    jobs: 2,
    note: "--jobs 8 capped at 2, the machine's cores (--force-jobs runs 8 threads)",
  });
});

test('check --jobs above the cores: capped with one line on stderr', () => {
  const n = availableParallelism() + 6;
  const r = cli([
    'check',
    '--scenario',
    'simple-kvm-reap',
    '--variant',
    'upstream',
    '--config',
    'nonrt',
    '--jobs',
    String(n),
  ]);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  assert.equal(
    r.stderr,
    `kernsim: --jobs ${n} capped at ${availableParallelism()}, the machine's cores (--force-jobs runs ${n} threads)\n`,
  );
});

test('--trace without a finding writes the run without preemptions or faults, and says so', () => {
  const d = tmp();
  const t = join(d, 't.json');
  const r = cli(['explore', '--scenario', 'selftest-mutex-counter', '--jobs', '1', '--trace', t]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `kernsim: no finding: ${t} has the scenario's run without preemptions or faults\n`);
  const j = JSON.parse(readFileSync(t, 'utf8'));
  assert.ok(Array.isArray(j.traceEvents) && j.traceEvents.length > 0);
  assert.deepEqual(files(d), ['t.json']);
});

test('the explore page of several findings is titled after the exploration', () => {
  const d = tmp();
  const h = join(d, 'm.html');
  const r = cli(['explore', '--scenario', 'selftest-abba', '--jobs', '1', '--html', h]);
  assert.equal(r.status, 1, r.stderr);
  const title = /<title>([^<]*)<\/title>/.exec(readFileSync(h, 'utf8'))?.[1];
  assert.match(title ?? '', /^kernsim explore: selftest-abba default: \d+ findings$/);
});
