/**
 * Kernel threads (kernel/kthread.c): kthread_create() (created asleep),
 * kthread_run(), kthread_should_stop(), kthread_stop(). Freezing and parking
 * are not modelled.
 */
import {
  ACCESS_READ,
  ACCESS_WRITE,
  type Acquirable,
  type KGen,
  type Task,
  current,
  machine,
  markInternal,
} from '../sim/index.js';
import { TASK_UNINTERRUPTIBLE, wake_up_process } from './sched/core.js';

markInternal('kthread', 'kthread_stop');

export const EINTR = 4;

/** A thread function: returns its exit code (kthread_stop() returns it). */
export type kthread_fn = () => KGen<number | void>;

/**
 * kthread_create(threadfn, name): the thread exists but sleeps until
 * wake_up_process(); if kthread_stop() comes first, threadfn never runs and
 * the result is -EINTR.
 */
export function kthread_create(threadfn: kthread_fn, name: string, cpu?: number): Task {
  // kthread() sets TASK_UNINTERRUPTIBLE and schedules before kthread_create() returns (it waits
  // for the new thread's completion): the thread is created asleep.
  // Named `kthread`: the task's entry (the frame its reports start from) is the function's name.
  const kthread = () => kthread_main(threadfn);
  const m = machine();
  const t = m.spawn(name, kthread, { kthread: true, asleep: true, ...(cpu === undefined ? {} : { cpu }) });
  t.state = TASK_UNINTERRUPTIBLE;
  // struct kthread: its flags word (KTHREAD_SHOULD_STOP) and its `exited` completion, ids given at
  // creation (so the same in every run).
  t.data.kthread_flags_id = m.newId();
  t.data.kthread_exited_id = m.newId();
  return t;
}

/**
 * kthread() (kernel/kthread.c): runs threadfn unless kthread_stop() came first. Module-level, the
 * thread function its argument: a generator function made per thread would keep the run's world
 * alive through the young GC (docs/architecture.md, "What keeps a finished run alive").
 */
function* kthread_main(threadfn: kthread_fn): KGen {
  const self = current();
  if (should_stop(self)) {
    self.data.kthread_result = -EINTR;
    return;
  }
  const r = yield* threadfn();
  self.data.kthread_result = r ?? 0;
}

/** kthread_run(): kthread_create() + wake_up_process(). */
export function kthread_run(threadfn: kthread_fn, name: string, cpu?: number): Task {
  const t = kthread_create(threadfn, name, cpu);
  wake_up_process(t);
  return t;
}

/** test_bit(KTHREAD_SHOULD_STOP, &kthread->flags): a read of the flags word (footprint). */
function should_stop(k: Task): boolean {
  machine().access(k.data.kthread_flags_id as number, ACCESS_READ);
  return Boolean(k.data.kthread_should_stop);
}

/**
 * kthread_should_stop(): whether kthread_stop() was called on the current thread. A read of the
 * thread's flags word that kthread_stop() writes (no scheduling point of its own, like the
 * kernel's test_bit(): put one before it where the model needs the window).
 */
export function kthread_should_stop(): boolean {
  return should_stop(current());
}

/** kthread_stop(k): asks the thread to stop, wakes it, waits for it to exit, returns its result. */
export function* kthread_stop(k: Task): KGen<number> {
  const t = current();
  t.frames.push('kthread_stop');
  yield undefined;
  // set_bit(KTHREAD_SHOULD_STOP, &kthread->flags)
  machine().access(k.data.kthread_flags_id as number, ACCESS_WRITE);
  k.data.kthread_should_stop = true;
  wake_up_process(k);
  const exited: Acquirable = {
    id: k.data.kthread_exited_id as number,
    canAcquire: () => k.dead,
    owners: () => [k],
    sleeping: true,
    describe: () => `exit of ${k.comm}:${k.pid}`,
  };
  if (!k.dead) yield exited;
  // What decided it could go on: the thread's exit (its state word).
  machine().access(k.stateId, ACCESS_READ);
  t.frames.pop();
  return (k.data.kthread_result as number | undefined) ?? 0;
}
