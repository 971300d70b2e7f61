/**
 * The sharding commands as a CI matrix runs them: `kernsim explore|check --shard i/N --out FILE`
 * on separate processes, then `kernsim merge FILE…`, whose text and --json output are the
 * unsharded run's (the elapsed time aside); bad --shard values, outputs a shard does not write
 * and a missing shard are one line and exit 2.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, tmp } from '../cli/helpers.js';
import { sameJson } from './helpers.js';

const CELL = ['--scenario', 'simple-kvm-reap', '--variant', 'v2', '--config', 'rt', '--jobs', '1', '--no-shrink'];
const noTime = (s: string) => s.replace(/, [0-9.]+ s(;|$)/gm, '$1').replace(/executions in [0-9.]+ s/, 'executions');

test('explore --shard i/3 --out, then merge: the unsharded text and JSON', () => {
  const dir = tmp('kernsim-shard-cli-');
  const files = [1, 2, 3].map((i) => join(dir, `s${i}.ndjson`));
  files.forEach((f, i) => {
    const r = cli(['explore', ...CELL, '--shard', `${i + 1}/3`, '--out', f]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      new RegExp(`^kernsim: shard ${i + 1}/3: \\d+ tasks?, \\d+ executions in [0-9.]+ s, written to `),
    );
  });
  const one = cli(['explore', ...CELL, '--json']);
  const merged = cli(['merge', ...files, '--json']);
  assert.equal(merged.status, one.status, merged.stderr);
  assert.equal(sameJson(JSON.parse(merged.stdout)), sameJson(JSON.parse(one.stdout)));
  const text = cli(['merge', ...files]);
  assert.equal(noTime(text.stdout), noTime(cli(['explore', ...CELL]).stdout));
  const missing = cli(['merge', files[0] as string, files[2] as string]);
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr, 'kernsim: merge: shard 2/3 missing (given 2 of 3)\n');
  assert.equal(missing.stdout, '');
});

test('check --shard i/2, then merge: the unsharded check', () => {
  const dir = tmp('kernsim-shard-cli-');
  const cells = ['--scenario', 'simple-kvm-reap', '--variant', 'upstream', '--jobs', '1'];
  const files = [1, 2].map((i) => join(dir, `c${i}.ndjson`));
  for (const [i, f] of files.entries())
    assert.equal(cli(['check', ...cells, '--shard', `${i + 1}/2`, '--out', f]).status, 0);
  const one = cli(['check', ...cells, '--json']);
  const merged = cli(['merge', ...files, '--json']);
  assert.equal(merged.status, one.status, merged.stderr);
  assert.equal(sameJson(JSON.parse(merged.stdout)), sameJson(JSON.parse(one.stdout)));
  assert.equal(noTime(cli(['merge', ...files]).stdout), noTime(cli(['check', ...cells]).stdout));
});

test('bad --shard values, a shard asked for pictures, an output that cannot be written: one line, exit 2', () => {
  const dir = tmp('kernsim-shard-cli-');
  const cases: [string[], string][] = [
    [['--shard', '0/3'], "--shard expects i/N with 1 <= i <= N (as in --shard 2/5), got '0/3'"],
    [['--shard', '4/3'], "--shard expects i/N with 1 <= i <= N (as in --shard 2/5), got '4/3'"],
    [['--shard', 'two'], "--shard expects i/N with 1 <= i <= N (as in --shard 2/5), got 'two'"],
    [
      ['--shard', '1/2', '--html', join(dir, 'x.html')],
      '--html is not written by a shard: merge the shards’ files with kernsim merge',
    ],
    [
      ['--shard', '1/2', '--out', join(dir, 'no/such/dir.ndjson')],
      `--out ${join(dir, 'no/such/dir.ndjson')}: directory ${join(dir, 'no/such')} does not exist`,
    ],
    [
      ['--shard', '1/2', '--budget', '10'],
      '--budget with dpor explores one task (its first N executions), which is not spread over shards or a fleet: drop --budget, or use pct/random',
    ],
  ];
  for (const [args, line] of cases) {
    const r = cli(['explore', ...CELL, ...args]);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `kernsim: ${line}\n`);
    assert.equal(r.stdout, '');
  }
  assert.ok(!existsSync(join(dir, 'x.html')));
  const notShard = join(dir, 'x.html');
  const r = cli(['merge', notShard]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kernsim: merge: cannot read .*x\.html \(ENOENT\)\n$/);
});
