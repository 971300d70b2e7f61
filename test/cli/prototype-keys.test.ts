/** Issue 12 item 2: every lookup by a user-given name uses own properties: prototype keys are bad input (one line, exit 2). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCheck } from '../../src/run/matrix.js';
import { runExploration } from '../../src/run/exploration.js';
import { replayToken } from '../../src/run/replay.js';
import { TokenError } from '../../src/report/token.js';
import { UsageError } from '../../src/scenarios/index.js';
import { cli } from './helpers.js';

const KEYS = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__'];
const enc = (o: unknown) => `ks1-${Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)).toString('base64url')}`;

test('--set <prototype key>=x: one line, exit 2 (explore and check, any --jobs)', () => {
  const r = cli([
    'explore',
    '--scenario',
    'destroy-race',
    '--variant',
    'v2',
    '--config',
    'rt',
    '--set',
    'constructor=x',
  ]);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "kernsim: unknown knob 'constructor' for variant 'v2' (see 'kernsim list')\n");
  assert.equal(r.stdout, '');
  const c = cli([
    'check',
    '--scenario',
    'destroy-race',
    '--variant',
    'v2',
    '--config',
    'rt',
    '--config',
    'nonrt',
    '--set',
    '__proto__=1',
    '--jobs',
    '2',
  ]);
  assert.equal(c.status, 2);
  assert.equal(c.stderr, "kernsim: unknown knob '__proto__' for variant 'v2' (see 'kernsim list')\n");
});

test('prototype keys as knob, variant, config and scenario names are UsageErrors (in-process)', async () => {
  for (const k of KEYS) {
    const base = { scenario: 'destroy-race', variant: 'v2', config: 'rt', jobs: 1, budget: 1 };
    await assert.rejects(runExploration({ ...base, sets: [`${k}=x`] }), UsageError);
    await assert.rejects(runExploration({ ...base, sets: [`${k}=1`] }), UsageError);
    await assert.rejects(runExploration({ ...base, variant: k }), UsageError);
    await assert.rejects(runExploration({ ...base, config: k }), UsageError);
    await assert.rejects(runExploration({ ...base, scenario: k }), UsageError);
    await assert.rejects(runCheck({ scenarios: [k], jobs: 1 }), UsageError);
    await assert.rejects(runCheck({ variants: [k], jobs: 1 }), UsageError);
    await assert.rejects(runCheck({ configs: [k], jobs: 1 }), UsageError);
  }
});

test('tokens naming prototype keys are refused (never a TypeError)', async () => {
  for (const k of KEYS) {
    const base = { s: 'destroy-race', v: 'v2', c: 'rt', x: [], r: -1, d: '0000000000000000' };
    for (const t of [
      { ...base, s: k },
      { ...base, v: k },
      { ...base, c: k },
      `{"s":"destroy-race","v":"v2","c":"rt","x":[],"r":-1,"d":"0000000000000000","k":{"${k}":"x"}}`,
      `{"s":"destroy-race","v":"v2","c":"rt","x":[],"r":-1,"d":"0000000000000000","${k}":{}}`,
    ]) {
      await assert.rejects(replayToken(enc(t)), (e: unknown) => e instanceof UsageError || e instanceof TokenError);
    }
  }
  await assert.rejects(
    replayToken(
      enc('{"s":"destroy-race","v":"v2","c":"rt","x":[],"r":-1,"d":"0000000000000000","k":{"__proto__":"x"}}'),
    ),
    /knob name '__proto__' is not allowed/,
  );
});
