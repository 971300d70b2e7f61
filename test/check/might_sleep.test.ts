import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { kernel } from '../../src/kernel/kernel.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { non_block_end, non_block_start, preempt_disable, preempt_enable } from '../../src/kernel/preempt.js';
import { rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import {
  PATCH_RT_NONBLOCK_SLEEPING_LOCKS,
  TASK_UNINTERRUPTIBLE,
  might_sleep,
  schedule,
  set_current_state,
  spawn_user,
  wake_up_process,
} from '../../src/kernel/sched/core.js';
import { kfunc } from '../../src/sim/index.js';
import { runProgram, titles } from './helpers.js';

function sleepUnderSpin(over: Record<string, boolean> = {}) {
  return runProgram(
    () => {
      const sl = spin_lock_init('&kvm->mmu_lock');
      const mu = mutex_init('&kvm->slots_lock');
      const f = kfunc(function* kvm_mmu_notifier_invalidate_range_start() {
        yield* spin_lock(sl);
        yield* mutex_lock(mu);
        yield* mutex_unlock(mu);
        yield* spin_unlock(sl);
      });
      spawn_user('qemu', () => f());
    },
    { over },
  );
}

test('mutex_lock under a spinlock: sleeping function called from invalid context', () => {
  const r = sleepUnderSpin();
  const rep = r.reports.find((x) => x.kind === 'might_sleep');
  assert.ok(rep);
  assert.equal(
    rep.title,
    'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start',
  );
  const lines = rep.text.split('\n');
  assert.equal(lines[0], 'BUG: sleeping function called from invalid context at kernel/locking/mutex.c:283');
  assert.equal(lines[1], 'in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1, name: qemu');
  assert.equal(lines[2], 'preempt_count: 1, expected: 0');
  assert.equal(lines[3], 'RCU nest depth: 0, expected: 0');
  assert.equal(lines[4], '1 lock held by qemu/1:');
  assert.match(
    lines[5] as string,
    /^ #0: ffff8880[0-9a-f]{8} \(&kvm->mmu_lock\)\{....\}-\{3:3\}, at: kvm_mmu_notifier/,
  );
  assert.ok(
    rep.text.endsWith(
      'Call Trace:\n <TASK>\n dump_stack_lvl\n __might_resched\n mutex_lock\n kvm_mmu_notifier_invalidate_range_start\n </TASK>',
    ),
  );
});

test('on PREEMPT_RT a mutex under spin_lock is reported through the RCU nest depth', () => {
  const r = sleepUnderSpin({ PREEMPT_RT: true });
  // rt spin_lock holds rcu_read_lock: mutex_lock's might_sleep sees RCU depth 1, expected 0.
  const rep = r.reports.find((x) => x.kind === 'might_sleep');
  assert.ok(rep);
  assert.ok(rep.text.includes('RCU nest depth: 1, expected: 0'));
});

test('DEBUG_ATOMIC_SLEEP off: silent', () => {
  const r = sleepUnderSpin({ DEBUG_ATOMIC_SLEEP: false });
  assert.deepEqual(
    r.reports.filter((x) => x.kind === 'might_sleep' && x.title.includes('invalid context')),
    [],
  );
});

test('mutex alone is fine', () => {
  const r = runProgram(() => {
    const mu = mutex_init('m');
    const f = kfunc(function* worker() {
      yield* mutex_lock(mu);
      might_sleep();
      yield* mutex_unlock(mu);
    });
    spawn_user('a', () => f());
    spawn_user('b', () => f());
  });
  assert.deepEqual(titles(r), []);
});

test('non_block section and rcu read section are invalid contexts', () => {
  const r = runProgram(() => {
    const f = kfunc(function* nb() {
      non_block_start();
      might_sleep('mm/x.c', 1);
      non_block_end();
      yield undefined;
    });
    spawn_user('a', () => f());
  });
  assert.deepEqual(titles(r), ['BUG: sleeping function called from invalid context in nb']);
  assert.ok(r.reports[0]?.text.includes('non_block: 1,'));
  const r2 = runProgram(() => {
    const f = kfunc(function* reader() {
      rcu_read_lock();
      might_sleep('mm/x.c', 2);
      rcu_read_unlock();
      yield undefined;
    });
    spawn_user('a', () => f());
  });
  assert.deepEqual(titles(r2), ['BUG: sleeping function called from invalid context in reader']);
});

test('rate limit: one report per HZ of virtual time', () => {
  const r = runProgram(() => {
    const f = kfunc(function* twice() {
      preempt_disable();
      might_sleep('a.c', 1);
      might_sleep('b.c', 2);
      preempt_enable();
      yield undefined;
    });
    spawn_user('a', () => f());
  });
  assert.equal(r.reports.length, 1);
});

test('scheduling while atomic', () => {
  const r = runProgram(
    () => {
      const waiter = spawn_user(
        'w',
        kfunc(function* sleeper_in_atomic() {
          preempt_disable();
          set_current_state(TASK_UNINTERRUPTIBLE);
          yield* schedule();
          preempt_enable();
        }),
      );
      spawn_user(
        'k',
        kfunc(function* waker() {
          yield undefined;
          wake_up_process(waiter);
        }),
      );
    },
    { over: { DEBUG_ATOMIC_SLEEP: false } },
  );
  const rep = r.reports.find((x) => x.title.startsWith('BUG: scheduling while atomic'));
  assert.ok(rep);
  assert.equal(rep.title, 'BUG: scheduling while atomic in sleeper_in_atomic');
  assert.equal(rep.text.split('\n')[0], 'BUG: scheduling while atomic: w/1/0x00000001');
});

/** Sebastian's scheduler fix: RT sleeping spinlocks are legal inside non_block, nothing else is. */
function nonBlockProgram(patched: boolean, takeMutex: boolean) {
  return runProgram(
    () => {
      if (patched) kernel().patches.add(PATCH_RT_NONBLOCK_SLEEPING_LOCKS);
      const sl = spin_lock_init('&kvm->mn_invalidate_lock');
      const mu = mutex_init('&kvm->slots_lock');
      const f = kfunc(function* kvm_mmu_notifier_invalidate_range_start() {
        non_block_start();
        yield* spin_lock(sl);
        yield* spin_unlock(sl);
        if (takeMutex) {
          yield* mutex_lock(mu);
          yield* mutex_unlock(mu);
        }
        non_block_end();
      });
      spawn_user('oom_reaper', () => f());
    },
    { over: { PREEMPT_RT: true } },
  );
}

test('non_block + RT spinlock: splat on mainline, silent with the sleeping-lock scheduler patch', () => {
  const title = 'BUG: sleeping function called from invalid context in kvm_mmu_notifier_invalidate_range_start';
  const plain = nonBlockProgram(false, false);
  assert.deepEqual(titles(plain), [title]);
  assert.match(plain.reports[0]?.text ?? '', /non_block: 1/);
  assert.deepEqual(titles(nonBlockProgram(true, false)), []);
  // The patch only exempts sleeping *spinlocks*: a mutex inside non_block is still reported.
  const mutex = nonBlockProgram(true, true);
  assert.deepEqual(titles(mutex), [title]);
  assert.match(mutex.reports[0]?.text ?? '', /at kernel\/locking\/mutex\.c/);
});
