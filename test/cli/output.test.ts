/** Issue 12 item 3: output paths are checked before exploring; files are written atomically; symlinks are never replaced. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOutputPaths } from '../../src/cli/output.js';
import { UsageError } from '../../src/scenarios/index.js';
import { cli, files, tmp } from './helpers.js';

const EXPLORE = ['explore', '--scenario', 'selftest-lost-update', '--jobs', '1'];

test('bad --html/--trace paths: one line, exit 2, nothing explored, nothing written', () => {
  const d = tmp();
  mkdirSync(join(d, 'sub'));
  writeFileSync(join(d, 'target.html'), 'keep me');
  symlinkSync(join(d, 'target.html'), join(d, 'link.html'));
  writeFileSync(join(d, 'plain'), '');
  const cases: [string[], string][] = [
    [
      ['--html', join(d, 'nodir/x.html')],
      `kernsim: --html ${join(d, 'nodir/x.html')}: directory ${join(d, 'nodir')} does not exist`,
    ],
    [['--trace', join(d, 'sub')], `kernsim: --trace ${join(d, 'sub')} is a directory`],
    [
      ['--html', join(d, 'link.html')],
      `kernsim: --html ${join(d, 'link.html')} is a symbolic link: not replacing it (give the path of its target, or remove the link)`,
    ],
    [
      ['--html', join(d, 'plain/x.html')],
      `kernsim: --html ${join(d, 'plain/x.html')}: ${join(d, 'plain')} is not a directory`,
    ],
    [
      ['--trace', join(d, 'a.json'), '--html', join(d, 'a.json')],
      `kernsim: --trace and --html name the same file ${join(d, 'a.json')}`,
    ],
  ];
  for (const [args, line] of cases) {
    const r = cli([...EXPLORE, ...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, `${line}\n`);
    assert.equal(r.stdout, '', 'nothing explored');
  }
  const c = cli(['check', '--scenario', 'simple-kvm-reap', '--html', join(d, 'sub')]);
  assert.equal(c.status, 2);
  assert.equal(c.stderr, `kernsim: --html ${join(d, 'sub')} is a directory\n`);
  assert.equal(c.stdout, '');
  const rp = cli(['replay', 'ks1-AAAA', '--trace', join(d, 'link.html')]);
  assert.equal(rp.status, 2);
  assert.match(rp.stderr, /is a symbolic link: not replacing it/);
  assert.equal(readFileSync(join(d, 'target.html'), 'utf8'), 'keep me');
  assert.deepEqual(files(d), ['link.html', 'plain', 'sub', 'target.html']);
});

test('an unwritable directory is refused before exploring', {
  skip: process.getuid?.() === 0 && 'root can write anywhere',
}, () => {
  const d = tmp();
  const ro = join(d, 'ro');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  assert.throws(() => checkOutputPaths({ '--html': join(ro, 'x.html') }), /is not writable/);
});

test('written files are whole and no temporary file is left', () => {
  const d = tmp();
  const html = join(d, 'out.html');
  const trace = join(d, 'out.json');
  writeFileSync(html, 'old');
  const r = cli([...EXPLORE, '--html', html, '--trace', trace]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(readFileSync(html, 'utf8'), /^<!doctype html>/i);
  assert.match(readFileSync(html, 'utf8'), /<\/html>\s*$/);
  JSON.parse(readFileSync(trace, 'utf8'));
  assert.deepEqual(files(d), ['out.html', 'out.json']);
});

test('checkOutputPaths accepts a new file in a writable directory and an existing regular file', () => {
  const d = tmp();
  writeFileSync(join(d, 'old.html'), '');
  checkOutputPaths({ '--html': join(d, 'new.html'), '--trace': join(d, 'old.html'), '--out': undefined });
  assert.throws(() => checkOutputPaths({ '--html': '' }), UsageError);
});
