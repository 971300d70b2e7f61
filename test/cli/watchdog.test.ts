/**
 * The watchdog (issue 12 item 6): a model that loops without reaching a scheduling point is
 * stopped, reported as a finding with the token of the run that hung (exit 1), and the tool
 * goes on or stops as --time says — it never hangs. A user's .ts scenario runs on a watched
 * worker thread too.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeToken } from '../../src/report/token.js';
import { runExploration } from '../../src/run/exploration.js';
import { exploreCells } from '../../src/run/matrix.js';
import { KERNEL, SIM, cli, scenarioFile, tmp } from './helpers.js';

const TITLE = 'kernsim: a task ran without a scheduling point in spin';

const IMPORTS = `import { READ_ONCE, WRITE_ONCE, shared } from '${KERNEL}/once.ts';
import { spawn_user } from '${KERNEL}/sched/core.ts';
import { kfunc } from '${SIM}';
`;

/**
 * A setter and a waiter; the waiter busy-waits, with no scheduling point, when `spins` holds for
 * the flag it read (v === 0: only when it reads before the setter writes).
 */
function spinScenario(spins: string): string {
  const file = scenarioFile(
    tmp('kernsim-watchdog-'),
    'spin.ts',
    `  setup() {
    const x = shared({ v: 0 }, 'x');
    spawn_user('setter', kfunc(function* set_flag() { yield* WRITE_ONCE(x, 'v', 1); }));
    spawn_user('waiter', kfunc(function* wait_flag() {
      const v = yield* READ_ONCE(x, 'v');
      if (${spins}) for (;;) {}
    }));
  },`,
  );
  writeFileSync(file, `${IMPORTS}${readFileSync(file, 'utf8')}`);
  return file;
}

test('explore: a run that never reaches a scheduling point is a finding with its token; exit 1, no hang', () => {
  const file = spinScenario('v === 0');
  const r = cli(['explore', '--scenario', file, '--watchdog-ms', '300', '--json'], { timeout: 90_000 });
  assert.equal(r.status, 1, r.stderr);
  const res = JSON.parse(r.stdout).results[0];
  assert.equal(res.complete, false);
  assert.match(res.incomplete_reason, /^a run was stopped by the watchdog/);
  const f = res.findings.find((x: { kind: string }) => x.kind === 'watchdog');
  assert.ok(f, r.stdout);
  assert.equal(f.title, TITLE);
  assert.match(f.report, /^watchdog: pid 2 ran \d+ ms without a scheduling point \(limit 300 ms: --watchdog-ms\)$/m);
  // The token is the run that hung: the waiter (pid 2) ran before the setter.
  const t = decodeToken(f.token);
  assert.equal(t.reportIndex, -1);
  assert.ok(t.choices.length > 0);
  // Replaying it hangs again, under the watchdog: the same report, exit 1.
  const again = cli(['replay', f.token, '--watchdog-ms', '300'], { timeout: 90_000 });
  assert.equal(again.status, 1, again.stderr);
  assert.match(again.stdout, new RegExp(`^${TITLE}\\nwatchdog: pid 2 ran \\d+ ms without a scheduling point`));
});

test('the text report names the finding; the first run (setter first) was explored and is not reported', () => {
  const file = spinScenario('v === 0');
  const r = cli(['explore', '--scenario', file, '--watchdog-ms', '300'], { timeout: 90_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`^== ${TITLE}$`, 'm'));
  assert.match(r.stdout, /^token: {2}ks1-\S+$/m);
  assert.match(r.stdout, /^INCOMPLETE: a run was stopped by the watchdog/m);
});

test('--time: after a hang the exploration goes on (other runs, in a new thread), and stops when the time is up', () => {
  const file = spinScenario('v === 0');
  const args = ['explore', '--scenario', file, '--strategy', 'random', '--budget', '100000000'];
  const r = cli([...args, '--time', '6', '--watchdog-ms', '300', '--json'], { timeout: 90_000 });
  assert.equal(r.status, 1, r.stderr);
  const res = JSON.parse(r.stdout).results[0];
  // Not stopped by the watchdog: by the time limit, with the hang among the findings (once).
  assert.match(res.incomplete_reason, /^stopped by --time after/);
  assert.deepEqual(
    res.findings.map((f: { title: string }) => f.title),
    [TITLE],
  );
});

test('a model that always hangs: the first run is reported, nothing else, and the tool ends', () => {
  const file = spinScenario('v >= 0');
  const r = cli(['explore', '--scenario', file, '--watchdog-ms', '300', '--json'], { timeout: 90_000 });
  assert.equal(r.status, 1, r.stderr);
  const res = JSON.parse(r.stdout).results[0];
  assert.deepEqual(
    res.findings.map((f: { title: string }) => f.title),
    [TITLE],
  );
});

test('a model without a hang is not reported by the watchdog (the waiter never spins)', () => {
  const file = spinScenario('false');
  const r = cli(['explore', '--scenario', file, '--watchdog-ms', '300'], { timeout: 90_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^OK: no findings in the bounded search/m);
});

test('the watched thread explores exactly what this thread does (same executions, same findings, byte for byte)', async () => {
  for (const req of [
    { scenario: 'selftest-abba' },
    { scenario: 'selftest-mutex-counter' },
    { scenario: 'mrelease', variant: 'upstream', config: 'rt', budget: 60 },
  ]) {
    const here = await runExploration({ ...req, jobs: 1 });
    const watched = await runExploration({ ...req, jobs: 1, watchdogMs: 60_000 });
    assert.equal(watched.executions, here.executions, req.scenario);
    assert.deepEqual(watched.findings, here.findings, req.scenario);
  }
});

test('many watched subtree tasks at once on two threads: the same exploration as one thread', async () => {
  // seqPhase 1: every execution a task of its own, all of a split launched together.
  const req = { scenario: 'selftest-mutex-counter', seqPhase: 1 } as const;
  const here = await runExploration({ ...req, jobs: 1 });
  const watched = await runExploration({ ...req, jobs: 2, watchdogMs: 60_000 });
  assert.equal(watched.complete, true);
  assert.equal(watched.executions, here.executions);
  assert.deepEqual(watched.findings, here.findings);
});

test('kernsim check: a cell whose run hangs is that cell’s finding, with its token; the other cells are explored', async () => {
  const hang = spinScenario('v === 0');
  const [hung, clean] = await exploreCells(
    [
      { scenario: hang, strategy: 'dpor' },
      { scenario: 'selftest-mutex-counter', strategy: 'dpor' },
    ],
    { jobs: 1, watchdogMs: 300 },
  );
  assert.ok(hung && clean);
  assert.equal(hung.complete, false);
  assert.match(hung.incomplete_reason ?? '', /^a run was stopped by the watchdog/);
  assert.deepEqual(
    hung.findings.map((f) => f.title),
    [TITLE],
  );
  assert.ok(decodeToken(hung.findings[0]?.token as string).choices.length > 0);
  assert.equal(clean.complete, true);
  assert.equal(clean.executions, 24);
});
