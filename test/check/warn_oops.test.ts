import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUG_ON, WARN, WARN_ON, WARN_ON_ONCE } from '../../src/kernel/bug.js';
import { might_sleep, spawn_user } from '../../src/kernel/sched/core.js';
import { preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import { REFCOUNT_INIT, refcount_dec_and_test } from '../../src/kernel/kref.js';
import { HLIST_HEAD, type hlist_node, hlist_add_head, hlist_del } from '../../src/kernel/lib/list.js';
import { kfunc } from '../../src/sim/index.js';
import { Replay, Seeded, runProgram, titles } from './helpers.js';

test('WARN_ON: cut-here report, taint W afterwards', () => {
  const r = runProgram(() => {
    spawn_user(
      'kworker/0:1',
      kfunc(function* kvm_destroy_vm() {
        yield undefined;
        WARN_ON(true, 'virt/kvm/kvm_main.c:1350');
        WARN(true, 'mmu_invalidate_in_progress', 'virt/kvm/kvm_main.c:1360');
        WARN_ON(false, 'virt/kvm/kvm_main.c:1370');
        preempt_disable();
        might_sleep();
        preempt_enable();
      }),
    );
  });
  assert.deepEqual(titles(r), [
    'WARNING in kvm_destroy_vm',
    'WARNING in kvm_destroy_vm',
    'BUG: sleeping function called from invalid context in kvm_destroy_vm',
  ]);
  const lines = String(r.reports[0]?.text).split('\n');
  assert.deepEqual(lines.slice(0, 5), [
    '------------[ cut here ]------------',
    'WARNING: CPU: 0 PID: 1 at virt/kvm/kvm_main.c:1350 kvm_destroy_vm',
    'Modules linked in:',
    'CPU: 0 UID: 0 PID: 1 Comm: kworker/0:1 Not tainted 6.17.0-kernsim #1 PREEMPT(full)',
    'Hardware name: kernsim virtual machine',
  ]);
  assert.equal(lines[lines.length - 1], '---[ end trace 0000000000000000 ]---');
  assert.ok(r.reports[1]?.text.includes('------------[ cut here ]------------\nmmu_invalidate_in_progress\nWARNING:'));
  assert.ok(r.reports[1]?.text.includes('Comm: kworker/0:1 Tainted: G        W           6.17.0-kernsim'));
});

test('a task body not wrapped in kfunc: the title names the body (or the task), never "?"', () => {
  const named = runProgram(() => {
    spawn_user('worker', function* lookup_worker() {
      yield undefined;
      WARN_ON(true, 'lib/test.c:1');
    });
  });
  assert.deepEqual(titles(named), ['WARNING in lookup_worker']);
  assert.match(
    named.reports[0]?.text ?? '',
    /WARNING: CPU: \d+ PID: 1 at lib\/test.c:1 lookup_worker\n[\s\S]*RIP: 0010:lookup_worker/,
  );
  const anonymous = runProgram(() => {
    spawn_user('worker', () =>
      (function* () {
        yield undefined;
        WARN_ON(true, 'lib/test.c:2');
      })(),
    );
  });
  assert.deepEqual(titles(anonymous), ['WARNING in worker']);
  // Inside a kfunc the innermost frame names it, as before.
  const framed = runProgram(() => {
    spawn_user(
      'worker',
      kfunc(function* kvm_destroy_vm() {
        yield undefined;
        WARN_ON(true, 'virt/kvm/kvm_main.c:1');
      }),
    );
  });
  assert.deepEqual(titles(framed), ['WARNING in kvm_destroy_vm']);
});

test('WARN_ON_ONCE fires once; no warning: silent', () => {
  const r = runProgram(() => {
    spawn_user(
      'a',
      kfunc(function* loop() {
        for (let i = 0; i < 3; i++) {
          yield undefined;
          WARN_ON_ONCE(i > 0, 'x.c:1');
        }
      }),
    );
  });
  assert.equal(r.reports.length, 1);
  const r2 = runProgram(() => {
    spawn_user(
      'a',
      kfunc(function* fine() {
        yield undefined;
        WARN_ON(false);
      }),
    );
  });
  assert.deepEqual(titles(r2), []);
});

test('BUG_ON: kernel BUG, task killed, run ends cleanly', () => {
  const r = runProgram(() => {
    spawn_user(
      'b',
      kfunc(function* kvm_mmu_invalidate_end() {
        yield undefined;
        BUG_ON(true, 'virt/kvm/kvm_main.c:900');
        throw new Error('not reached');
      }),
    );
  });
  assert.equal(r.end, 'done');
  assert.deepEqual(titles(r), ['kernel BUG in kvm_mmu_invalidate_end']);
  assert.ok(
    r.reports[0]?.text.startsWith(
      '------------[ cut here ]------------\nkernel BUG at virt/kvm/kvm_main.c:900!\nOops: invalid opcode: 0000 [#1] PREEMPT SMP KASAN\n',
    ),
  );
});

const inner = kfunc(function* hlist_del_init(n: { next: { pprev: unknown } | null }) {
  yield undefined;
  return n.next?.pprev ?? (n.next as unknown as { pprev: unknown }).pprev;
});

test('a model that throws is an Oops: NULL dereference and other errors', () => {
  const r = runProgram(() => {
    spawn_user(
      'n',
      kfunc(function* mmu_notifier_unregister() {
        yield* inner({ next: null });
      }),
    );
    spawn_user(
      'e',
      kfunc(function* bad_model() {
        yield undefined;
        throw new RangeError('index 5 out of range in /home/someone/project/src/x.ts');
      }),
    );
  });
  assert.equal(r.end, 'done');
  assert.deepEqual(titles(r), [
    'BUG: kernel NULL pointer dereference in hlist_del_init',
    'Oops: RangeError in bad_model',
  ]);
  const nul = r.reports[0]?.text as string;
  assert.ok(
    nul.startsWith(
      'BUG: kernel NULL pointer dereference, address: 0000000000000000\n#PF: supervisor read access in kernel mode\n',
    ),
  );
  assert.ok(nul.includes('Oops: Oops: 0000 [#1] PREEMPT SMP KASAN'));
  assert.ok(nul.includes(' <TASK>\n hlist_del_init\n mmu_notifier_unregister\n </TASK>'));
  const other = r.reports[1]?.text as string;
  assert.ok(other.startsWith('Oops: RangeError: index 5 out of range in <path>\n'));
  assert.ok(other.includes('[#2]'));
  assert.ok(!other.includes('/home/'));
});

test('determinism: the same choices give byte-identical reports across checkers', () => {
  const prog = () => {
    const f = kfunc(function* racer(id: number) {
      yield undefined;
      preempt_disable();
      yield undefined;
      if (id === 1) might_sleep();
      WARN_ON(id === 2, 'a.c:1');
      preempt_enable();
    });
    for (let i = 0; i < 3; i++) spawn_user(`r${i}`, () => f(i));
  };
  for (let seed = 1; seed < 20; seed++) {
    const a = runProgram(prog, { strategy: new Seeded(seed) });
    const b = runProgram(prog, { strategy: new Replay(a.choices) });
    assert.ok(a.reports.length > 0);
    assert.equal(JSON.stringify(b.reports), JSON.stringify(a.reports));
    assert.equal(b.digest, a.digest);
  }
});

test('a refcount_t underflow is "WARNING: refcount bug in FUNC", the WARN at refcount_warn_saturate', () => {
  const r = runProgram(() => {
    const ref = REFCOUNT_INIT(1);
    spawn_user(
      't',
      kfunc(function* mmdrop_twice() {
        yield* refcount_dec_and_test(ref);
        yield* refcount_dec_and_test(ref);
      }),
    );
  });
  assert.deepEqual(titles(r), ['WARNING: refcount bug in mmdrop_twice']);
  const lines = String(r.reports[0]?.text).split('\n');
  assert.equal(lines[1], 'refcount_t: underflow; use-after-free.');
  assert.equal(lines[2], 'WARNING: CPU: 0 PID: 1 at lib/refcount.c:28 refcount_warn_saturate');
  // A correct put/put pair: no report.
  const ok = runProgram(() => {
    const ref = REFCOUNT_INIT(2);
    spawn_user(
      't',
      kfunc(function* mmdrop_once_each() {
        yield* refcount_dec_and_test(ref);
        yield* refcount_dec_and_test(ref);
      }),
    );
  });
  assert.deepEqual(titles(ok), []);
});

test('a poison pointer dereference is "general protection fault in FUNC", as the kernel prints it', () => {
  const r = runProgram(() => {
    spawn_user(
      't',
      kfunc(function* hlist_del_twice() {
        yield undefined;
        const h = HLIST_HEAD();
        const n = { next: null, pprev: null } as hlist_node;
        hlist_add_head(n, h);
        __hlist_del_twice(n);
      }),
    );
  });
  assert.deepEqual(titles(r), ['general protection fault in hlist_del_twice']);
  const text = String(r.reports[0]?.text);
  assert.ok(
    text.startsWith(
      'Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP KASAN\n',
    ),
    text,
  );
  assert.ok(!text.includes('GeneralProtectionFault'));
});

function __hlist_del_twice(n: hlist_node): void {
  hlist_del(n);
  hlist_del(n);
}
