/**
 * Issue 12 item 7: a token of a user scenario stores the file's absolute path and content hash;
 * replay loads only a regular .ts/.js/.mjs/.mts file with that content (else says which file and
 * why, and needs --scenario FILE), from any working directory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { replayToken } from '../../src/run/replay.js';
import { decodeToken, encodeToken } from '../../src/report/token.js';
import { API, ROOT, cli, tmp } from './helpers.js';

const dir = tmp();
const file = join(dir, 'lost.ts');
writeFileSync(
  file,
  `import { selftestLostUpdate } from '${pathToFileURL(join(ROOT, 'src/scenarios/selftest.ts')).href}';
import { defineScenario } from '${API}';
export default defineScenario({ ...selftestLostUpdate, name: 'lost' });
`,
);

function tokenOf(args: string[], cwd: string): string {
  const r = cli(['explore', ...args, '--jobs', '1', '--json', '--no-shrink'], { cwd });
  assert.equal(r.status, 1, r.stderr);
  return JSON.parse(r.stdout).results[0].findings[0].token;
}

const craft = (s: string) =>
  encodeToken({
    scenario: s,
    scenarioHash: '0'.repeat(32),
    variant: undefined,
    config: 'default',
    overrides: {},
    prelude: [],
    choices: [],
    reportIndex: -1,
    digest: '0'.repeat(16),
  });

test('a user-scenario token made with a relative path replays from any working directory', () => {
  const token = tokenOf(['--scenario', './lost.ts'], dir);
  const t = decodeToken(token);
  assert.equal(t.scenario, file);
  assert.match(t.scenarioHash ?? '', /^[0-9a-f]{32}$/);
  for (const cwd of ['/', ROOT]) {
    const r = cli(['replay', token], { cwd });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /x = 1, expected 2/);
  }
});

test('a changed scenario file is refused (which file, why); --scenario FILE replays it', () => {
  const copy = join(dir, 'changed.ts');
  execFileSync('cp', [file, copy]);
  const token = tokenOf(['--scenario', copy], dir);
  appendFileSync(copy, '// edited\n');
  const r = cli(['replay', token]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(
      `^kernsim: refusing to run ${copy.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: its content \\(sha256 [0-9a-f]{32}\\) is not the file the token was made from \\([0-9a-f]{32}\\); give the scenario with --scenario FILE\\n$`,
    ),
  );
  assert.equal(r.stdout, '');
  const ok = cli(['replay', token, '--scenario', copy]);
  assert.equal(ok.status, 1, ok.stderr);
  assert.match(ok.stdout, /x = 1, expected 2/);
});

test('tokens naming a device, a FIFO, a directory, another kind of file or a relative path are refused without opening them', async () => {
  const fifo = join(dir, 'fifo.ts');
  execFileSync('mkfifo', [fifo]);
  mkdirSync(join(dir, 'd.ts'));
  symlinkSync('/dev/zero', join(dir, 'zero.ts'));
  const cases: [string, string][] = [
    ['/dev/zero', 'scenario file /dev/zero: not a .ts/.js/.mjs/.mts file'],
    [fifo, `scenario file ${fifo} is not a regular file`],
    [join(dir, 'zero.ts'), `scenario file ${join(dir, 'zero.ts')} is not a regular file`],
    [join(dir, 'd.ts'), `scenario file ${join(dir, 'd.ts')} is not a regular file`],
    ['/etc/passwd', 'scenario file /etc/passwd: not a .ts/.js/.mjs/.mts file'],
    [join(dir, 'missing.ts'), `scenario file ${join(dir, 'missing.ts')} does not exist`],
  ];
  // The first through the CLI (the line and the status), the rest in-process (the same message).
  const r = cli(['replay', craft(fifo)], { timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(
    r.stderr,
    `kernsim: not loading the token's scenario: scenario file ${fifo} is not a regular file; give the scenario with --scenario FILE\n`,
  );
  for (const [s, why] of cases)
    await assert.rejects(replayToken(craft(s)), {
      name: 'UsageError',
      message: `not loading the token's scenario: ${why}; give the scenario with --scenario FILE`,
    });
  const rel = cli(['replay', craft('./lost.ts')]);
  assert.equal(rel.status, 2);
  assert.equal(
    rel.stderr,
    'kernsim: the token names the scenario file ./lost.ts by a relative path, so it is not loaded; give the scenario with --scenario FILE\n',
  );
  const noHash = encodeToken({ ...decodeToken(craft(file)), scenarioHash: undefined });
  const nh = cli(['replay', noHash]);
  assert.equal(nh.status, 2);
  assert.match(nh.stderr, /without its content hash, so it is not loaded; give the scenario with --scenario FILE\n$/);
});
