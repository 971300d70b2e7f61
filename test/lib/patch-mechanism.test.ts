/**
 * The mechanism under definePatch: named kfunc overrides per machine (sim/frames.ts), and the
 * checks defineVariant/definePatch make of a user's definitions (one-line UsageErrors).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import { WARN_ON } from '../../src/kernel/bug.js';
import { kthread_run } from '../../src/kernel/kthread.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { createSession, execute } from '../../src/run/session.js';
import { resolveSpec } from '../../src/run/spec.js';
import {
  caller,
  definePatch,
  defineScenario,
  defineVariant,
  variantKnobs,
  variantSourceHash,
} from '../../src/scenarios/api.js';
import { UsageError, checkPatches, installPatches } from '../../src/scenarios/index.js';
import { FirstChoice, type KGen, current, isKfuncName, kfunc, setKfuncOverrides } from '../../src/sim/index.js';

/** A model function, and its caller: a kernel thread and a user task both call it. */
const patch_target_fn = kfunc(function* patch_target_fn(x: number): KGen<number> {
  return x + 1;
});
const patch_caller_fn = kfunc(function* patch_caller_fn(x: number): KGen<number> {
  return yield* patch_target_fn(x);
});

function runBoth(patched: boolean): {
  results: number[];
  frames: string[][];
  callers: string[];
  titles: string[];
  reports: string[];
} {
  const k = boot(makeConfig(), { strategy: new FirstChoice(), maxSteps: 1000 });
  installCheckers(k.machine, makeConfig(), createCheckState());
  const results: number[] = [];
  const frames: string[][] = [];
  const callers: string[] = [];
  if (patched)
    installPatches(
      k.machine,
      defineVariant({
        name: 'mech-test',
        description: 'test',
        patches: [
          definePatch<[number], number>({
            name: 'double-it',
            function: 'patch_target_fn',
            *body(original, x) {
              frames.push([...current().frames]);
              callers.push(caller() ?? '?');
              WARN_ON(x === 2, 'test.c:1');
              // call through, then change the result
              return (yield* original(x)) * 10;
            },
          }),
        ],
      }),
    );
  kthread_run(function* kworker() {
    results.push(yield* patch_caller_fn(1));
  }, 'kworker');
  spawn_user('user', () =>
    (function* user() {
      results.push(yield* patch_caller_fn(2));
    })(),
  );
  const r = k.machine.run();
  return {
    results,
    frames,
    callers,
    titles: r.reports.map((x) => x.title),
    reports: r.reports.map((x) => x.text),
  };
}

test('a patch runs for every caller (a kernel thread and a user task), in the patched function frame', () => {
  const plain = runBoth(false);
  assert.deepEqual(plain.results.sort(), [2, 3]);
  assert.deepEqual(plain.titles, []);
  const p = runBoth(true);
  assert.deepEqual(
    p.results.sort((a, b) => a - b),
    [20, 30],
  );
  // The replaced function keeps its name: the frame stack is caller, then the patched name.
  for (const f of p.frames) assert.deepEqual(f.slice(-2), ['patch_caller_fn', 'patch_target_fn']);
  assert.deepEqual(p.callers, ['patch_caller_fn', 'patch_caller_fn']);
  assert.deepEqual(p.titles, ['WARNING in patch_target_fn']);
  assert.match(p.reports[0] as string, /patch_target_fn\n patch_caller_fn/);
});

test('a machine without the table runs the original after a patched one', () => {
  runBoth(true);
  assert.deepEqual(runBoth(false).results.sort(), [2, 3]);
});

test('setKfuncOverrides refuses a name no kfunc carries', () => {
  const k = boot(makeConfig(), { strategy: new FirstChoice(), maxSteps: 10 });
  assert.equal(isKfuncName('patch_target_fn'), true);
  assert.equal(isKfuncName('no_such_function_anywhere'), false);
  assert.throws(() => setKfuncOverrides(k.machine, new Map([['no_such_function_anywhere', patch_target_fn as never]])));
});

test('a patch naming a function that does not exist is a one-line UsageError', () => {
  const v = defineVariant({
    name: 'bad-patch',
    description: 'test',
    patches: [definePatch({ name: 'typo', function: 'mmu_notifier_unregistr', *body() {} })],
  });
  assert.throws(
    () => checkPatches(v),
    (e: unknown) =>
      e instanceof UsageError &&
      !e.message.includes('\n') &&
      e.message.startsWith(
        "patch 'typo' of variant 'bad-patch' replaces 'mmu_notifier_unregistr', but no model function",
      ),
  );
});

test('definePatch refuses an async body and a bad function name', () => {
  assert.throws(
    () => definePatch({ name: 'a', function: 'patch_target_fn', body: (async () => {}) as never }),
    (e: unknown) => e instanceof UsageError && /body must be a generator function/.test(e.message),
  );
  assert.throws(
    () => definePatch({ name: 'a', function: 'not a name', *body() {} }),
    (e: unknown) => e instanceof UsageError && /function must name a model function/.test(e.message),
  );
});

test('two patches of one function compose: the later wraps the earlier', () => {
  const k = boot(makeConfig(), { strategy: new FirstChoice(), maxSteps: 1000 });
  const add = (n: number, name: string) =>
    definePatch<[number], number>({
      name,
      function: 'patch_target_fn',
      *body(original, x) {
        return (yield* original(x)) + n;
      },
    });
  installPatches(k.machine, defineVariant({ name: 'two', description: 't', patches: [add(100, 'a'), add(1000, 'b')] }));
  let got = 0;
  spawn_user('u', () =>
    (function* u() {
      got = yield* patch_target_fn(1);
    })(),
  );
  k.machine.run();
  assert.equal(got, 1102);
});

test('defineVariant checks its definition: base, design fields and types, knob declarations', () => {
  const bad = (d: unknown, re: RegExp) =>
    assert.throws(
      () => defineVariant(d as never),
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !e.message.includes('\n'),
    );
  bad({ name: 'x', description: 'd', base: 'v9' }, /unknown base variant 'v9'/);
  bad({ name: 'v2', description: 'd' }, /a built-in variant has that name/);
  bad(
    { name: 'x', description: 'd', base: 'v2', design: { idempotnet_detach: false } },
    /'idempotnet_detach' is not a design parameter/,
  );
  bad(
    { name: 'x', description: 'd', base: 'v2', design: { idempotent_detach: 'no' } },
    /design.idempotent_detach takes a boolean/,
  );
  bad(
    { name: 'x', description: 'd', knobs: { n: { type: 'int', default: 9, max: 4 } } },
    /knob 'n': the default is above max/,
  );
  bad(
    { name: 'x', description: 'd', knobs: { m: { type: 'enum', choices: ['a'], default: 'b' } } },
    /not one of the choices/,
  );
  bad({ name: 'x', description: 'd', knobs: { 'bad-name': { type: 'bool', default: true } } }, /not an identifier/);
  // A good one inherits the base's knobs and design.
  const v = defineVariant({
    name: 'v2-locked',
    description: 'v2 with the locked destroy check',
    base: 'v2',
    design: { destroy_check_locked: true },
    knobs: { extra: { type: 'int', default: 1, min: 0, max: 3, description: 'mine' } },
  });
  assert.equal(v.base, 'v2');
  assert.equal(v.design?.oom_hook, 'v2');
  assert.equal(v.design?.destroy_check_locked, true);
  assert.equal(v.knobs.alloc_fail, 'stale_oom_list');
  assert.deepEqual(v.choices?.alloc_fail, ['stale_oom_list', 'detach_no_cb', 'stay_attached']);
  assert.equal(v.knobs.extra, 1);
  assert.match(v.sourceHash ?? '', /^[0-9a-f]{32}$/);
});

test("a variant's source hash follows its patches' source text", () => {
  const mk = (src: 'a' | 'b') =>
    defineVariant({
      name: 'h',
      description: 'd',
      patches: [
        definePatch<[number], number>({
          name: 'p',
          function: 'patch_target_fn',
          body:
            src === 'a'
              ? function* (o: (x: number) => KGen<number>, x: number) {
                  return yield* o(x);
                }
              : function* (o: (x: number) => KGen<number>, x: number) {
                  return (yield* o(x)) + 1;
                },
        }),
      ],
    });
  assert.equal(mk('a').sourceHash, mk('a').sourceHash);
  assert.notEqual(mk('a').sourceHash, mk('b').sourceHash);
  assert.notEqual(variantSourceHash({ a: 1 }), variantSourceHash({ a: 2 }));
});

test('defineScenario checks parameter declarations and config definitions', () => {
  const bad = (d: unknown, re: RegExp) =>
    assert.throws(
      () => defineScenario(d as never),
      (e: unknown) => e instanceof UsageError && re.test(e.message),
    );
  const setup = () => {};
  bad({ name: 's', setup, params: { n: { type: 'int' } } }, /scenario 's': param 'n': default/);
  bad({ name: 's', setup, params: { n: { type: 'float', default: 1 } } }, /param 'n'/);
  bad({ name: 's', setup, configs: [{ name: 'rt', description: 'x', options: {} }] }, /already a named config/);
  bad(
    { name: 's', setup, configs: [{ name: 'c', description: 'x', options: { PREEMT_RT: true } }] },
    /'PREEMT_RT' is not a Kconfig option/,
  );
  const s = defineScenario({
    name: 's',
    setup,
    configs: [{ name: 'rt-nokcsan', description: 'rt without KCSAN', base: 'rt', options: { KCSAN: false } }, 'nonrt'],
    params: { n: { type: 'int', default: 2, min: 1, max: 4 } },
  });
  assert.deepEqual(s.configs, ['rt-nokcsan', 'nonrt']);
  assert.equal(s.configDefs?.[0]?.config.PREEMPT_RT, true);
  assert.equal(s.configDefs?.[0]?.config.KCSAN, false);
  assert.equal(s.params?.n?.default, 2);
  // ctx.params is typed from the declarations.
  defineScenario({
    name: 'typed',
    params: { n: { type: 'int', default: 1 }, mode: { type: 'enum', choices: ['a', 'b'], default: 'a' } },
    setup(ctx) {
      const n: number = ctx.params.n;
      const mode: 'a' | 'b' = ctx.params.mode;
      // @ts-expect-error: no such parameter
      void ctx.params.m;
      void [n, mode];
    },
  });
});

test("a user variant's declared knob: --set parsed against its declaration, read by the patch body", () => {
  const seen: number[] = [];
  const v = defineVariant({
    name: 'scaled',
    description: 'patch_target_fn scaled by a knob',
    knobs: { factor: { type: 'int', default: 2, min: 1, max: 5 } },
    patches: [
      definePatch<[number], number>({
        name: 'scale',
        function: 'patch_target_fn',
        *body(original, x) {
          return (yield* original(x)) * (variantKnobs().factor as number);
        },
      }),
    ],
  });
  const s = defineScenario({
    name: 'scaled-scenario',
    variants: [v],
    configs: ['default'],
    setup() {
      spawn_user('u', () =>
        (function* u() {
          seen.push(yield* patch_target_fn(1));
        })(),
      );
    },
  });
  for (const [sets, want] of [
    [[], 4],
    [['factor=5'], 10],
  ] as const) {
    const spec = resolveSpec(s, s.name, undefined, undefined, sets);
    execute(createSession(spec), new FirstChoice());
    assert.equal(seen.pop(), want);
  }
  assert.throws(
    () => resolveSpec(s, s.name, 'scaled', undefined, ['factor=9']),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === "knob 'factor' of variant 'scaled' takes an integer >= 1 and <= 5; got '9'",
  );
});
