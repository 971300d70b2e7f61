/**
 * Issue 12 item 5: Ctrl-C (SIGINT/SIGTERM) stops at the next run boundary and prints the partial
 * result (INCOMPLETE, what was covered, the findings so far with their tokens; valid JSON with
 * --json), exit 130; a second one exits at once. The CLI runs as a child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { decodeToken } from '../../src/report/token.js';
import { pathToFileURL } from 'node:url';
import { API, BIN, ROOT, files, tmp } from './helpers.js';

const dir = tmp();
const MARK = join(dir, 'started');
/** mrelease (a long exploration) as a user scenario whose setup() leaves a mark: the exploration has begun. */
const SCENARIO = join(dir, 'long.ts');
writeFileSync(
  SCENARIO,
  `import { writeFileSync } from 'node:fs';
import { mrelease } from '${pathToFileURL(join(ROOT, 'src/scenarios/mrelease.ts')).href}';
import { defineScenario } from '${API}';
export default defineScenario({ ...mrelease, setup(ctx) { writeFileSync(${JSON.stringify(MARK)}, ''); mrelease.setup(ctx); } });
`,
);

/** Spawns the CLI, waits until it explores (plus `after` ms), sends the signals. */
async function interrupted(
  args: readonly string[],
  signals: readonly NodeJS.Signals[],
  after = 1000,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  rmSync(MARK, { force: true });
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  if (args[0] === 'explore') {
    for (let i = 0; i < 1200 && !existsSync(MARK); i++) await sleep(50);
    assert.ok(existsSync(MARK), 'the exploration started');
    await sleep(after);
  } else {
    // `check` runs built-in scenarios only: time enough to start (its cells run for minutes).
    await sleep(6000);
  }
  for (const s of signals) child.kill(s);
  const status = await done;
  return { status, stdout, stderr };
}

const LONG = ['explore', '--scenario', SCENARIO, '--variant', 'upstream', '--config', 'rt'];

test('explore: SIGINT prints the partial result, exit 130', { timeout: 120_000 }, async () => {
  const d = tmp();
  const r = await interrupted([...LONG, '--jobs', '1', '--html', join(d, 'x.html')], ['SIGINT']);
  assert.equal(r.status, 130, r.stderr);
  assert.match(
    r.stdout,
    /^INCOMPLETE: interrupted after (\d+) executions \([\d.]+ s\); [^\n]*: \1 executions, \d+ steps/m,
  );
  for (const t of r.stdout.matchAll(/^token: {2}(\S+)$/gm)) decodeToken(t[1] as string);
  assert.equal(
    r.stderr,
    'kernsim: SIGINT: stopping at the next run boundary to print what was explored (again to exit now)\nkernsim: interrupted: --trace/--html not written\n',
  );
  assert.deepEqual(files(d), [], 'no partial file');
});

test('explore --json: SIGTERM prints valid JSON of what was explored, exit 130', { timeout: 120_000 }, async () => {
  const r = await interrupted([...LONG, '--json', '--jobs', '2'], ['SIGTERM']);
  assert.equal(r.status, 130, r.stderr);
  const j = JSON.parse(r.stdout);
  const res = j.results[0];
  assert.equal(res.complete, false);
  assert.match(res.incomplete_reason, /^interrupted after \d+ executions/);
  for (const f of res.findings) {
    assert.equal(decodeToken(f.token).scenario, SCENARIO);
    assert.equal(f.shrunk_token, f.token, 'no shrinking after Ctrl-C');
  }
});

test('check --json --jobs 2: SIGINT reaches the worker threads; every cell printed, exit 130', {
  timeout: 120_000,
}, async () => {
  const r = await interrupted(
    [
      'check',
      '--scenario',
      'mrelease',
      '--variant',
      'upstream',
      '--config',
      'rt',
      '--config',
      'nonrt',
      '--jobs',
      '2',
      '--json',
    ],
    ['SIGINT'],
  );
  assert.equal(r.status, 130, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.results.length, 2);
  assert.ok(
    j.results.some(
      (c: { complete: boolean; incomplete_reason?: string }) =>
        !c.complete && /^interrupted/.test(c.incomplete_reason ?? ''),
    ),
  );
});

test('check (text): SIGINT prints the matrix with the interrupted cells, exit 130', { timeout: 120_000 }, async () => {
  const r = await interrupted(
    ['check', '--scenario', 'mrelease', '--variant', 'upstream', '--config', 'rt', '--jobs', '1'],
    ['SIGINT'],
  );
  assert.equal(r.status, 130, r.stderr);
  assert.match(r.stdout, /INCOMPLETE: interrupted after \d+ executions/);
  assert.match(r.stdout, /^1 cells: /m);
});

test('a second Ctrl-C exits at once', { timeout: 120_000 }, async () => {
  const r = await interrupted([...LONG, '--jobs', '1'], ['SIGINT', 'SIGINT'], 500);
  assert.equal(r.status, 130);
});
