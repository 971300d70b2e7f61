/**
 * Guest mode, kicks, remote TLB flushes and the pfncache (virt/kvm/kvm_main.c, arch/x86/kvm/x86.c,
 * virt/kvm/pfncache.c, kernel/smp.c): each mechanism present and found, absent and not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kthread_run, spawn_user } from '../../src/kernel/sched/core.js';
import { TASK_INTERRUPTIBLE, wake_up_state } from '../../src/kernel/sched/core.js';
import { handle_pending_ipis, smp_call_function_many } from '../../src/kernel/smp.js';
import { local_irq_disable, local_irq_enable, preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import { type KGen, current, rawOf } from '../../src/sim/index.js';
import { do_send_sig_info_sigkill, type task_struct } from '../../src/models/linux/include/linux/sched.js';
import {
  IN_GUEST_MODE,
  MSR_KVM_SYSTEM_TIME_NEW,
  type guest_op,
  kvm_arch_vcpu_ioctl_run,
  kvm_make_all_cpus_request,
  KVM_REQ_TLB_FLUSH,
} from '../../src/models/linux/virt/kvm/kvm_main.js';
import type { Vm } from '../../src/scenarios/oom-kvm-lib.js';
import { RoundRobin } from '../kernel/helpers.js';
import { dpor } from './helpers.js';
import { dporVmm, runVmm } from './kvm-lib.js';

/** A guest that never stops writing its page 0 (it exits only when something makes it). */
function* spinning_guest(onFetch: () => void = () => {}): Generator<guest_op> {
  for (;;) {
    onFetch();
    yield { op: 'access', gfn: 0 };
  }
}

/** The old SIGKILL delivery: TIF_SIGPENDING and wake interruptible sleepers, no kick_process(). */
function* sigkill_without_kick(p: task_struct): KGen {
  yield undefined;
  p.signal.sigkill = true;
  p.signal.group_exit = true;
  for (const t of p.signal.threads) wake_up_state(t.task, TASK_INTERRUPTIBLE);
}

/** Waits (spinning, outside every footprint) until the vCPU is in guest mode with page 0 mapped. */
function* until_spte_mapped(vm: Vm): KGen {
  for (;;) {
    const sptes = rawOf(rawOf(vm.kvm).sptes);
    if (sptes[0] && rawOf(vm.vcpu as object as { mode: number }).mode === IN_GUEST_MODE) return;
    yield undefined;
  }
}

/** Waits (spinning, outside every footprint) until the vCPU is in guest mode. */
function* until_in_guest_mode(vm: Vm): KGen {
  while (rawOf(vm.vcpu as object as { mode: number }).mode !== IN_GUEST_MODE) yield undefined;
}

test('kick: SIGKILL kicks a vCPU out of guest mode; KVM_RUN returns -EINTR', () => {
  let ret: number | null = null;
  const run = runVmm(new RoundRobin(), function* (ts, vm) {
    spawn_user('killer', function* () {
      yield* until_in_guest_mode(vm);
      yield* do_send_sig_info_sigkill(ts);
    });
    ret = yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, spinning_guest());
  });
  assert.equal(run.result.end, 'done');
  assert.equal(ret, -4);
});

test('kick absent: a pending SIGKILL alone does not stop a vCPU in guest mode (it runs on)', () => {
  let ret: number | null = null;
  const run = runVmm(new RoundRobin(), function* (ts, vm) {
    spawn_user('killer', function* () {
      yield* until_spte_mapped(vm);
      yield* sigkill_without_kick(ts);
    });
    ret = yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, spinning_guest());
  });
  assert.equal(run.result.end, 'step-limit');
  assert.equal(ret, null);
});

/**
 * Every interleaving (DPOR, no bounds): after do_send_sig_info_sigkill() the guest executes nothing
 * more — a vCPU in guest mode takes the IPI at its next instruction, and kvm_vcpu_exit_request()
 * (or the signal check after an exit) keeps it out.
 */
test('exit request: no guest instruction after the kick, in any interleaving', () => {
  const { seen, result } = dporVmm((out) => {
    let killed = false;
    let after = 0;
    return function* (ts, vm) {
      spawn_user('killer', function* () {
        yield* do_send_sig_info_sigkill(ts);
        killed = true;
        out.add(`killed-in-${rawOf(vm.vcpu as object as { mode: number }).mode === IN_GUEST_MODE ? 'guest' : 'host'}`);
      });
      const it = {
        *[Symbol.iterator](): Generator<guest_op> {
          for (let i = 0; i < 3; i++) {
            if (killed) after++;
            yield { op: 'access', gfn: 0 };
          }
        },
      };
      const r = yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, it);
      out.add(`ret=${r} guest-after-kill=${after > 0}`);
    };
  });
  assert.ok(result.complete);
  assert.ok(seen.includes('killed-in-guest'), seen.join(' | '));
  assert.ok(seen.includes('ret=-4 guest-after-kill=false'), seen.join(' | '));
  assert.ok(!seen.some((x) => x.includes('guest-after-kill=true')), seen.join(' | '));
});

test('exit request absent (no kick): the guest runs on after the kill', () => {
  let after = 0;
  let killed = false;
  let ret: number | null = null;
  runVmm(new RoundRobin(), function* (ts, vm) {
    spawn_user('killer', function* () {
      yield* until_spte_mapped(vm);
      yield* sigkill_without_kick(ts);
      killed = true;
    });
    const it = {
      *[Symbol.iterator](): Generator<guest_op> {
        for (let i = 0; i < 20; i++) {
          if (killed) after++;
          yield { op: 'access', gfn: 0 };
        }
      },
    };
    ret = yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, it);
  });
  assert.ok(killed);
  assert.ok(after > 0, `guest instructions after the kill: ${after}`);
  assert.equal(ret, 0, 'the guest ran to its end (HLT) although SIGKILL was pending');
});

test("kvm_flush_remote_tlbs: a vCPU in guest mode is IPI'd and waited for; one outside it is not", () => {
  const called: boolean[] = [];
  const run = runVmm(new RoundRobin(), function* (ts, vm) {
    const k = vm.kvm;
    // outside guest mode: no IPI, no wait
    called.push(yield* kvm_make_all_cpus_request(k, KVM_REQ_TLB_FLUSH));
    spawn_user('flusher', function* () {
      yield* until_in_guest_mode(vm);
      called.push(yield* kvm_make_all_cpus_request(k, KVM_REQ_TLB_FLUSH));
      yield* do_send_sig_info_sigkill(ts);
    });
    yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, spinning_guest());
  });
  assert.equal(run.result.end, 'done');
  assert.deepEqual(called, [false, true]);
});

test('csd_lock_wait: the waiter spins until the target takes the IPI; a target that never enables interrupts hangs it', () => {
  for (const enable of [true, false]) {
    let returned = false;
    const run = runVmm(new RoundRobin(), function* () {
      const target = kthread_run(
        function* irqs_off() {
          local_irq_disable();
          for (let i = 0; i < 50 || !enable; i++) yield undefined;
          local_irq_enable();
          handle_pending_ipis();
        },
        'irqs_off',
        1 - current().cpu,
      );
      yield undefined;
      preempt_disable();
      yield* smp_call_function_many([target.cpu], () => {}, true, [target]);
      preempt_enable();
      returned = true;
    });
    assert.equal(returned, enable, `enable=${enable}`);
    assert.equal(run.result.end, enable ? 'done' : 'step-limit');
  }
});

test('gpc_list: the kvm-clock cache joins kvm->gpc_list when the guest enables kvm-clock, not at vCPU creation', () => {
  const sizes: number[] = [];
  runVmm(new RoundRobin(), function* (_ts, vm) {
    sizes.push(vm.kvm.gpc_list.length);
    yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, [
      { op: 'wrmsr', msr: MSR_KVM_SYSTEM_TIME_NEW, data: 1 },
    ]);
    sizes.push(vm.kvm.gpc_list.length);
    yield* kvm_arch_vcpu_ioctl_run(vm.vcpu as NonNullable<Vm['vcpu']>, [
      { op: 'wrmsr', msr: MSR_KVM_SYSTEM_TIME_NEW, data: 0 },
    ]);
    sizes.push(vm.kvm.gpc_list.length);
  });
  assert.deepEqual(sizes, [0, 1, 0]);
});

// The host writer through the gfn_to_pfn_cache is the real witness of F-V2-7: KVM's pvclock write
// after the reaper freed the page the cache maps (v2: detached, no invalidation reaches the cache).
// Upstream's reaper invalidates the cache first (its notifier is attached): no use-after-free.
test('oom-kill: a host write through a stale gfn_to_pfn_cache is KASAN-visible (v2); invalidated upstream', async () => {
  const UAF = 'BUG: KASAN: use-after-free in kvm_setup_guest_pvclock';
  const v2 = await dpor('oom-kill', 'v2', 'nonrt', [], 0, 20000, 1);
  const uaf = v2.titles.get(UAF);
  assert.ok(uaf, [...v2.titles.keys()].join(' | '));
  assert.match(uaf.text, /Freed by task[\s\S]*__oom_reap_task_mm/);
  // the guest's own writes through the stale SPTE are not host accesses: no KASAN report names them
  assert.ok(![...v2.titles.keys()].some((t) => t.includes('in vcpu_enter_guest')));
  const up = await dpor('oom-kill', 'upstream', 'nonrt', [], 0, 20000, 1);
  assert.ok(up.complete);
  assert.ok(![...up.titles.keys()].some((t) => t.startsWith('BUG: KASAN')), [...up.titles.keys()].join(' | '));
});
