import assert from 'node:assert/strict';
import { test } from 'node:test';
import { __READ_ONCE, __WRITE_ONCE, shared } from '../../src/kernel/once.js';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import {
  RCUWAIT_INIT,
  finish_rcuwait,
  prepare_to_rcuwait,
  rcuwait_active,
  rcuwait_schedule,
  rcuwait_wait_event,
  rcuwait_wake_up,
} from '../../src/kernel/sched/rcuwait.js';
import { TASK_UNINTERRUPTIBLE, set_current_state } from '../../src/kernel/sched/core.js';
import { RoundRobin, bootWith, dporOutcomes, runClean } from './helpers.js';

function scenario(wake: boolean) {
  const { k } = bootWith(new RoundRobin());
  const kvm = shared({ mn_active_invalidate_count: 1, mn_memslots_update_rcuwait: RCUWAIT_INIT() }, 'struct kvm');
  let woke = false;
  const waiter = spawn_user('memslot_update', function* () {
    yield* rcuwait_wait_event(kvm.mn_memslots_update_rcuwait, () => kvm.mn_active_invalidate_count === 0);
    woke = true;
  });
  spawn_user('after_oom_unregister', function* () {
    yield undefined;
    while (!(yield* rcuwait_active(kvm.mn_memslots_update_rcuwait))) yield undefined;
    yield undefined;
    kvm.mn_active_invalidate_count = 0;
    if (wake) yield* rcuwait_wake_up(kvm.mn_memslots_update_rcuwait);
  });
  runClean(k);
  return { woke, waiter };
}

test('rcuwait: the waiter is woken by rcuwait_wake_up', () => {
  const { woke, waiter } = scenario(true);
  assert.ok(woke);
  assert.ok(waiter.dead);
});

test('F-V2-8: a missed rcuwait_wake_up leaves the waiter asleep at the end', () => {
  const { woke, waiter } = scenario(false);
  assert.ok(!woke);
  assert.ok(waiter.blocked);
  assert.equal(waiter.state, TASK_UNINTERRUPTIBLE);
  assert.match(waiter.waitingOn?.describe() ?? '', /rcuwait/);
});

test('rcuwait: open-coded prepare/schedule/finish as kvm_swap_active_memslots does', () => {
  const { k } = bootWith(new RoundRobin());
  const kvm = shared({ count: 1, w: RCUWAIT_INIT() }, 'struct kvm');
  let done = false;
  spawn_user('waiter', function* () {
    yield* prepare_to_rcuwait(kvm.w);
    while (kvm.count) {
      set_current_state(TASK_UNINTERRUPTIBLE);
      yield* rcuwait_schedule(kvm.w);
    }
    yield* finish_rcuwait(kvm.w);
    done = true;
  });
  spawn_user('waker', function* () {
    yield undefined;
    yield undefined;
    kvm.count = 0;
    yield* rcuwait_wake_up(kvm.w);
  });
  runClean(k);
  assert.ok(done);
  assert.equal(kvm.w.task, null);
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('rcuwait_active on an rcuwait outside tracked memory: DPOR reaches the read before and after prepare_to_rcuwait', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const w = RCUWAIT_INIT(); // a plain struct: only the rcuwait's own id orders its operations
    spawn_user('waiter', function* () {
      yield* prepare_to_rcuwait(w);
      yield* finish_rcuwait(w);
    });
    spawn_user('looker', function* () {
      yield* cond_resched();
      seen.add(`active=${yield* rcuwait_active(w)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['active=false', 'active=true']);
});

test('rcuwait under KCSAN: w->task is rcu_assign_pointer()/rcu_dereference() (no data race), and no lost wake-up', () => {
  const { seen, result } = dporOutcomes(
    (seen) => {
      const kvm = shared({ count: 1, w: RCUWAIT_INIT() }, 'struct kvm');
      spawn_user('waiter', function* () {
        yield* rcuwait_wait_event(kvm.w, () => __READ_ONCE(kvm, 'count') === 0);
        seen.add('woke');
      });
      spawn_user('waker', function* () {
        yield* cond_resched();
        __WRITE_ONCE(kvm, 'count', 0);
        yield* rcuwait_wake_up(kvm.w);
      });
    },
    { KCSAN: true },
  );
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['woke']);
  assert.deepEqual(
    result.findings.map((f) => f.title),
    [],
  );
});
