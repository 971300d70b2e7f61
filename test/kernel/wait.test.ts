import assert from 'node:assert/strict';
import { test } from 'node:test';
import { track_struct } from '../../src/kernel/lib/container_of.js';
import { shared } from '../../src/kernel/once.js';
import { TASK_UNINTERRUPTIBLE, schedule, spawn_user } from '../../src/kernel/sched/core.js';
import {
  DECLARE_WAIT_QUEUE_HEAD,
  DEFINE_WAIT,
  finish_wait,
  prepare_to_wait,
  wait_event,
  wait_event_interruptible,
  wait_event_timeout,
  wake_up,
  wake_up_all,
  waitqueue_active,
  wq_waitable,
} from '../../src/kernel/sched/wait.js';
import { RoundRobin, bootWith, runClean } from './helpers.js';
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
