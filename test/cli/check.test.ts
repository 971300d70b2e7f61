import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatCheck } from '../../src/cli/check.js';
import { type ExplorationRequest, runExploration } from '../../src/run/exploration.js';
import { exploreCells, runCheck } from '../../src/run/matrix.js';
import { parseVerdicts } from '../../src/run/verdicts.js';
import { UsageError } from '../../src/scenarios/index.js';

const SPLAT = 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start';

function verdictsFile(rows: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'kernsim-verdicts-'));
  const file = join(dir, 'verdicts.md');
  writeFileSync(
    file,
    [
      '# Verdicts',
      '',
      '## Verdict matrix',
      '',
      '| scenario | variant | config | faults | expected |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      '## Reasoning',
      'prose',
    ].join('\n'),
  );
  return file;
}

test('parseVerdicts reads the matrix table and rejects a malformed one', () => {
  const cells = parseVerdicts(
    '## Verdict matrix\n\n| scenario | variant | config | faults | expected |\n|---|---|---|---|---|\n| s | v | rt | 1 | `B`<br>`A` |\n| s | v | nonrt | 2 | clean |\n',
  );
  assert.deepEqual(cells.get('s/v/rt')?.titles, ['A', 'B']);
  assert.equal(cells.get('s/v/nonrt')?.faults, 2);
  assert.deepEqual(cells.get('s/v/nonrt')?.titles, []);
  assert.throws(() => parseVerdicts('# nothing here'), UsageError);
  assert.throws(() => parseVerdicts('## Verdict matrix\n| scenario | variant |\n|---|---|\n| a | b |\n'), UsageError);
});

test('check: upstream simple-kvm-reap matches the syzbot splat on rt and is clean on nonrt', async () => {
  const file = verdictsFile([
    `| simple-kvm-reap | upstream | rt | 1 | \`${SPLAT}\` |`,
    '| simple-kvm-reap | upstream | nonrt | 1 | clean |',
  ]);
  const r = await runCheck({
    scenarios: ['simple-kvm-reap'],
    variants: ['upstream'],
    configs: ['rt', 'nonrt'],
    verdicts: file,
    jobs: 1,
  });
  assert.equal(r.cells.length, 2);
  assert.equal(r.matched, 2);
  for (const c of r.cells) assert.ok(c.result.complete);
  const text = formatCheck(r);
  assert.match(text, /clean, complete within bound/);
  assert.match(text, /2 cells: 2 match docs\/verdicts\.md, 0 differ/);
  assert.match(text, /Findings \(replay one with: kernsim replay TOKEN; [^\n]*\n {2}BUG: sleeping function/);
  assert.match(text, / ks1-/);
});

test('check: a wrong expectation is a DIFF, and nothing reads like a pass', async () => {
  const file = verdictsFile(['| simple-kvm-reap | upstream | rt | 1 | clean |']);
  const r = await runCheck({
    scenarios: ['simple-kvm-reap'],
    variants: ['upstream'],
    configs: ['rt'],
    verdicts: file,
    jobs: 1,
  });
  assert.equal(r.matched, 0);
  const text = formatCheck(r);
  assert.match(text, / DIFF /);
  assert.match(text, /expected: clean/);
  assert.match(text, /1 cells: 0 match docs\/verdicts\.md, 1 differ/);
});

test('kernsim check: exit 1 on a mismatch, 3 when every cell matches but one is incomplete, 2 on bad input', () => {
  const bad = verdictsFile(['| simple-kvm-reap | upstream | rt | 1 | clean |']);
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/kernsim.js', 'check', ...args], {
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '../..'),
    });
  const diff = run(
    '--scenario',
    'simple-kvm-reap',
    '--variant',
    'upstream',
    '--config',
    'rt',
    '--verdicts',
    bad,
    '--jobs',
    '1',
  );
  assert.equal(diff.status, 1, diff.stderr);
  const unknown = run('--variant', 'no-such-variant');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^kernsim: unknown variant 'no-such-variant'/);
  assert.equal(unknown.stdout, '');
  // Every cell matches, but a sampled cell (an execution budget) is not complete: exit 3.
  const sampledDir = mkdtempSync(join(tmpdir(), 'kernsim-verdicts-'));
  const sampled = join(sampledDir, 'verdicts.md');
  writeFileSync(
    sampled,
    [
      '## Verdict matrix',
      '',
      '| scenario | variant | config | faults | budget | expected |',
      '|---|---|---|---|---|---|',
      '| simple-kvm-reap | upstream | nonrt | 1 | 5 | clean |',
      '',
    ].join('\n'),
  );
  const inc = run(
    '--scenario',
    'simple-kvm-reap',
    '--variant',
    'upstream',
    '--config',
    'nonrt',
    '--verdicts',
    sampled,
    '--jobs',
    '1',
  );
  assert.equal(inc.status, 3, inc.stdout + inc.stderr);
  const missing = run('--verdicts', '/nonexistent/verdicts.md');
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /cannot read \/nonexistent\/verdicts\.md/);
});

test('check: the cells share one pool, and each cell is what explore gives it, whatever --jobs', async () => {
  // Three cells (one with findings) and a watchdog: every cell's tasks go to the one pool.
  const reqs: readonly ExplorationRequest[] = [
    { scenario: 'simple-kvm-reap', variant: 'upstream', config: 'rt', strategy: 'dpor', faults: 1 },
    { scenario: 'simple-kvm-reap', variant: 'v2', config: 'nonrt', strategy: 'dpor', faults: 1 },
    { scenario: 'selftest-mutex-counter', strategy: 'dpor', seqPhase: 5 },
  ];
  const untimed = (r: object): string => JSON.stringify({ ...r, elapsed_ms: 0, jobs: 0 });
  const one = await exploreCells(reqs, { jobs: 1, watchdogMs: 60_000 });
  const two = await exploreCells(reqs, { jobs: 2, watchdogMs: 60_000 });
  const inline = await exploreCells(reqs, { jobs: 1 });
  for (let i = 0; i < reqs.length; i++) {
    const alone = await runExploration({ ...(reqs[i] as ExplorationRequest), jobs: 1 });
    for (const r of [one[i], two[i], inline[i]]) {
      assert.ok(r);
      assert.equal(untimed(r), untimed(alone), `cell ${i}`);
    }
    assert.equal(one[i]?.jobs, 1);
    assert.equal(two[i]?.jobs, 2);
  }
  assert.ok((one[0]?.findings.length ?? 0) > 0, 'the upstream rt cell has its finding');
  assert.equal(one[2]?.executions, 24);
});
