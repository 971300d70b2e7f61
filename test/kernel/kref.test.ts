import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WarnEvent } from '../../src/kernel/events.js';
import {
  KREF_INIT,
  REFCOUNT_INIT,
  REFCOUNT_SATURATED,
  kref_get,
  kref_get_unless_zero,
  kref_put,
  kref_read,
  refcount_dec_and_test,
  refcount_inc,
  refcount_inc_not_zero,
} from '../../src/kernel/kref.js';
import { shared } from '../../src/kernel/once.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { kfunc } from '../../src/sim/index.js';
import { bootWith, dporOutcomes, ofType, runClean } from './helpers.js';

test('kref: get/put, release on the last put', () => {
  const { k, events } = bootWith();
  const o = shared({ ref: KREF_INIT(1), released: 0 }, 'struct obj');
  const puts: number[] = [];
  spawn_user('t', function* () {
    yield* kref_get(o.ref);
    assert.equal(yield* kref_read(o.ref), 2);
    puts.push(yield* kref_put(o.ref, () => void o.released++));
    puts.push(yield* kref_put(o.ref, () => void o.released++));
    assert.equal(yield* kref_get_unless_zero(o.ref), false);
  });
  runClean(k);
  assert.deepEqual(puts, [0, 1]);
  assert.equal(o.released, 1);
  assert.equal(ofType(events, 'warn').length, 0);
});

test('refcount underflow WARNs "refcount_t: underflow; use-after-free." and saturates', () => {
  const { k, events } = bootWith();
  const r = shared(REFCOUNT_INIT(1), 'refcount');
  const drop = kfunc(function* mmdrop_twice() {
    assert.equal(yield* refcount_dec_and_test(r), true);
    assert.equal(yield* refcount_dec_and_test(r), false);
  });
  spawn_user('t', function* () {
    yield* drop();
  });
  runClean(k);
  const w = ofType<WarnEvent>(events, 'warn');
  assert.equal(w.length, 1);
  assert.equal(w[0]?.message, 'refcount_t: underflow; use-after-free.');
  assert.equal(`${w[0]?.file}:${w[0]?.line}`, 'lib/refcount.c:28');
  assert.equal(r.refs, REFCOUNT_SATURATED);
});

test('refcount_inc on 0 WARNs "addition on 0"; inc_not_zero on 0 fails silently', () => {
  const { k, events } = bootWith();
  const r = shared(REFCOUNT_INIT(0), 'refcount');
  let ok = true;
  spawn_user('t', function* () {
    ok = yield* refcount_inc_not_zero(r);
    yield* refcount_inc(r);
  });
  runClean(k);
  assert.equal(ok, false);
  assert.deepEqual(
    ofType<WarnEvent>(events, 'warn').map((e) => e.message),
    ['refcount_t: addition on 0; use-after-free.'],
  );
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('a refcount_t outside tracked memory: DPOR reaches both orders of a put and a get_unless_zero', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const o = { ref: KREF_INIT(1) }; // a plain struct: only the refcount's own id orders the operations
    spawn_user('putter', function* () {
      seen.add(`put released=${yield* kref_put(o.ref, () => {})}`);
    });
    spawn_user('getter', function* () {
      seen.add(`got=${yield* kref_get_unless_zero(o.ref)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['got=false', 'got=true', 'put released=0', 'put released=1']);
});

test('kref get/put from two tasks under KCSAN: atomic (marked) accesses, no data race', () => {
  const { result } = dporOutcomes(
    () => {
      const o = shared({ ref: KREF_INIT(1) }, 'struct obj');
      for (const name of ['a', 'b']) {
        spawn_user(name, function* () {
          yield* kref_get(o.ref);
          yield* kref_put(o.ref, () => {});
        });
      }
    },
    { KCSAN: true },
  );
  assert.equal(result.complete, true);
  assert.deepEqual(
    result.findings.map((f) => f.title),
    [],
  );
});
