/**
 * do_exit() for the model (kernel/exit.c, ≈ v6.17): exit_mm() then, for the
 * last thread of the group, exit_files() (the last fput of each file runs its
 * ->release(), e.g. kvm_vm_release → kvm_put_kvm). Signals, exit_notify and
 * release_task are not modelled.
 */
import { type KGen, kfunc } from '../../../sim/index.js';
import { PF_EXITING, current_ts, put_task_struct, task_lock, task_unlock } from '../include/linux/sched.js';
import { mmput } from './fork.js';

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

/** exit_files(): the last thread drops the file table; each file's last fput runs ->release(). */
const exit_files = kfunc(function* exit_files(): KGen {
  const files = current_ts().signal.files;
  while (files.length > 0) {
    const f = files.pop();
    if (f) yield* f.release();
  }
});

/** do_exit(code) */
export const do_exit = kfunc(function* do_exit(_code: number): KGen {
  const tsk = current_ts();
  tsk.flags |= PF_EXITING;
  const group_dead = --tsk.signal.live === 0;
  yield* exit_mm();
  if (group_dead) yield* exit_files();
  /* release_task() → put_task_struct_rcu_user(): the task's own reference */
  yield* put_task_struct(tsk);
});
