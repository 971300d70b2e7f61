/**
 * Issue 13, designs from a user's file: a user variant with a patch (definePatch) explored on a
 * built-in scenario. The patch reaches the kernel's own paths (the oom_reaper kthread, the exit
 * path), the replaced function keeps its name in call traces, a bad patch name is one line with
 * exit status 2, and a token of a patched variant is refused once the patch's source changed.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { catalog } from '../../src/run/catalog.js';
import { runExploration } from '../../src/run/exploration.js';
import { TokenError, replayToken } from '../../src/run/replay.js';
import { decodeToken, encodeToken } from '../../src/report/token.js';
import { ROOT, cli, lastLine, tmp } from '../cli/helpers.js';

const src = (p: string) => pathToFileURL(join(ROOT, 'src', p)).href;
const EXAMPLE = join(ROOT, 'examples/patched-unregister.ts');
const dir = tmp('kernsim-patch-');

/** A user file outside the repo: destroy-race / simple-kvm-reap under variants with patches. */
function userFile(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { defineScenario, definePatch, defineVariant } from '${src('scenarios/api.ts')}';
import { destroyRace } from '${src('scenarios/destroy-race.ts')}';
import { simpleKvmReap } from '${src('scenarios/simple-kvm-reap.ts')}';
import { might_sleep } from '${src('kernel/sched/core.ts')}';
import { WARN_ON } from '${src('kernel/bug.ts')}';
${body}
`,
  );
  return file;
}

const explore = (scenario: string, variant: string, config = 'nonrt') =>
  runExploration({ scenario, variant, config, shrink: false, jobs: 1 });
let upstream: ReturnType<typeof explore> | undefined;
const exploreUpstream = () => {
  upstream ??= explore(EXAMPLE, 'upstream');
  return upstream;
};
/** The example's patched variant, explored once for the tests that read it. */
let nosync: ReturnType<typeof explore> | undefined;
const exploreNoSync = () => {
  nosync ??= explore(EXAMPLE, 'upstream-nosync');
  return nosync;
};

test('dropping synchronize_srcu() from mmu_notifier_unregister: a use-after-free in the oom_reaper kthread, which the unpatched variant does not have', async () => {
  const clean = await exploreUpstream();
  assert.equal(clean.complete, true);
  assert.deepEqual(
    clean.findings.map((f) => f.title),
    [],
  );
  const r = await exploreNoSync();
  assert.equal(r.complete, true);
  const uaf = r.findings.filter((f) => f.title.startsWith('BUG: KASAN: vmalloc-out-of-bounds'));
  assert.ok(uaf.length > 0, r.findings.map((f) => f.title).join('\n'));
  // struct kvm, freed by kvm_destroy_vm() without waiting, is still read by the reaper kthread's notifier walk.
  assert.ok(uaf.some((f) => /Comm: oom_reaper/.test(f.report) && /\n oom_reaper\n/.test(f.report)));
  assert.ok(uaf.some((f) => /Freed by task/.test(f.report) && f.report.includes('kvm_destroy_vm')));
});

const kthreadFile = userFile(
  'kthread-paths.ts',
  `const sleeps = definePatch({
  name: 'invalidate-sleeps',
  description: "KVM's invalidate_range_start takes a sleeping lock",
  function: 'kvm_mmu_notifier_invalidate_range_start',
  *body(original, ...args) {
    might_sleep('virt/kvm/kvm_main.c', 1);
    return yield* original(...args);
  },
});
export default defineScenario({
  ...destroyRace,
  name: 'kthread-paths',
  variants: ['upstream', defineVariant({ name: 'sleeps', description: 'd', base: 'upstream', patches: [sleeps] })],
  configs: ['nonrt'],
});`,
);

test("a patch on the oom_reaper kthread's path: found there, under the replaced function's own name", async () => {
  const r = await explore(kthreadFile, 'sleeps');
  const f = r.findings.find(
    (x) => x.title === 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start',
  );
  assert.ok(f, r.findings.map((x) => x.title).join('\n'));
  // The kthread's call trace, with the patched function in it where the original was.
  assert.match(f.report, /name: oom_reaper/);
  assert.match(
    f.report,
    / __might_resched\n kvm_mmu_notifier_invalidate_range_start\n mn_hlist_invalidate_range_start\n[\s\S]* __oom_reap_task_mm\n[\s\S]* oom_reaper\n/,
  );
  // Unpatched, the same scenario and config are clean: the first test's destroy-race/upstream/nonrt.
});

const noopFile = userFile(
  'noop.ts',
  `const through = definePatch({
  name: 'call-through',
  function: 'mmu_notifier_unregister',
  *body(original, ...args) {
    return yield* original(...args);
  },
});
export default defineScenario({
  ...destroyRace,
  name: 'noop',
  variants: [defineVariant({ name: 'through', description: 'd', base: 'upstream', patches: [through] })],
  configs: ['nonrt'],
});`,
);

test('a patch adds no footprint: a call-through patch explores exactly the unpatched space', async () => {
  const base = await exploreUpstream();
  const r = await explore(noopFile, 'through');
  assert.equal(r.complete, true);
  assert.equal(r.executions, base.executions);
  assert.equal(r.steps, base.steps);
  assert.equal(r.abandoned, base.abandoned);
  assert.deepEqual(r.findings, []);
});

const exitFile = userFile(
  'exit-path.ts',
  `const releaseWarns = definePatch({
  name: 'release-warns',
  function: 'kvm_mmu_notifier_release',
  *body(original, ...args) {
    WARN_ON(true, 'virt/kvm/kvm_main.c', 'patched release');
    return yield* original(...args);
  },
});
export default defineScenario({
  ...simpleKvmReap,
  name: 'exit-path',
  variants: ['upstream', defineVariant({ name: 'release-warns', description: 'd', base: 'upstream', patches: [releaseWarns] })],
  configs: ['nonrt'],
});`,
);

test('a patch reaches the exit path: do_exit -> exit_mmap -> mmu_notifier_release calls the replacement', async () => {
  const r = await explore(exitFile, 'release-warns');
  const f = r.findings.find((x) => x.title === 'WARNING in kvm_mmu_notifier_release');
  assert.ok(f, r.findings.map((x) => x.title).join('\n'));
  assert.match(f.report, /patched release/);
  assert.match(
    f.report,
    / kvm_mmu_notifier_release\n mn_hlist_release\n __mmu_notifier_release\n exit_mmap\n[\s\S]* do_exit\n/,
  );
});

test('a patch naming a function that does not exist: one line, exit status 2', () => {
  const file = userFile(
    'typo.ts',
    `export default defineScenario({
  ...destroyRace,
  name: 'typo',
  variants: [defineVariant({ name: 'typo', description: 'd', base: 'upstream',
    patches: [definePatch({ name: 'p', function: 'mmu_notifier_unregistr', *body() {} })] })],
});`,
  );
  const r = cli(['explore', '--scenario', file, '--config', 'nonrt']);
  assert.equal(r.status, 2);
  assert.equal(
    r.stderr,
    "kernsim: patch 'p' of variant 'typo' replaces 'mmu_notifier_unregistr', but no model function has that name (did you mean mmu_notifier_unregister?)\n",
  );
});

test('a token of a patched variant carries its source hash; a replay under a changed patch is refused', async () => {
  const r = await exploreNoSync();
  const f = r.findings[0];
  assert.ok(f);
  const t = decodeToken(f.token);
  assert.equal(t.variant, 'upstream-nosync');
  assert.match(t.variantHash ?? '', /^[0-9a-f]{32}$/);
  // Under the same source it replays to the same report.
  const again = await replayToken(f.token);
  assert.equal(again.report?.title, f.title);
  // The same variant name with the patch's body changed (one line of the function), given with --scenario.
  const { readFileSync } = await import('node:fs');
  const changed = join(dir, 'changed.ts');
  writeFileSync(
    changed,
    readFileSync(EXAMPLE, 'utf8')
      .replaceAll("from '../src/", `from '${pathToFileURL(join(ROOT, 'src')).href}/`)
      .replace("'mm/mmu_notifier.c:826'", "'mm/mmu_notifier.c:827'"),
  );
  await assert.rejects(
    replayToken(f.token, changed),
    (e: unknown) =>
      e instanceof TokenError &&
      /^variant 'upstream-nosync' changed since the token was made \(its definition or patch source has hash [0-9a-f]{32}, the token's is [0-9a-f]{32}\): not replaying under different code$/.test(
        e.message,
      ),
  );
  // And on the command line: one line, exit status 2.
  const c = cli(['replay', f.token, '--scenario', changed]);
  assert.equal(c.status, 2, c.stderr);
  assert.match(lastLine(c.stderr), /^kernsim: variant 'upstream-nosync' changed since the token was made/);
});

test('kernsim list --scenario FILE shows the file’s own variants with their base and patches', async () => {
  const c = await catalog(EXAMPLE);
  assert.deepEqual(c.scenarios[0]?.variants, ['upstream', 'upstream-nosync', 'v2', 'v2-no-barrier']);
  const v = c.variants.find((x) => x.name === 'upstream-nosync');
  assert.deepEqual(v, {
    name: 'upstream-nosync',
    description: 'mainline with mmu_notifier_unregister() not waiting for SRCU readers',
    knobs: [],
    scenario: 'destroy-race-nosync',
    base: 'upstream',
    patches: [
      {
        name: 'unregister-no-synchronize-srcu',
        function: 'mmu_notifier_unregister',
        description: 'mmu_notifier_unregister() returns without waiting for SRCU readers',
      },
    ],
  });
  // Based on v2: v2's knobs and choices come with it.
  const nb = c.variants.find((x) => x.name === 'v2-no-barrier');
  assert.equal(nb?.base, 'v2');
  assert.deepEqual(nb?.knobs.find((k) => k.name === 'alloc_fail')?.choices, [
    'stale_oom_list',
    'detach_no_cb',
    'stay_attached',
  ]);
});

test('a token naming a user variant the scenario does not define is refused', async () => {
  const token = encodeToken({
    scenario: 'destroy-race',
    variant: 'v2',
    variantHash: 'a'.repeat(32),
    config: 'nonrt',
    overrides: {},
    prelude: [],
    choices: [],
    reportIndex: -1,
    digest: '0'.repeat(16),
  });
  await assert.rejects(
    replayToken(token),
    (e: unknown) =>
      e instanceof TokenError &&
      e.message ===
        `the token was made under a user variant 'v2' (source ${'a'.repeat(32)}), which the scenario does not define: not replaying under different code`,
  );
});
