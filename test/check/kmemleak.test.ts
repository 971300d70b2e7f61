import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { type Allocation, allocationOf, kfunc, machine, release, track } from '../../src/sim/index.js';
import { runProgram, titles } from './helpers.js';

const kvm_create_vm = kfunc(function* kvm_create_vm(notLeak: boolean) {
  yield undefined;
  const o = track({ a: 1 }, 'slab', 'struct kvm', 100);
  const a = allocationOf(o) as Allocation;
  if (notLeak) a.flags.not_leak = true;
  machine().emit({ type: 'alloc', alloc: a } as never);
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

test('an allocation never freed is a memory leak at the end of the run', () => {
  const r = runProgram(prog(false));
  assert.deepEqual(titles(r), ['memory leak in kvm_create_vm']);
  assert.equal(
    r.reports[0]?.text,
    [
      'unreferenced object 0xffff888000100000 (size 100):',
      '  comm "qemu", pid 1, jiffies 0',
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
