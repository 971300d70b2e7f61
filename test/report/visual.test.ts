import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runExploration } from '../../src/run/exploration.js';
import { traceToken, writeTokenVisuals } from '../../src/run/visual.js';

test('a token replayed with trace on gives the same run, recorded, and its files', async () => {
  const r = await runExploration({ scenario: 'selftest-abba', jobs: 1 });
  const f = r.findings[0];
  assert.ok(f, 'the self-test ABBA scenario has a finding');
  const run = await traceToken(f.token);
  assert.ok(run.digestMatches, 'tracing only observes: the digest is the token’s');
  assert.equal(run.report?.title, f.title);
  assert.ok(run.trace.slices.some((s) => s.kind === 'func' && s.name === 'abba_ab'));
  assert.ok(run.trace.slices.some((s) => s.kind === 'lock'));
  assert.ok(run.trace.instants.some((i) => i.kind === 'report'));
  const dir = mkdtempSync(join(tmpdir(), 'kernsim-visual-'));
  const written = await writeTokenVisuals(f.token, { trace: join(dir, 't.json'), html: join(dir, 't.html') });
  assert.equal(written.length, 2);
  assert.ok(JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')).traceEvents.length > 5);
  assert.match(readFileSync(join(dir, 't.html'), 'utf8'), /^<!doctype html>/);
});
