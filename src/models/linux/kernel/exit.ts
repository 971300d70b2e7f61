/**
 * do_exit() for the model (kernel/exit.c, ≈ v6.17): exit_mm() then exit_files(): every thread
 * drops its reference to the shared files_struct, and the last put closes the files (the last
 * fput of each runs its ->release(), e.g. kvm_vm_release → kvm_put_kvm). So, as in the kernel,
 * a process's files are closed after the exit_mmap() of its last mmput: the thread that closes
 * them puts its files_struct after its own exit_mm(), and after every other thread's put.
 * Signals, exit_notify and release_task are not modelled.
 */
import { ACCESS_WRITE, type KGen, kfunc } from '../../../sim/index.js';
import {
  PF_EXITING,
  current_ts,
  put_task_struct,
  signal_footprint,
  task_footprint,
  task_lock,
  task_unlock,
} from '../include/linux/sched.js';
import { mmput } from './fork.js';
import { atomic_dec_and_test } from '../../../kernel/once.js';

/** exit_mm(): current->mm = NULL under task_lock, then mmput(). */
const exit_mm = kfunc(function* exit_mm(): KGen {
  const tsk = current_ts();
  const mm = tsk.mm;
  if (!mm) return;
  // mmap_read_lock(mm) around the switch is not modelled (no core dumps / membarrier here).
  yield* task_lock(tsk);
  tsk.mm = null;
  yield* task_unlock(tsk);
  yield* mmput(mm);
});

/** exit_files(): put_files_struct(); the last put closes every file (close_files → fput → ->release()). */
const exit_files = kfunc(function* exit_files(): KGen {
  const sig = current_ts().signal;
  if (!(yield* atomic_dec_and_test(sig.files_count))) return;
  const files = sig.files;
  while (files.length > 0) {
    const f = files.pop();
    if (f) yield* f.release();
  }
});

/** do_exit(code) */
export const do_exit = kfunc(function* do_exit(_code: number): KGen {
  const tsk = current_ts();
  task_footprint(tsk, ACCESS_WRITE);
  tsk.flags |= PF_EXITING;
  signal_footprint(tsk.signal, ACCESS_WRITE);
  --tsk.signal.live; /* group_dead = atomic_dec_and_test(&tsk->signal->live) */
  yield* exit_mm();
  yield* exit_files();
  /* release_task() → put_task_struct_rcu_user(): the task's own reference */
  yield* put_task_struct(tsk);
});
