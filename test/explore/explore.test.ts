import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import { runExploration } from '../../src/run/exploration.js';
import { replayToken } from '../../src/run/replay.js';
import { runnerFor } from '../../src/run/session.js';
import { specFor } from '../../src/run/spec.js';
import { Meter } from '../../src/explore/common.js';
import { Dpor } from '../../src/explore/dpor.js';
import { explore, replayRun } from '../../src/explore/explorer.js';
import { pctBound, PctSearch } from '../../src/explore/pct.js';
import { RandomSearch, RandomWalk, runRng } from '../../src/explore/random.js';
import { Replay } from '../../src/explore/replay.js';
import { TokenError, decodeToken, encodeToken } from '../../src/report/token.js';

const unbounded = { preemptions: -1, shrink: false, jobs: 1 } as const;

async function dporRun(scenario: string, preemptions = -1) {
  const spec = await specFor(scenario, undefined, undefined, []);
  return explore(new Dpor({ preemptions, faults: 0 }), runnerFor(spec), {
    scenario,
    fresh: () => runnerFor(spec),
  });
}

test('dpor explores exactly the optimal number of executions on the self-tests', async () => {
  for (const [name, n] of [
    ['selftest-independent', 1],
    ['selftest-lost-update', 4],
    ['selftest-mutex-counter', 24],
    ['selftest-abba', 3],
  ] as const) {
    const r = await dporRun(name);
    assert.equal(r.executions, n, name);
    assert.equal(r.complete, true, name);
    assert.equal(r.abandoned, 0, name);
    // The same with the default preemption bound (2).
    assert.equal((await dporRun(name, 2)).executions, n, `${name} at bound 2`);
  }
});

test('lost update: the WARN is found and its token replays it byte for byte', async () => {
  const r = await runExploration({ scenario: 'selftest-lost-update', ...unbounded, shrink: true });
  assert.equal(r.executions, 4);
  assert.equal(r.complete, true);
  const f = r.findings.find((x) => x.title === 'WARNING in lost_update_check');
  assert.ok(f, JSON.stringify(r.findings.map((x) => x.title)));
  assert.equal(f.kind, 'warn');
  for (const tok of [f.token, f.shrunk_token]) {
    const out = await replayToken(tok);
    assert.equal(out.report?.title, f.title);
    assert.equal(out.report?.text, f.report);
  }
  assert.ok(f.shrunk.preemptions <= 1);
});

test('mutex counter: no findings; independent writers: one execution, no findings', async () => {
  const r = await runExploration({ scenario: 'selftest-mutex-counter', ...unbounded });
  assert.deepEqual([r.executions, r.complete, r.findings.length], [24, true, 0]);
  const i = await runExploration({ scenario: 'selftest-independent', ...unbounded });
  assert.deepEqual([i.executions, i.complete, i.findings.length], [1, true, 0]);
});

test('abba: the lockdep cycle and the deadlock are found, each token replays its report', async () => {
  const r = await runExploration({ scenario: 'selftest-abba', ...unbounded });
  const lockdep = r.findings.find((f) =>
    f.title.startsWith('WARNING: possible circular locking dependency detected in'),
  );
  const dead = r.findings.find((f) => f.title.startsWith('DEADLOCK: circular wait in'));
  assert.ok(lockdep && dead, JSON.stringify(r.findings.map((f) => f.title)));
  assert.equal(lockdep.kind, 'lockdep');
  assert.equal(dead.kind, 'deadlock');
  for (const f of [lockdep, dead]) {
    const out = await replayToken(f.token);
    assert.equal(out.report?.title, f.title);
    assert.equal(out.report?.text, f.report);
  }
});

test('--jobs 1 and --jobs 2 give the same findings and execution counts (forced subtree split)', async () => {
  for (const scenario of ['selftest-mutex-counter', 'selftest-lost-update', 'selftest-abba']) {
    const a = await runExploration({ scenario, ...unbounded, jobs: 1, seqPhase: 2 });
    const b = await runExploration({ scenario, ...unbounded, jobs: 2, seqPhase: 2 });
    assert.equal(a.executions, b.executions, scenario);
    assert.deepEqual(
      a.findings.map((f) => [f.title, f.token]),
      b.findings.map((f) => [f.title, f.token]),
      scenario,
    );
    assert.equal(a.complete, true);
  }
  const ra = await runExploration({
    scenario: 'selftest-lost-update',
    strategy: 'random',
    budget: 150,
    jobs: 1,
    shrink: false,
  });
  const rb = await runExploration({
    scenario: 'selftest-lost-update',
    strategy: 'random',
    budget: 150,
    jobs: 2,
    shrink: false,
  });
  assert.deepEqual(
    ra.findings.map((f) => f.token),
    rb.findings.map((f) => f.token),
  );
  assert.equal(ra.executions, 150);
  assert.equal(ra.complete, false);
});

test('budget stops dpor with complete: false and a reason', async () => {
  const r = await runExploration({ scenario: 'selftest-mutex-counter', ...unbounded, budget: 5 });
  assert.equal(r.complete, false);
  assert.equal(r.executions, 5);
  assert.match(r.incomplete_reason ?? '', /--budget after 5 executions/);
});

test('tokens: round trip, malformed and stale tokens are rejected', async () => {
  const t = {
    scenario: 's',
    variant: 'v2',
    config: 'rt',
    overrides: { a: 1, b: true },
    prelude: [[1]],
    choices: [0, 2, 1],
    reportIndex: 0,
    digest: '0123456789abcdef',
  };
  const tok = encodeToken(t);
  assert.match(tok, /^ks1-[A-Za-z0-9_-]+$/);
  assert.deepEqual(decodeToken(tok), t);
  assert.throws(() => decodeToken('ks1-!!!'), TokenError);
  assert.throws(() => decodeToken('hello'), TokenError);
  assert.throws(() => decodeToken(`ks1-${Buffer.from('{"s":1}').toString('base64url')}`), /malformed token/);
  assert.throws(() => decodeToken('ks9-abc'), /version 9/);
  const r = await runExploration({ scenario: 'selftest-lost-update', ...unbounded });
  const good = decodeToken((r.findings[0] as { token: string }).token);
  await assert.rejects(
    replayToken(encodeToken({ ...good, digest: 'ffffffffffffffff' })),
    /token does not fit the current model/,
  );
  await assert.rejects(
    replayToken(encodeToken({ ...good, choices: [7, 7, 7] })),
    /token does not fit the current model/,
  );
  await assert.rejects(
    replayToken(encodeToken({ ...good, choices: [...good.choices, 1] })),
    /token does not fit the current model/,
  );
});

test('non-determinism in a model is reported as a finding', () => {
  let flip = 0;
  // A fake model whose digest changes on every run.
  const run = (s: import('../../src/sim/index.js').Strategy) => {
    s.choose({ kind: 'schedule', enabled: [1, 2], current: -1, currentEnabled: false, step: 0, unstarted: [] });
    return {
      end: 'done' as const,
      steps: 1,
      choices: [1],
      reports: [],
      digest: (flip++).toString(16).padStart(16, '0'),
      timeNs: 0,
      cut: false,
    };
  };
  const r = explore(new Dpor({ preemptions: -1, faults: 0 }), run, { scenario: 'fake', fresh: () => run });
  assert.equal(r.findings[0]?.title, 'kernsim: non-deterministic model in fake');
  assert.equal(r.findings[0]?.kind, 'oops');
  assert.equal(r.complete, false);
});

test('pct: probability bound and k learnt from earlier runs', async () => {
  assert.equal(pctBound(2, 100, 1), 0.5);
  assert.equal(pctBound(4, 1000, 2), 1 / 4000);
  const spec = await specFor('selftest-lost-update', undefined, undefined, []);
  const s = new PctSearch({ seed: 3, depth: 2, faults: 0 });
  const r = explore(s, runnerFor(spec), { scenario: 'x', budget: 50 });
  assert.ok(r.findings.some((f) => f.title === 'WARNING in lost_update_check'));
  assert.ok(s.k >= 2 && s.n === 2, `k=${s.k} n=${s.n}`);
  assert.equal(s.probabilityBound(), pctBound(s.n, s.k, 2));
});

test('property: any recorded random run replays identically', async () => {
  const runs = await Promise.all(
    ['selftest-lost-update', 'selftest-mutex-counter', 'selftest-abba'].map(async (n) =>
      runnerFor(await specFor(n, undefined, undefined, [])),
    ),
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 << 30 }), (which, seed) => {
      const run = runs[which] as (typeof runs)[number];
      const r = run(new RandomWalk(runRng(seed, 0), 1));
      const again = replayRun(run, r.choices);
      assert.equal(again.mismatch, null);
      assert.equal(again.result?.digest, r.digest);
      assert.deepEqual(
        again.result?.reports.map((x) => x.text),
        r.reports.map((x) => x.text),
      );
    }),
    { numRuns: 60 },
  );
});

test('property: dpor finds every finding random finds on the self-tests', async () => {
  const names = ['selftest-lost-update', 'selftest-mutex-counter', 'selftest-abba'];
  const dporTitles = new Map<string, Set<string>>();
  for (const n of names) dporTitles.set(n, new Set((await dporRun(n)).findings.map((f) => f.title)));
  const specs = await Promise.all(names.map((n) => specFor(n, undefined, undefined, [])));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 << 30 }), (which, seed) => {
      const spec = specs[which] as (typeof specs)[number];
      const r = explore(new RandomSearch({ seed, faults: 0 }), runnerFor(spec), { scenario: 'p', budget: 5 });
      // lockdep reports a cycle once per session, titled after whichever task closes it first,
      // so for lockdep compare the headline only.
      const head = (t: string) => (t.startsWith('WARNING: possible circular') ? t.replace(/ in .*$/, '') : t);
      const want = new Set([...(dporTitles.get(names[which] as string) ?? [])].map(head));
      for (const f of r.findings) assert.ok(want.has(head(f.title)), f.title);
    }),
    { numRuns: 30 },
  );
});

test('replay strategy rejects a choice that does not fit', () => {
  const rp = new Replay([5]);
  assert.throws(
    () => rp.choose({ kind: 'schedule', enabled: [1, 2], current: 1, currentEnabled: true, step: 0, unstarted: [] }),
    /not enabled/,
  );
  const m = new Meter(new Replay([2]));
  assert.equal(
    m.choose({ kind: 'schedule', enabled: [1, 2], current: 1, currentEnabled: true, step: 0, unstarted: [] }),
    2,
  );
  assert.equal(m.preemptions, 1);
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['bin/kernsim.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
}

test('CLI: exit codes, JSON schema, replay, malformed token, summary of an incomplete search', () => {
  const ok = cli('explore', '--scenario', 'selftest-mutex-counter', '--jobs', '1');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /OK: no findings in the bounded search/);
  const bad = cli('explore', '--scenario', 'no-such-scenario');
  assert.equal(bad.status, 2);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  const inc = cli('explore', '--scenario', 'selftest-mutex-counter', '--jobs', '1', '--budget', '3');
  assert.equal(inc.status, 3, 'an incomplete exploration without findings exits 3');
  assert.match(inc.stdout, /INCOMPLETE: stopped by --budget after 3 executions; no findings in what was explored/);
  assert.doesNotMatch(inc.stdout, /\bOK\b/);
  const found = cli('explore', '--scenario', 'selftest-lost-update', '--jobs', '1', '--json');
  assert.equal(found.status, 1, found.stderr);
  const j = JSON.parse(found.stdout);
  assert.equal(j.version, 1);
  const res = j.results[0];
  for (const k of ['scenario', 'variant', 'config', 'strategy', 'executions', 'complete', 'findings'])
    assert.ok(k in res, k);
  const f = res.findings[0];
  for (const k of ['title', 'kind', 'token', 'report']) assert.ok(k in f, k);
  const rep = cli('replay', f.token);
  assert.equal(rep.status, 1);
  assert.equal(rep.stdout, `${f.report.replace(/\n$/, '')}\n`);
  const mal = cli('replay', 'ks1-@@@');
  assert.equal(mal.status, 2);
  assert.equal(mal.stderr.trim().split('\n').length, 1);
});
