/**
 * Issue 12: fuzzing the user's inputs in-process. Malformed tokens (10,000+) and malformed
 * --set / option combinations (1,000+) give a TokenError or UsageError, never another exception
 * or a hang; a token is accepted only when it replays the run it was made from.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { runExploration } from '../../src/run/exploration.js';
import { replayToken } from '../../src/run/replay.js';
import { specFor } from '../../src/run/spec.js';
import { TokenError, decodeToken, encodeToken } from '../../src/report/token.js';
import { UsageError } from '../../src/scenarios/index.js';

const bad = (e: unknown) => e instanceof TokenError || e instanceof UsageError;

async function replayOrReject(token: string): Promise<'accepted' | 'rejected'> {
  try {
    const out = await replayToken(token);
    // Accepted: it must be the run it was made from (the digest is the run's, the report is there).
    const t = decodeToken(token);
    assert.equal(out.digest, t.digest, token);
    if (t.reportIndex >= 0) assert.ok(out.report, token);
    return 'accepted';
  } catch (e) {
    if (!bad(e)) throw e;
    return 'rejected';
  }
}

const PROTO = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'prototype'];
const name = fc.oneof(
  fc.constantFrom('selftest-lost-update', 'destroy-race', 'v2', 'rt', 'default', 'nonrt', '', ...PROTO),
  fc.string({ maxLength: 12 }),
);

test('10,000+ malformed tokens: rejected with a TokenError/UsageError or replayed exactly', {
  timeout: 120_000,
}, async () => {
  const made = await runExploration({ scenario: 'selftest-lost-update', jobs: 1, preemptions: -1, faults: 0 });
  const good = made.findings[0]?.token as string;
  const g = decodeToken(good);
  assert.equal(await replayOrReject(good), 'accepted');
  const payload = JSON.parse(Buffer.from(good.slice(4), 'base64url').toString('utf8')) as Record<string, unknown>;
  const enc = (o: unknown) => `ks1-${Buffer.from(JSON.stringify(o) ?? 'null').toString('base64url')}`;
  let n = 0;
  let accepted = 0;
  const count = async (t: string) => {
    n++;
    if ((await replayOrReject(t)) === 'accepted') accepted++;
  };
  // Arbitrary strings, with and without the prefix.
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string(),
        fc.string().map((s) => `ks1-${s}`),
        fc.base64String().map((s) => `ks1-${s}`),
      ),
      count,
    ),
    { numRuns: 3000, seed: 1 },
  );
  // Any JSON in a well-formed envelope, and the good payload with one field replaced by anything.
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), (v) => count(enc(v))),
    { numRuns: 2000, seed: 2 },
  );
  const field = fc.constantFrom('s', 'v', 'c', 'k', 'p', 'x', 'r', 'd', 'h', 'q', ...PROTO);
  await fc.assert(
    fc.asyncProperty(field, fc.oneof(fc.anything(), name, fc.array(fc.integer({ min: -2, max: 4 }))), (f, v) =>
      count(enc({ ...payload, [f]: v })),
    ),
    { numRuns: 3000, seed: 3 },
  );
  // Structured mutations of a valid token: other choices, report index, digest, knobs, names.
  const mutated = fc.record({
    choices: fc.oneof(fc.constant(g.choices), fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 8 })),
    reportIndex: fc.integer({ min: -1, max: 3 }),
    digest: fc.oneof(fc.constant(g.digest), fc.stringMatching(/^[0-9a-f]{16}$/)),
    prelude: fc.oneof(fc.constant([] as number[][]), fc.array(fc.array(fc.nat(3), { maxLength: 4 }), { maxLength: 2 })),
    scenario: fc.oneof(fc.constant(g.scenario), name),
    config: fc.oneof(fc.constant(g.config), name),
    overrides: fc.oneof(fc.constant({}), fc.dictionary(name, fc.oneof(fc.string(), fc.integer(), fc.boolean()))),
  });
  await fc.assert(
    fc.asyncProperty(mutated, (m) => count(encodeToken({ ...g, ...m, variant: undefined, scenarioHash: undefined }))),
    { numRuns: 2500, seed: 4 },
  );
  // Bit flips of the good token's text.
  await fc.assert(
    fc.asyncProperty(fc.nat(good.length - 1), fc.string({ minLength: 1, maxLength: 1 }), (i, c) =>
      count(good.slice(0, i) + c + good.slice(i + 1)),
    ),
    { numRuns: 500, seed: 5 },
  );
  assert.ok(n >= 10_000, `${n} tokens`);
  assert.ok(accepted < n / 10, `${accepted} of ${n} accepted`);
});

test('1,000+ malformed --set / option combinations: a UsageError or a valid spec, never another exception', {
  timeout: 120_000,
}, async () => {
  const setArg = fc.oneof(
    fc.string({ maxLength: 16 }),
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom('alloc_fail', 'idempotent_detach', 'destroy_check_locked', ...PROTO),
          fc.string({ maxLength: 6 }),
        ),
        fc.oneof(
          fc.constantFrom('true', 'false', '1', '-1', 'x', '', 'detach_no_cb', '1e3', '0x10'),
          fc.string({ maxLength: 6 }),
        ),
      )
      .map(([k, v]) => `${k}=${v}`),
  );
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constant('destroy-race'), fc.constant('selftest-lost-update'), name),
      fc.option(name, { nil: undefined }),
      fc.option(name, { nil: undefined }),
      fc.array(setArg, { maxLength: 4 }),
      async (scenario, variant, config, sets) => {
        n++;
        try {
          const spec = await specFor(scenario, variant, config, sets);
          for (const [k, v] of Object.entries(spec.overrides)) {
            assert.ok(spec.variant && Object.hasOwn(spec.variant.knobs, k), k);
            assert.equal(typeof v, typeof spec.variant.knobs[k]);
          }
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
        }
      },
    ),
    { numRuns: 1000, seed: 6 },
  );
  // Numeric options and strategies as the CLI would pass them (only bad ones reach an exploration's start).
  const num = fc.oneof(
    fc.integer({ min: -3, max: 3 }),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, 2 ** 53),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        strategy: fc.constantFrom('dpor', 'pct', 'random', 'bfs', '', 'constructor'),
        preemptions: num,
        faults: num,
        budget: fc.oneof(fc.constant(1), num),
        seed: num,
        depth: num,
        timeLimitS: fc.option(num, { nil: undefined }),
      }),
      async (o) => {
        n++;
        try {
          const r = await runExploration({
            scenario: 'selftest-independent',
            jobs: 1,
            ...o,
            strategy: o.strategy as 'dpor',
            budget: Math.min(2, o.budget),
          });
          assert.ok(r.executions <= 2);
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
        }
      },
    ),
    { numRuns: 300, seed: 7 },
  );
  assert.ok(n >= 1_000);
});
