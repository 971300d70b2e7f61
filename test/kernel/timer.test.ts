import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LockAcquireEvent } from '../../src/kernel/events.js';
import { kthread_create, kthread_run, kthread_should_stop, kthread_stop } from '../../src/kernel/kthread.js';
import { track_struct } from '../../src/kernel/lib/container_of.js';
import { complete_nosched, init_completion, wait_for_completion } from '../../src/kernel/completion.js';
import { GFP_KERNEL, kfree, kmalloc } from '../../src/kernel/mm/slab.js';
import { local_bh_disable, local_bh_enable } from '../../src/kernel/preempt.js';
import {
  cond_resched,
  msleep,
  schedule_timeout_interruptible,
  spawn_user,
  wake_up_process,
} from '../../src/kernel/sched/core.js';
import {
  TIMER_INIT,
  add_timer,
  add_timer_on,
  del_timer_sync,
  from_timer,
  jiffies,
  mod_timer,
  timer_delete,
  type timer_list,
  timer_pending,
  timer_setup,
} from '../../src/kernel/time/timer.js';
import { type KGen, SOFTIRQ_OFFSET, current, machine } from '../../src/sim/index.js';
import { RoundRobin, bootWith, dporOutcomes, ofType, runClean } from './helpers.js';

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

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

interface tdev {
  n: number;
  timer: timer_list;
}

function tdev_setup(fn: (t: timer_list) => void | KGen): tdev {
  const d = kmalloc((): tdev => ({ n: 0, timer: TIMER_INIT() }), GFP_KERNEL, 'struct tdev') as tdev;
  timer_setup(d.timer, fn);
  return d;
}

test('timer_pending: DPOR reaches the read before and after the callback fired', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const d = tdev_setup(function tfn() {});
    spawn_user('t', function* () {
      yield* mod_timer(d.timer, jiffies() + 1);
      yield* cond_resched();
      seen.add(`pending=${timer_pending(d.timer)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['pending=false', 'pending=true']);
});

test('add_timer on a pending timer WARNs; once it fired, add_timer re-arms it: DPOR reaches both', () => {
  const { seen, result } = dporOutcomes((seen) => {
    let fired = 0;
    const d = tdev_setup(function tfn() {
      fired++;
    });
    machine().endHooks.push(() => seen.add(`fired=${fired}`));
    spawn_user('t', function* () {
      // No clock read after the arming: only the timer's own state orders add_timer and the expiry.
      const expires = jiffies() + 1;
      yield* mod_timer(d.timer, expires);
      yield* cond_resched();
      d.timer.expires = expires;
      yield* add_timer(d.timer);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['fired=1', 'fired=2']);
  assert.ok(result.findings.some((f) => f.title.startsWith('WARNING')));
});

/** A callback preempted halfway (PREEMPT_RT runs timers in a preemptible thread), touching the struct on both sides. */
function* halfway(d: tdev): KGen {
  d.n++;
  yield undefined;
  d.n++;
}

for (const [name, sync] of [
  ['timer_delete', false],
  ['del_timer_sync', true],
] as const) {
  test(`${name} + kfree while the callback is halfway: ${sync ? 'clean (it waits)' : 'a use-after-free'}`, () => {
    const { seen, result } = dporOutcomes(
      (seen) => {
        const started = init_completion('started');
        const d = tdev_setup(function* tfn(t: timer_list): KGen {
          const dd = from_timer<tdev>(t, 'timer');
          complete_nosched(started);
          yield* halfway(dd);
        });
        spawn_user('armer', function* () {
          yield* mod_timer(d.timer, jiffies() + 1);
        });
        spawn_user('deleter', function* () {
          yield* wait_for_completion(started);
          const was = sync ? yield* del_timer_sync(d.timer) : yield* timer_delete(d.timer);
          seen.add(`was=${was}`);
          kfree(d);
        });
      },
      { PREEMPT_RT: true },
    );
    assert.equal(result.complete, true);
    assert.deepEqual(seen, ['was=0']);
    const uaf = result.findings.filter((f) => f.title.startsWith('BUG: KASAN: slab-use-after-free'));
    assert.equal(uaf.length, sync ? 0 : 1, result.findings.map((f) => f.title).join(' | '));
  });
}

/** A device whose timer callback re-arms itself (a watchdog), torn down with `teardown`. */
function rearming(teardown: (t: timer_list) => KGen<number>) {
  return dporOutcomes((seen) => {
    const d = track_struct<dev>({ fired: 0, pc: -1, pid: -1, timer: TIMER_INIT() }, 'static', 'struct dev');
    let returned = -1;
    timer_setup(d.timer, function* watchdog_fn(t: timer_list) {
      const dd = from_timer<dev>(t, 'timer');
      if (returned >= 0) seen.add('callback ran after the teardown returned');
      // Re-arms itself (a few times, so that every run ends).
      if (++dd.fired < 4) yield* mod_timer(t, jiffies() + 1);
    });
    machine().endHooks.push(() => {
      if (d.fired <= returned) seen.add('quiet after the teardown');
    });
    spawn_user(
      't',
      function* () {
        // Queued on CPU 0's base: its callback runs there while this task, on CPU 1, tears it down.
        d.timer.expires = jiffies() + 1;
        yield* add_timer_on(d.timer, 0);
        yield* cond_resched();
        yield* teardown(d.timer);
        returned = d.fired;
      },
      1,
    );
  });
}

test('del_timer_sync retries until the timer is neither running nor re-armed: a self-re-arming timer never runs after it returns', () => {
  const sync = rearming(del_timer_sync);
  assert.equal(sync.result.complete, true);
  assert.deepEqual(sync.seen, ['quiet after the teardown']);
  // timer_delete() does not wait: the running callback re-arms it, and it runs again.
  const plain = rearming(timer_delete);
  assert.equal(plain.result.complete, true);
  assert.ok(plain.seen.includes('callback ran after the teardown returned'), plain.seen.join(' | '));
});

test('a timer callback runs on the CPU whose base the timer was queued on: the arming CPU, or add_timer_on()', () => {
  for (const [armCpu, on] of [
    [0, undefined],
    [1, undefined],
    [1, 0],
  ] as const) {
    const { k, d } = setup(false);
    let cpu = -1;
    timer_setup(d.timer, function where_fn() {
      cpu = current().cpu;
    });
    spawn_user(
      't',
      function* () {
        if (on === undefined) yield* mod_timer(d.timer, jiffies() + 1);
        else {
          d.timer.expires = jiffies() + 1;
          yield* add_timer_on(d.timer, on);
        }
      },
      armCpu,
    );
    runClean(k);
    assert.equal(cpu, on ?? armCpu, `armed on CPU ${armCpu}, add_timer_on ${on}`);
  }
});

/**
 * A task on CPU 0 inside a BH-disabled section (its work spans two steps) and a timer queued on
 * `timerCpu`'s base: does the callback ever run inside the section?
 */
function bhSection(rt: boolean, timerCpu: number) {
  return dporOutcomes(
    (seen) => {
      // d.pc is the "inside" flag: tracked memory, so the callback's read of it is a footprint.
      const d = track_struct<dev>({ fired: 0, pc: 0, pid: -1, timer: TIMER_INIT() }, 'static', 'struct dev');
      timer_setup(d.timer, function bh_probe_fn() {
        seen.add(d.pc ? 'callback inside the BH-disabled section' : 'callback outside');
      });
      spawn_user(
        'armer',
        function* () {
          d.timer.expires = jiffies() + 1;
          yield* add_timer_on(d.timer, timerCpu);
        },
        1,
      );
      spawn_user(
        'bh',
        function* () {
          yield* local_bh_disable();
          d.pc = 1;
          yield* cond_resched();
          d.pc = 0;
          yield* local_bh_enable();
        },
        0,
      );
    },
    { PREEMPT_RT: rt },
  );
}

test("local_bh_disable() keeps its CPU's timer callbacks out (PREEMPT_RT: softirq_ctrl.lock), not another CPU's", () => {
  for (const rt of [false, true]) {
    const same = bhSection(rt, 0);
    assert.equal(same.result.complete, true);
    assert.deepEqual(same.seen, ['callback outside'], `RT=${rt}`);
    const other = bhSection(rt, 1);
    assert.equal(other.result.complete, true);
    assert.deepEqual(other.seen, ['callback inside the BH-disabled section', 'callback outside'], `RT=${rt}`);
  }
});

test('a use-after-free in a timer callback is titled in the callback, with the timer softirq frames in the trace', () => {
  for (const rt of [false, true]) {
    const { seen, result } = dporOutcomes(
      (seen) => {
        const buf = kmalloc(() => ({ n: 0 }), GFP_KERNEL, 'struct buf') as { n: number };
        const d = track_struct({ buf, timer: TIMER_INIT() }, 'static', 'struct dev');
        timer_setup(d.timer, function tfn_uaf(t: timer_list) {
          const dd = from_timer<{ buf: { n: number } }>(t, 'timer');
          dd.buf.n++;
          seen.add('fired');
        });
        spawn_user('owner', function* () {
          yield* mod_timer(d.timer, jiffies() + 1);
          yield* cond_resched();
          kfree(buf); // the timer is still armed: its callback may still come
        });
      },
      { PREEMPT_RT: rt },
    );
    assert.equal(result.complete, true);
    assert.deepEqual(seen, ['fired']);
    const titles = result.findings.map((f) => f.title);
    assert.deepEqual(titles, ['BUG: KASAN: slab-use-after-free in tfn_uaf'], `RT=${rt}`);
    const text = (result.findings[0] as (typeof result.findings)[0]).report.text;
    for (const frame of ['tfn_uaf', 'call_timer_fn', 'expire_timers', '__run_timers', 'run_timer_softirq'])
      assert.ok(text.includes(` ${frame}\n`), `${frame} in\n${text}`);
  }
});

test('kthread_should_stop() reads the flags word kthread_stop() writes: DPOR reaches a stop between two of its steps', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const d = track_struct({ x: 0 }, 'static', 'struct d');
    let check = false;
    let x = -1;
    const worker = kthread_run(function* () {
      yield* cond_resched();
      d.x = 1;
      yield* cond_resched();
      check = kthread_should_stop();
      yield* cond_resched();
      return 0;
    }, 'worker');
    spawn_user('stopper', function* () {
      yield undefined;
      x = d.x;
      yield* kthread_stop(worker);
    });
    machine().endHooks.push(() => seen.add(`x=${x} check=${check}`));
  });
  assert.equal(result.complete, true);
  // x=1 with check=true: the stop came after the write of x and before the check.
  assert.ok(seen.includes('x=1 check=true'), seen.join(' | '));
});

test('msleep() sleeps the whole time even if woken early (it loops on schedule_timeout_uninterruptible())', () => {
  const { k } = bootWith(new RoundRobin());
  let woke = -1;
  const sleeper = spawn_user('s', function* () {
    yield* msleep(10);
    woke = machine().now;
  });
  spawn_user('waker', function* () {
    yield undefined;
    wake_up_process(sleeper); // a stray wake-up: msleep must not return at t=0
  });
  runClean(k);
  assert.equal(woke, 10_000_000);
});
