import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUG_ON } from '../../src/kernel/bug.js';
import { lock_map_acquire_read, lock_map_release, lockdep_map } from '../../src/kernel/locking/lockdep.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import {
  TASK_IDLE,
  TASK_INTERRUPTIBLE,
  TASK_UNINTERRUPTIBLE,
  schedule,
  set_current_state,
  spawn_user,
  spawn_user_thread,
} from '../../src/kernel/sched/core.js';
import { type Machine, type Task, type Waitable, current, kfunc } from '../../src/sim/index.js';
import { Seeded, runProgram, titles } from './helpers.js';

function abbaDeadlock(spin: boolean) {
  return (_m: Machine) => {
    const a = spin ? spin_lock_init('A') : mutex_init('A');
    const b = spin ? spin_lock_init('B') : mutex_init('B');
    const lock = (l: unknown) => (spin ? spin_lock(l as never) : mutex_lock(l as never));
    const unlock = (l: unknown) => (spin ? spin_unlock(l as never) : mutex_unlock(l as never));
    spawn_user(
      't1',
      kfunc(function* ab_path() {
        yield* lock(a);
        yield undefined;
        yield* lock(b);
        yield* unlock(b);
        yield* unlock(a);
      }),
      0,
    );
    spawn_user(
      't2',
      kfunc(function* ba_path() {
        yield* lock(b);
        yield undefined;
        yield* lock(a);
        yield* unlock(a);
        yield* unlock(b);
      }),
      1,
    );
  };
}

function findDeadlockRun(spin: boolean) {
  for (let seed = 1; seed < 100; seed++) {
    const r = runProgram(abbaDeadlock(spin), { strategy: new Seeded(seed), over: { PROVE_LOCKING: false } });
    if (r.reports.some((x) => x.kind === 'deadlock')) return r;
  }
  return undefined;
}

test('mutex ABBA deadlock: circular wait and two hung tasks', () => {
  const r = findDeadlockRun(false);
  assert.ok(r);
  assert.deepEqual(titles(r).sort(), [
    'DEADLOCK: circular wait in ab_path',
    'INFO: task hung in ab_path',
    'INFO: task hung in ba_path',
  ]);
  const dl = r.reports.find((x) => x.kind === 'deadlock')?.text as string;
  assert.ok(dl.includes('cycle: t1/1 -> t2/2 -> t1/1'));
  assert.ok(dl.includes('task t1/1 (in cycle) waits for A, held by t2/2') || dl.includes('waits for B, held by t2/2'));
  const hung = r.reports.find((x) => x.title === 'INFO: task hung in ab_path')?.text as string;
  const lines = hung.split('\n');
  assert.equal(lines[0], 'INFO: task t1:1 blocked for more than 120 seconds.');
  assert.equal(lines[1], '      Not tainted 6.17.0-kernsim #1');
  assert.equal(lines[2], '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.');
  assert.equal(lines[3], 'task:t1              state:D stack:0     pid:1     tgid:1     ppid:1      flags:0x00004000');
  assert.ok(!hung.includes('Showing all locks'));
});

test('spinlock ABBA: circular wait, no hung task (spinning is not D state)', () => {
  const r = findDeadlockRun(true);
  assert.ok(r);
  assert.deepEqual(titles(r), ['DEADLOCK: circular wait in ab_path']);
  assert.ok(r.reports[0]?.text.includes('spins on'));
});

test('no deadlock under a schedule that completes: silent; DETECT_HUNG_TASK off: no hung task', () => {
  assert.deepEqual(titles(runProgram(abbaDeadlock(false), { over: { PROVE_LOCKING: false } })), []);
  const r = findDeadlockRun(false);
  assert.ok(r);
  const again = runProgram(abbaDeadlock(false), {
    strategy: new (class {
      private i = 0;
      choose() {
        return r.choices[this.i++] as number;
      }
    })(),
    over: { PROVE_LOCKING: false, DETECT_HUNG_TASK: false },
  });
  assert.deepEqual(titles(again), ['DEADLOCK: circular wait in ab_path']);
});

/** A waitable owned by given tasks (as an SRCU domain whose readers hold it). */
function domain(owners: () => Task[]): Waitable {
  return { owners, describe: () => 'srcu grace period of &subscriptions->srcu' };
}

test('waiting on itself (grace period inside its own read section) is a cycle of length one', () => {
  const r = runProgram(() => {
    const srcu = new lockdep_map('srcu', 'srcu');
    const readers: Task[] = [];
    spawn_user(
      'oom_reaper',
      kfunc(function* mmu_notifier_oom_enter() {
        lock_map_acquire_read(srcu);
        readers.push(current());
        set_current_state(TASK_UNINTERRUPTIBLE);
        yield* schedule(domain(() => readers));
        lock_map_release(srcu);
      }),
    );
  });
  assert.deepEqual(titles(r), [
    'DEADLOCK: circular wait in mmu_notifier_oom_enter',
    'INFO: task hung in mmu_notifier_oom_enter',
  ]);
  const hung = r.reports[1]?.text as string;
  assert.ok(hung.includes('Showing all locks held in the system:\n1 lock held by oom_reaper/1:\n #0: '));
  assert.ok(hung.includes(' <TASK>\n __schedule\n schedule\n mmu_notifier_oom_enter\n </TASK>'));
});

test('TASK_INTERRUPTIBLE and TASK_IDLE sleepers are not hung tasks', () => {
  for (const state of [TASK_INTERRUPTIBLE, TASK_IDLE]) {
    const r = runProgram(() => {
      spawn_user(
        'idle',
        kfunc(function* waits_forever() {
          set_current_state(state);
          yield* schedule();
        }),
      );
    });
    assert.deepEqual(titles(r), []);
  }
  const r = runProgram(() => {
    spawn_user(
      'd',
      kfunc(function* waits_forever() {
        set_current_state(TASK_UNINTERRUPTIBLE);
        yield* schedule();
      }),
    );
  });
  assert.deepEqual(titles(r), ['INFO: task hung in waits_forever']);
});

test("a hung thread's sched_show_task() line prints its thread group's tgid", () => {
  const r = runProgram(() => {
    const leader = spawn_user(
      'qemu',
      kfunc(function* pause() {
        set_current_state(TASK_INTERRUPTIBLE);
        yield* schedule();
      }),
    );
    spawn_user_thread(
      leader,
      'vcpu0',
      kfunc(function* waits_forever() {
        set_current_state(TASK_UNINTERRUPTIBLE);
        yield* schedule();
      }),
    );
  });
  assert.deepEqual(titles(r), ['INFO: task hung in waits_forever']);
  const lines = String(r.reports[0]?.text).split('\n');
  assert.equal(lines[0], 'INFO: task vcpu0:2 blocked for more than 120 seconds.');
  assert.equal(lines[3], 'task:vcpu0           state:D stack:0     pid:2     tgid:1     ppid:1      flags:0x00004000');
});

test('no hung-task reports once the kernel has died (TAINT_DIE after an Oops or BUG), as check_hung_uninterruptible_tasks() returns', () => {
  for (const oops of [false, true]) {
    const r = runProgram(() => {
      spawn_user(
        'd',
        kfunc(function* waits_forever() {
          set_current_state(TASK_UNINTERRUPTIBLE);
          yield* schedule();
        }),
      );
      if (oops)
        spawn_user(
          'b',
          kfunc(function* buggy() {
            yield undefined;
            BUG_ON(true, 'mm/oom_kill.c:1');
          }),
        );
    });
    assert.deepEqual(titles(r), oops ? ['kernel BUG in buggy'] : ['INFO: task hung in waits_forever']);
  }
});
