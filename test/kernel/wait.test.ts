import assert from 'node:assert/strict';
import { test } from 'node:test';
import { track_struct } from '../../src/kernel/lib/container_of.js';
import { __READ_ONCE, shared } from '../../src/kernel/once.js';
import { TASK_UNINTERRUPTIBLE, cond_resched, schedule, spawn_user } from '../../src/kernel/sched/core.js';
import {
  DECLARE_WAITQUEUE,
  DECLARE_WAIT_QUEUE_HEAD,
  DEFINE_WAIT,
  add_wait_queue,
  finish_wait,
  prepare_to_wait,
  remove_wait_queue,
  wait_event,
  wait_event_interruptible,
  wait_event_timeout,
  wake_up,
  wake_up_all,
  waitqueue_active,
  wq_waitable,
} from '../../src/kernel/sched/wait.js';
import { machine } from '../../src/sim/index.js';
import { RoundRobin, bootWith, dporOutcomes, runClean } from './helpers.js';
import { SeededWalk } from '../../src/explore/random.js';

/** Random schedules (seeded), to check wait_event never loses a wake-up. */
const Seeded = SeededWalk;

test('wait_event + wake_up: no lost wake-up under any of 200 random schedules', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const { k } = bootWith(new Seeded(seed));
    const st = shared({ done: 0, wq: DECLARE_WAIT_QUEUE_HEAD() }, 'struct st');
    const w = spawn_user('waiter', function* () {
      yield* wait_event(st.wq, () => st.done === 1);
    });
    spawn_user('waker', function* () {
      yield undefined;
      st.done = 1;
      yield* wake_up(st.wq);
    });
    runClean(k);
    assert.ok(w.dead, `seed ${seed}: waiter still blocked`);
  }
});

test('wait_event without wake_up: the waiter stays asleep on the wait queue', () => {
  const { k } = bootWith(new RoundRobin());
  const st = track_struct({ done: 0, wq: DECLARE_WAIT_QUEUE_HEAD() }, 'static', 'struct st');
  const w = spawn_user('waiter', function* () {
    yield* wait_event(st.wq, () => st.done === 1);
  });
  spawn_user('waker', function* () {
    yield undefined;
    yield undefined;
    st.done = 1;
  });
  runClean(k);
  assert.ok(w.blocked);
  assert.equal(w.waitingOn?.describe(), 'wait queue wq');
  assert.ok(waitqueue_active(st.wq));
});

test('wake_up wakes one exclusive waiter, wake_up_all every waiter; entries are auto-removed', () => {
  const { k } = bootWith(new RoundRobin());
  const st = shared({ wq: DECLARE_WAIT_QUEUE_HEAD() }, 'struct st');
  const woke: string[] = [];
  for (const name of ['a', 'b']) {
    spawn_user(name, function* () {
      const wait = DEFINE_WAIT();
      wait.flags = 1; // WQ_FLAG_EXCLUSIVE
      yield* prepare_to_wait(st.wq, wait, TASK_UNINTERRUPTIBLE);
      yield* schedule(wq_waitable(st.wq));
      yield* finish_wait(st.wq, wait);
      woke.push(name);
    });
  }
  let afterOne = 0;
  spawn_user('waker', function* () {
    for (let i = 0; i < 4; i++) yield undefined;
    // prepare_to_wait clears the exclusive flag: both are non-exclusive, so wake_up wakes both.
    afterOne = yield* wake_up(st.wq);
    yield* wake_up_all(st.wq);
  });
  runClean(k);
  assert.equal(afterOne, 2);
  assert.deepEqual(woke.sort(), ['a', 'b']);
  assert.ok(!waitqueue_active(st.wq));
});

test('wait_event_interruptible returns 0; wait_event_timeout returns 0 on timeout', () => {
  const { k } = bootWith(new RoundRobin());
  const st = shared({ done: 0, wq: DECLARE_WAIT_QUEUE_HEAD() }, 'struct st');
  let r1 = -1;
  let r2 = -1;
  spawn_user('w1', function* () {
    r1 = yield* wait_event_interruptible(st.wq, () => st.done === 1);
  });
  spawn_user('w2', function* () {
    r2 = yield* wait_event_timeout(st.wq, () => false, 10);
  });
  spawn_user('waker', function* () {
    yield undefined;
    st.done = 1;
    yield* wake_up(st.wq);
  });
  const res = runClean(k);
  assert.equal(r1, 0);
  assert.equal(r2, 0);
  assert.ok(res.timeNs >= 10_000_000);
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('waitqueue_active on a head outside tracked memory: DPOR reaches the read before and after add_wait_queue', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = DECLARE_WAIT_QUEUE_HEAD(); // a plain struct: only the head's own id orders its operations
    spawn_user('adder', function* () {
      const e = DECLARE_WAITQUEUE();
      yield* add_wait_queue(wq, e);
      yield* remove_wait_queue(wq, e);
    });
    spawn_user('looker', function* () {
      yield* cond_resched();
      seen.add(`active=${waitqueue_active(wq)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['active=false', 'active=true']);
});

test('wait_event + wake_up under KCSAN: the wait queue lock orders the list accesses (no data race)', () => {
  const { seen, result } = dporOutcomes(
    (seen) => {
      const st = shared({ done: 0, wq: DECLARE_WAIT_QUEUE_HEAD() }, 'struct st');
      spawn_user('waiter', function* () {
        yield* wait_event(st.wq, () => done_marked(st));
        seen.add('woke');
      });
      spawn_user('waker', function* () {
        yield* cond_resched();
        st.done = 1;
        yield* wake_up(st.wq);
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

/** The condition read, marked (the kernel's conditions are READ_ONCE()s or under a lock). */
function done_marked(st: { done: number }): boolean {
  return __READ_ONCE(st, 'done') === 1;
}

test('a waker that sets the condition after wake_up loses the wake-up in some interleaving (a hung waiter)', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const st = shared({ done: 0, wq: DECLARE_WAIT_QUEUE_HEAD() }, 'struct st');
    const waiter = spawn_user('waiter', function* () {
      yield* wait_event(st.wq, () => st.done === 1);
    });
    spawn_user('waker', function* () {
      yield* wake_up(st.wq);
      yield* cond_resched();
      st.done = 1;
    });
    machine().endHooks.push(() => seen.add(waiter.dead ? 'woke' : 'asleep'));
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['asleep', 'woke']);
});
