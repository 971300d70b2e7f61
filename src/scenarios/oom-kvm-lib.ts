/**
 * Userspace programs and helpers shared by the mmu_notifier / OOM / KVM
 * scenarios (not a scenario itself). Everything here is what a user program
 * or a test harness does: create processes and threads, run simple_kvm.c's
 * ioctls, write to debugfs, call process_mrelease(). Nothing here decides an
 * outcome: the interleavings and the injected faults come from the explorer.
 */
import { type KGen, type Task, current, kfunc } from '../sim/index.js';
import { HZ, IS_ENABLED } from '../kernel/kernel.js';
import {
  TASK_INTERRUPTIBLE,
  set_current_state,
  schedule,
  schedule_timeout_interruptible,
  spawn_user,
  spawn_user_thread,
} from '../kernel/sched/core.js';
import {
  anon_vma,
  type mm_struct,
  PAGE_SIZE,
  VM_SHARED,
  type vm_area_struct,
} from '../models/linux/include/linux/mm_types.js';
import {
  type signal_struct,
  type task_struct,
  clone_files,
  current_ts,
  fatal_signal_pending,
  new_task_struct,
} from '../models/linux/include/linux/sched.js';
import { do_exit } from '../models/linux/kernel/exit.js';
import { mm_alloc, mmget } from '../models/linux/kernel/fork.js';
import { alloc_page } from '../models/linux/mm/page_alloc.js';
import {
  type kvm,
  type kvm_vcpu,
  kvm_create_vm,
  kvm_put_kvm,
  kvm_vm_ioctl_create_vcpu,
  kvm_vm_ioctl_set_memory_region,
} from '../models/linux/virt/kvm/kvm_main.js';
import { select_design } from '../models/linux/variants.js';
import type { ScenarioContext } from './api.js';
import { type completion, complete } from '../kernel/completion.js';
import '../models/linux/variants.js';

/** Guest RAM in the VMM's address space (anonymous, private). */
export const GUEST_HVA = 0x7f0000000000;
export const GUEST_PAGES = 2;
/** A shared file mapping the reaper skips. */
export const SHARED_HVA = 0x7f1000000000;

/** Picks the design and returns whether KVM exists in this config (KVM selects MMU_NOTIFIER). */
export function model_setup(ctx: ScenarioContext): boolean {
  select_design(ctx.variant, ctx.knobs);
  return Boolean(ctx.config.MMU_NOTIFIER);
}

/** The VMM's address space at exec: guest RAM (page 0 loaded with the guest image) and a shared file mapping. */
function vmm_vmas(): vm_area_struct[] {
  return [
    {
      vm_start: GUEST_HVA,
      vm_end: GUEST_HVA + GUEST_PAGES * PAGE_SIZE,
      vm_flags: 0,
      anon: true,
      pages: [alloc_page(), null],
    },
    { vm_start: SHARED_HVA, vm_end: SHARED_HVA + PAGE_SIZE, vm_flags: VM_SHARED, anon: false, pages: [null] },
  ];
}

/**
 * The rmap of the address space: each anonymous VMA gets its anon_vma (so reclaim's
 * try_to_unmap can reach it, and exit_mmap's unlink_anon_vmas takes its lock). Only the
 * scenarios with an rmap walker ask for it (docs/fidelity/model.md).
 */
function anon_vma_prepare(mm: mm_struct): void {
  for (const vma of mm.vmas) if (vma.anon) vma.anon_vma = new anon_vma(vma);
}

/**
 * The body of a process spawn_process() creates (its task's entry, "process"), taking the spawn's
 * arguments (docs/architecture.md, "What keeps a finished run alive").
 */
const process_main = function* process(
  comm: string,
  body: (ts: task_struct) => KGen,
  with_mm: boolean,
  exited: completion | null,
  rmap: boolean,
): KGen {
  const ts = new_task_struct(current(), null, null);
  if (with_mm) {
    const mm = yield* mm_alloc(comm, vmm_vmas);
    for (const vma of mm.vmas) vma.vm_mm = mm;
    if (rmap) anon_vma_prepare(mm);
    ts.mm = mm;
  }
  yield* body(ts);
  yield* do_exit(0);
  /* the parent's waitpid() returns */
  if (exited) yield* complete(exited);
};

/** fork()+execve() of a user program with the VMM's address space (`rmap`: with anon_vmas). */
export function spawn_process(
  comm: string,
  body: (ts: task_struct) => KGen,
  with_mm = true,
  exited: completion | null = null,
  rmap = false,
): Task {
  // An arrow (no initial Map of its own) named as the task's entry.
  const process = () => process_main(comm, body, with_mm, exited, rmap);
  return spawn_user(comm, process);
}

/** The body of a thread spawn_thread() creates (its task's entry, "thread"); module-level like process's. */
const thread_main = function* thread(mm: mm_struct, signal: signal_struct, body: (ts: task_struct) => KGen): KGen {
  const ts = new_task_struct(current(), mm, signal);
  yield* body(ts);
  yield* do_exit(0);
};

/** pthread_create() in the process of `parent` (CLONE_VM: shares and mmget()s the mm). */
export function spawn_thread(parent: task_struct, comm: string, body: (ts: task_struct) => KGen): Task {
  const mm = parent.mm as mm_struct;
  const signal: signal_struct = parent.signal;
  mmget(mm);
  clone_files(signal);
  const thread = () => thread_main(mm, signal, body);
  return spawn_user_thread(parent.task, comm, thread);
}

export interface Vm {
  kvm: kvm;
  vcpu: kvm_vcpu | null;
}

/** kvm_vm_release() / kvm_vcpu_release(): the fds' ->release at the last fput. */
function add_vm_files(ts: task_struct, vm: Vm): void {
  ts.signal.files.push({ name: 'anon_inode:kvm-vm', release: () => kvm_put_kvm(vm.kvm) });
  if (vm.vcpu) ts.signal.files.push({ name: 'anon_inode:kvm-vcpu:0', release: () => kvm_put_kvm(vm.kvm) });
}

/**
 * simple_kvm.c up to its sleep: open /dev/kvm, KVM_CREATE_VM,
 * KVM_SET_USER_MEMORY_REGION (guest RAM as slot 0), KVM_CREATE_VCPU.
 */
export const simple_kvm_setup = kfunc(function* simple_kvm_setup(ts: task_struct, with_vcpu = true): KGen<Vm> {
  const k = yield* kvm_create_vm();
  yield* kvm_vm_ioctl_set_memory_region(k, { base_gfn: 0, npages: GUEST_PAGES, userspace_addr: GUEST_HVA });
  const vcpu = with_vcpu ? yield* kvm_vm_ioctl_create_vcpu(k, 0) : null;
  const vm = { kvm: k, vcpu };
  add_vm_files(ts, vm);
  return vm;
});

/** pause()/sleep until killed: an interruptible sleep SIGKILL ends. */
export function* sleep_until_killed(): KGen {
  while (!fatal_signal_pending(current_ts())) {
    set_current_state(TASK_INTERRUPTIBLE);
    if (fatal_signal_pending(current_ts())) break;
    yield* schedule();
  }
  set_current_state(0);
}

/** sleep(1): interruptible by SIGKILL. */
export function* sleep_a_while(): KGen {
  yield* schedule_timeout_interruptible(HZ());
}

export function mmu_notifier_enabled(): boolean {
  return IS_ENABLED('MMU_NOTIFIER');
}

/** Every design in src/models/linux/variants.ts. */
export const VARIANT_NAMES: readonly string[] = ['upstream', 'rawlock', 'v1', 'v2', 'rt-nonblock', 'v3'];

/** close() of every open fd of the process (the last fput runs ->release()). */
export function* close_all_files(ts: task_struct): KGen {
  const files = ts.signal.files;
  while (files.length > 0) {
    const f = files.pop();
    if (f) yield* f.release();
  }
}
