import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LockAcquireEvent } from '../../src/kernel/events.js';
import { kthread_create, kthread_should_stop, kthread_stop } from '../../src/kernel/kthread.js';
import { track_struct } from '../../src/kernel/lib/container_of.js';
import { schedule_timeout_interruptible, spawn_user, wake_up_process } from '../../src/kernel/sched/core.js';
import {
  TIMER_INIT,
  del_timer_sync,
  from_timer,
  jiffies,
  mod_timer,
  timer_delete,
  type timer_list,
  timer_pending,
  timer_setup,
} from '../../src/kernel/time/timer.js';
import { SOFTIRQ_OFFSET, current } from '../../src/sim/index.js';
import { RoundRobin, bootWith, ofType, runClean } from './helpers.js';

interface dev {
  fired: number;
  pc: number;
  pid: number;
  timer: timer_list;
}

function setup(rt: boolean) {
  const { k, events } = bootWith(new RoundRobin(), { PREEMPT_RT: rt });
  const d = track_struct<dev>({ fired: 0, pc: -1, pid: -1, timer: TIMER_INIT() }, 'static', 'struct dev');
  timer_setup(d.timer, function dev_timer_fn(t: timer_list) {
    const dd = from_timer<dev>(t, 'timer');
    dd.fired++;
    dd.pc = current().preempt_count;
    dd.pid = current().pid;
  });
  return { k, events, d };
}

test('mod_timer fires the callback as pid 0 in softirq context at the expiry time', () => {
  const { k, d, events } = setup(false);
  let pend = false;
  spawn_user('t', function* () {
    yield* mod_timer(d.timer, jiffies() + 10);
    pend = timer_pending(d.timer);
  });
  const r = runClean(k);
  assert.ok(pend);
  assert.equal(d.fired, 1);
  assert.equal(d.pid, 0);
  assert.equal(d.pc, SOFTIRQ_OFFSET);
  assert.equal(r.timeNs, 10_000_000);
  assert.ok(!timer_pending(d.timer));
  assert.ok(ofType<LockAcquireEvent>(events, 'lock_acquire').some((e) => e.cls.name === '(dev_timer_fn)'));
});

test('PREEMPT_RT: timer callbacks run with preempt count 0', () => {
  const { k, d } = setup(true);
  spawn_user('t', function* () {
    yield* mod_timer(d.timer, jiffies() + 1);
  });
  runClean(k);
  assert.equal(d.fired, 1);
  assert.equal(d.pc, 0);
});

test('timer_delete and del_timer_sync disarm; mod_timer re-arms (returns whether pending)', () => {
  const { k, d } = setup(false);
  const rets: number[] = [];
  spawn_user('t', function* () {
    rets.push(yield* mod_timer(d.timer, jiffies() + 5));
    rets.push(yield* mod_timer(d.timer, jiffies() + 7));
    rets.push(yield* timer_delete(d.timer));
    rets.push(yield* mod_timer(d.timer, jiffies() + 5));
    rets.push(yield* del_timer_sync(d.timer));
    rets.push(yield* del_timer_sync(d.timer));
  });
  runClean(k);
  assert.deepEqual(rets, [0, 1, 1, 0, 1, 0]);
  assert.equal(d.fired, 0);
});

test('kthread_create sleeps until woken; kthread_stop returns the exit code; stop before start gives -EINTR', () => {
  const { k } = bootWith(new RoundRobin());
  let loops = 0;
  let stopped = -1;
  let early = 0;
  const worker = kthread_create(function* () {
    while (!kthread_should_stop()) {
      loops++;
      yield* schedule_timeout_interruptible(1);
    }
    return 7;
  }, 'worker');
  const never = kthread_create(function* () {
    return 0;
  }, 'never');
  assert.ok(worker.blocked);
  spawn_user('ctl', function* () {
    wake_up_process(worker);
    yield undefined;
    yield undefined;
    stopped = yield* kthread_stop(worker);
    early = yield* kthread_stop(never);
  });
  runClean(k);
  assert.ok(loops >= 1);
  assert.equal(stopped, 7);
  assert.equal(early, -4);
});
