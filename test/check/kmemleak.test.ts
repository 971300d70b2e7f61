import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFINE_STATIC, GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { TASK_UNINTERRUPTIBLE, schedule, set_current_state, spawn_user } from '../../src/kernel/sched/core.js';
import { type Allocation, allocationOf, kfunc, machine, release, track } from '../../src/sim/index.js';
import { runProgram, titles } from './helpers.js';

const kvm_create_vm = kfunc(function* kvm_create_vm(notLeak: boolean) {
  yield undefined;
  const o = track({ a: 1 }, 'slab', 'struct kvm', 100);
  const a = allocationOf(o) as Allocation;
  if (notLeak) a.flags.not_leak = true;
  machine().emit({ type: 'alloc', alloc: a, obj: o } as never);
  return o;
});

function prog(free: boolean, notLeak = false, spin = false) {
  return () => {
    spawn_user(
      'qemu',
      kfunc(function* kvm_dev_ioctl() {
        const o = yield* kvm_create_vm(notLeak);
        if (free) {
          const a = allocationOf(o) as Allocation;
          release(a);
          machine().emit({ type: 'free', alloc: a, task: machine().current } as never);
        }
        while (spin) yield undefined;
      }),
    );
  };
}

test('an unreferenced allocation is a memory leak at the end of the run, in kmemleak format', () => {
  const r = runProgram(prog(false));
  assert.deepEqual(titles(r), ['memory leak in kvm_create_vm']);
  assert.equal(
    r.reports[0]?.text,
    [
      'unreferenced object 0xffff888000100000 (size 100):',
      '  comm "qemu", pid 1, jiffies 0',
      '  hex dump (first 32 bytes):',
      '    01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................',
      '    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................',
      '  backtrace (crc 0):',
      '    __kmalloc_cache_noprof',
      '    kvm_create_vm',
      '    kvm_dev_ioctl',
    ].join('\n'),
  );
});

test('freed, kmemleak_not_leak, config off, or a step-limited run: silent', () => {
  assert.deepEqual(titles(runProgram(prog(true))), []);
  assert.deepEqual(titles(runProgram(prog(false, true))), []);
  assert.deepEqual(titles(runProgram(prog(false), { over: { DEBUG_KMEMLEAK: false } })), []);
  // A run cut at the step limit did not end: no end-of-run checks (its only finding is the livelock).
  const r = runProgram(prog(false, false, true), { maxSteps: 50 });
  assert.equal(r.end, 'step-limit');
  assert.deepEqual(
    titles(r).filter((t) => !t.includes('livelocked')),
    [],
  );
});

interface vcpu {
  id: number;
}
interface kvm {
  users: number;
  vcpu: vcpu | null;
}

const kvm_vm_ioctl_create_vcpu = kfunc(function* kvm_vm_ioctl_create_vcpu(k: kvm) {
  yield undefined;
  k.vcpu = kzalloc(() => ({ id: 7 }), GFP_KERNEL, 'struct kvm_vcpu');
});

const create_vm = kfunc(function* create_vm() {
  yield undefined;
  const k = kzalloc<kvm>(() => ({ users: 1, vcpu: null }), GFP_KERNEL, 'struct kvm') as kvm;
  yield* kvm_vm_ioctl_create_vcpu(k);
  return k;
});

/** Sleeps in D state for ever: a hung task whose frame holds `k`. */
const kvm_destroy_vm = kfunc(function* kvm_destroy_vm(_k: kvm) {
  set_current_state(TASK_UNINTERRUPTIBLE);
  yield* schedule();
});

test('objects a hung task still holds (frame arguments, and what they point to) are not leaks', () => {
  const r = runProgram(() => {
    spawn_user(
      'qemu',
      kfunc(function* kvm_dev_ioctl() {
        const k = yield* create_vm();
        yield* kvm_destroy_vm(k);
      }),
    );
  });
  assert.deepEqual(titles(r), ['INFO: task hung in kvm_destroy_vm']);
});

test('an object unlinked from what a hung task holds is still a leak', () => {
  const r = runProgram(() => {
    spawn_user(
      'qemu',
      kfunc(function* kvm_dev_ioctl() {
        const k = yield* create_vm();
        k.vcpu = null; // the vcpu is unreachable now
        yield* kvm_destroy_vm(k);
      }),
    );
  });
  assert.deepEqual(titles(r), ['INFO: task hung in kvm_destroy_vm', 'memory leak in kvm_vm_ioctl_create_vcpu']);
});

test('an allocation the allocating frame still holds (a local of a hung frame) is not a leak; one made in a returned frame is', () => {
  const holds = kfunc(function* kvm_create_vm_hangs() {
    const k = kzalloc(() => ({ users: 1 }), GFP_KERNEL, 'struct kvm');
    void k;
    set_current_state(TASK_UNINTERRUPTIBLE);
    yield* schedule();
  });
  const r = runProgram(() => {
    spawn_user('qemu', () => holds());
  });
  assert.deepEqual(titles(r), ['INFO: task hung in kvm_create_vm_hangs']);
  // create_vm() returned: its local is gone, and the caller dropped it before hanging.
  const r2 = runProgram(() => {
    spawn_user(
      'qemu',
      kfunc(function* kvm_dev_ioctl() {
        yield* create_vm();
        set_current_state(TASK_UNINTERRUPTIBLE);
        yield* schedule();
      }),
    );
  });
  assert.deepEqual(titles(r2), [
    'INFO: task hung in kvm_dev_ioctl',
    'memory leak in create_vm',
    'memory leak in kvm_vm_ioctl_create_vcpu',
  ]);
});

test('an object reachable from a static object is not a leak; once the pointer is cleared it is', () => {
  for (const clear of [false, true]) {
    const r = runProgram(() => {
      const vm_list = DEFINE_STATIC(() => ({ first: null as kvm | null }), 'vm_list');
      spawn_user(
        'qemu',
        kfunc(function* kvm_dev_ioctl() {
          vm_list.first = yield* create_vm();
          if (clear) vm_list.first = null;
        }),
      );
    });
    assert.deepEqual(
      titles(r),
      clear ? ['memory leak in create_vm', 'memory leak in kvm_vm_ioctl_create_vcpu'] : [],
      `clear=${clear}`,
    );
  }
});

test("a pointer from a freed object, or from an exited task's state, references nothing", () => {
  const r = runProgram(() => {
    spawn_user(
      'qemu',
      kfunc(function* kvm_dev_ioctl() {
        const k = yield* create_vm();
        kfree(k); // the vcpu it pointed to is lost
        machine().current.data.kvm = yield* create_vm(); // the task exits: not a root
      }),
    );
  });
  assert.deepEqual(titles(r), ['memory leak in kvm_vm_ioctl_create_vcpu', 'memory leak in create_vm']);
});
