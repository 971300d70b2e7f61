/** Workqueues, completions and RCU grace periods (kernel/workqueue.ts, completion.ts, rcu/tree.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  complete,
  complete_all,
  completion_done,
  init_completion,
  reinit_completion,
  try_wait_for_completion,
  wait_for_completion,
} from '../../src/kernel/completion.js';
import type { RcuSuspiciousEvent } from '../../src/kernel/events.js';
import { call_rcu, rcu_barrier, synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import { RCU_HEAD_INIT, rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE, cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import {
  INIT_DELAYED_WORK,
  INIT_WORK,
  alloc_workqueue,
  cancel_delayed_work_sync,
  cancel_work_sync,
  destroy_workqueue,
  flush_delayed_work,
  flush_work,
  flush_workqueue,
  queue_work,
  queue_work_on,
  schedule_delayed_work,
  schedule_work,
} from '../../src/kernel/workqueue.js';
import { cancel_work, disable_work_sync, enable_work, type work_struct } from '../../src/kernel/workqueue.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { type KGen, type Task, kfunc, machine } from '../../src/sim/index.js';
import { dporOutcomes } from '../kernel/helpers.js';
import { Log, Seeded, ofType, run, titles } from './helpers.js';

test('schedule_work runs the item once on a kworker, which then idles in TASK_INTERRUPTIBLE (not a hang)', () => {
  const log = new Log();
  let comm = '';
  const { r, k } = run(() => {
    spawn_user('t', function* () {
      const w = INIT_WORK(function my_work() {
        comm = machine().current.comm;
        log.mark('W');
      });
      assert.equal(yield* schedule_work(w), true);
      assert.equal(yield* schedule_work(w), false, 'already pending');
    });
  });
  assert.equal(r.end, 'done');
  assert.deepEqual(log.seq, ['W']);
  assert.match(comm, /^kworker\/\d+:\d+$/);
  const workers = k.machine.tasks.filter((t) => t.comm.startsWith('kworker/'));
  assert.equal(workers.length, 1);
  assert.equal(workers[0]?.state, TASK_INTERRUPTIBLE);
  assert.deepEqual(titles(r), []);
});

test('flush_work waits for the item; cancel_work_sync removes a pending one', () => {
  for (let seed = 1; seed <= 100; seed++) {
    const log = new Log();
    const { r } = run(
      () => {
        spawn_user('t', function* () {
          const w = INIT_WORK(function* slow_work() {
            log.mark('W1');
            yield undefined;
            yield undefined;
            log.mark('W2');
          });
          yield* schedule_work(w);
          yield* flush_work(w);
          log.mark('F');
          const c = INIT_WORK(function never() {
            log.mark('never');
          });
          const wq = alloc_workqueue('mywq');
          yield* queue_work(wq, c);
          const was = yield* cancel_work_sync(c);
          if (was) assert.ok(!log.has('never'));
          yield* flush_workqueue(wq);
          yield* destroy_workqueue(wq);
          log.mark('D');
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.ok(log.pos('W2') < log.pos('F'), `seed ${seed}: ${log.seq}`);
    assert.ok(log.has('D'));
    assert.deepEqual(titles(r), []);
  }
});

test('delayed work runs after its delay; cancel_delayed_work_sync stops a pending one', () => {
  let at = -1;
  let ran2 = false;
  const { r } = run(() => {
    spawn_user('t', function* () {
      const d = INIT_DELAYED_WORK(function delayed() {
        at = machine().now;
      });
      const d2 = INIT_DELAYED_WORK(function delayed2() {
        ran2 = true;
      });
      yield* schedule_delayed_work(d, 10);
      yield* schedule_delayed_work(d2, 1000);
      assert.equal(yield* cancel_delayed_work_sync(d2), true);
    });
  });
  assert.equal(r.end, 'done');
  assert.ok(at >= 10 * (1e9 / 1000), `ran at ${at}`);
  assert.equal(ran2, false);
});

test('completion: wait_for_completion sleeps until complete(); complete_all releases every waiter', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const log = new Log();
    const { r } = run(
      () => {
        const x = init_completion('x');
        const y = init_completion('y');
        for (const n of ['a', 'b'])
          spawn_user(n, function* () {
            yield* wait_for_completion(y);
            log.mark(`y${n}`);
          });
        spawn_user('w', function* () {
          yield* wait_for_completion(x);
          log.mark('x');
        });
        spawn_user('c', function* () {
          log.mark('c');
          yield* complete(x);
          yield* complete_all(y);
          assert.equal(yield* completion_done(y), true);
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.ok(log.pos('c') < log.pos('x'));
    assert.ok(log.has('ya') && log.has('yb'));
  }
});

test('synchronize_rcu waits for pre-existing rcu_read_lock sections; call_rcu/rcu_barrier', () => {
  let waited = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const log = new Log();
    const { r } = run(
      () => {
        spawn_user('reader', function* () {
          for (let j = 0; j < 2; j++) {
            yield undefined;
            rcu_read_lock();
            log.mark(`L${j}`);
            yield undefined;
            yield undefined;
            log.mark(`U${j}`);
            rcu_read_unlock();
          }
        });
        spawn_user('updater', function* () {
          yield undefined;
          log.mark('S');
          yield* synchronize_rcu();
          log.mark('R');
          const h = RCU_HEAD_INIT();
          yield* call_rcu(h, () => log.mark('CB'));
          yield* rcu_barrier();
          log.mark('B');
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.deepEqual(titles(r), []);
    const S = log.pos('S');
    const R = log.pos('R');
    for (const j of [0, 1]) {
      if (log.pos(`L${j}`) < S) {
        assert.ok(log.pos(`U${j}`) < R, `seed ${seed}: ${log.seq}`);
        if (log.pos(`U${j}`) > S) waited++;
      }
    }
    assert.ok(log.pos('CB') < log.pos('B'));
  }
  assert.ok(waited > 0);
});

test('synchronize_rcu inside rcu_read_lock: suspicious RCU usage and a task blocked on itself', () => {
  let task: Task | null = null;
  const { r, events } = run(() => {
    task = spawn_user('t', function* () {
      rcu_read_lock();
      yield* synchronize_rcu();
      rcu_read_unlock();
    });
  });
  const sus = ofType<RcuSuspiciousEvent>(events, 'rcu_suspicious');
  assert.equal(sus[0]?.message, 'Illegal synchronize_rcu() in RCU read-side critical section');
  const t = task as unknown as Task;
  assert.equal(r.end, 'done');
  assert.equal(t.state, TASK_UNINTERRUPTIBLE);
  assert.ok(t.waitingOn?.owners().includes(t));
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('flush_work of an item another task queues: DPOR reaches the flush before (no wait) and after (waits)', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    let ran = 0;
    const w = INIT_WORK(function fw() {
      ran++;
    });
    // The flusher is pid 1: the first run flushes before anything is queued.
    spawn_user('flusher', function* () {
      const waited = yield* flush_work(w);
      seen.add(`waited=${waited} ran=${ran}`);
    });
    spawn_user('queuer', function* () {
      yield* queue_work(wq, w);
    });
  });
  assert.equal(result.complete, true);
  assert.ok(seen.includes('waited=false ran=0'), seen.join(' | '));
  assert.ok(seen.includes('waited=true ran=1'), seen.join(' | '));
});

test('flush_workqueue before and after a queue_work on a pool that has no worker yet', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    let ran = 0;
    const w = INIT_WORK(function fw() {
      ran++;
    });
    spawn_user('flusher', function* () {
      yield* flush_workqueue(wq);
      seen.add(`ran=${ran}`);
    });
    spawn_user('queuer', function* () {
      yield* queue_work(wq, w);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['ran=0', 'ran=1']);
});

test('queue_work on a workqueue being destroyed: DPOR reaches the queueing before and after `dying`', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    const w = INIT_WORK(function fw() {});
    spawn_user('destroyer', function* () {
      yield* destroy_workqueue(wq);
    });
    spawn_user('queuer', function* () {
      seen.add(`queued=${yield* queue_work(wq, w)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['queued=false', 'queued=true']);
});

test('non-reentrancy: an item requeued from another CPU while it runs runs again on its first pool', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    const cpus: number[] = [];
    const w = INIT_WORK(function* fw() {
      cpus.push(machine().current.cpu);
      yield undefined;
    });
    spawn_user(
      'queuer',
      function* () {
        yield* queue_work_on(0, wq, w);
        const again = yield* queue_work_on(1, wq, w);
        yield* flush_work(w);
        seen.add(`again=${again} cpus=${cpus.join(',')}`);
      },
      1,
    );
  });
  assert.equal(result.complete, true);
  // Still pending; requeued while running (back on CPU 0's pool); requeued after it finished.
  assert.deepEqual(seen, ['again=false cpus=0', 'again=true cpus=0,0', 'again=true cpus=0,1']);
});

test('cancel_work_sync vs a running item: it waits, so the item never runs after it returned', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    let state = 'idle';
    const w = INIT_WORK(function* fw() {
      state = 'running';
      yield undefined;
      state = 'done';
    });
    spawn_user('queuer', function* () {
      yield* queue_work(wq, w);
    });
    spawn_user('canceller', function* () {
      yield* cancel_work_sync(w);
      seen.add(`after cancel: ${state}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['after cancel: done', 'after cancel: idle']);
});

test('flush_delayed_work vs the delayed work timer: DPOR reaches the flush before the queueing, before and after the expiry', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const times: number[] = [];
    const dw = INIT_DELAYED_WORK(function dfn() {
      times.push(machine().now);
    });
    spawn_user('flusher', function* () {
      const waited = yield* flush_delayed_work(dw);
      seen.add(`waited=${waited} ran at=${times.join(',')}`);
    });
    spawn_user('queuer', function* () {
      yield* schedule_delayed_work(dw, 1);
    });
  });
  assert.equal(result.complete, true);
  const jiffy = 1e9 / 1000;
  assert.ok(seen.includes('waited=false ran at='), seen.join(' | '));
  assert.ok(seen.includes('waited=true ran at=0'), seen.join(' | '));
  assert.ok(seen.includes(`waited=true ran at=${jiffy}`), seen.join(' | '));
});

test('rcu_barrier vs a concurrent call_rcu: DPOR reaches the barrier entraining before and after the callback', () => {
  const { seen, result } = dporOutcomes((seen) => {
    let ran = 0;
    spawn_user('barrier', function* () {
      yield* rcu_barrier();
      seen.add(`barrier returned, callback ran=${ran}`);
    });
    spawn_user('caller', function* () {
      yield* call_rcu(RCU_HEAD_INIT(), () => {
        ran++;
      });
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['barrier returned, callback ran=0', 'barrier returned, callback ran=1']);
});

test('call_rcu again on a head: DPOR reaches the requeue before (leaked) and after the first invocation', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const ran: string[] = [];
    machine().endHooks.push(() => seen.add(`ran=${ran.join(',')}`));
    spawn_user('t', function* () {
      const h = RCU_HEAD_INIT();
      yield* call_rcu(h, () => void ran.push('first'));
      yield* call_rcu(h, () => void ran.push('second'));
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['ran=first', 'ran=first,second']);
});

test('completion: completion_done and try_wait_for_completion race with complete(); DPOR reaches both outcomes', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const x = init_completion('x');
    const y = init_completion('y');
    spawn_user('completer', function* () {
      yield* complete(x);
      yield* complete(y);
    });
    spawn_user('looker', function* () {
      seen.add(`done=${yield* completion_done(x)}`);
      seen.add(`try=${yield* try_wait_for_completion(y)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['done=false', 'done=true', 'try=false', 'try=true']);
});

/** A work item that requeues itself while it runs (a poller), torn down with `teardown`. */
function selfRequeueing(teardown: (w: work_struct) => KGen<boolean>) {
  return dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    let returned = false;
    let runs = 0;
    const w = INIT_WORK(function* poll_fn(work: work_struct) {
      if (returned) seen.add('ran after the cancel returned');
      yield undefined;
      if (++runs < 3) yield* queue_work(wq, work);
    });
    spawn_user('owner', function* () {
      yield* queue_work(wq, w);
      yield* cond_resched();
      yield* teardown(w);
      returned = true;
      seen.add('returned');
    });
  });
}

test('cancel_work_sync disables the work while it flushes: self-requeueing work cannot run after it returns', () => {
  const sync = selfRequeueing(cancel_work_sync);
  assert.equal(sync.result.complete, true);
  assert.deepEqual(sync.seen, ['returned']);
  // cancel_work() does not wait (nor disable): the running instance requeues itself and runs on.
  const plain = selfRequeueing(cancel_work);
  assert.equal(plain.result.complete, true);
  assert.ok(plain.seen.includes('ran after the cancel returned'), plain.seen.join(' | '));
});

test('disable_work_sync leaves the work disabled: queue_work fails until enable_work', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const wq = alloc_workqueue('wq');
    const w = INIT_WORK(function ping() {
      seen.add('ran');
    });
    spawn_user('t', function* () {
      yield* disable_work_sync(w);
      seen.add(`queued while disabled: ${yield* queue_work(wq, w)}`);
      seen.add(`enabled: ${yield* enable_work(w)}`);
      seen.add(`queued: ${yield* queue_work(wq, w)}`);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['enabled: true', 'queued while disabled: false', 'queued: true', 'ran']);
});

test('reinit_completion is a step of its own: reinit after letting the completer go loses its complete() (a hang); reinit before is clean', () => {
  const program = (reinitFirst: boolean) =>
    dporOutcomes((seen) => {
      const x = init_completion('x');
      const start = init_completion('start');
      spawn_user('completer', function* () {
        yield* wait_for_completion(start);
        yield* complete(x);
      });
      spawn_user('waiter', function* waiter_fn() {
        if (reinitFirst) yield* reinit_completion(x);
        yield* complete(start);
        if (!reinitFirst) yield* reinit_completion(x);
        yield* wait_for_completion(x);
        seen.add('woken');
      });
    });
  const correct = program(true);
  assert.equal(correct.result.complete, true);
  assert.deepEqual(correct.seen, ['woken']);
  assert.deepEqual(correct.result.findings, []);
  const misuse = program(false);
  assert.equal(misuse.result.complete, true);
  assert.deepEqual(misuse.seen, ['woken']);
  assert.deepEqual(
    misuse.result.findings.map((f) => f.title),
    ['INFO: task hung in schedule'], // the task body is no kfunc: only machinery frames
  );
});

test('a work_struct is tracked memory: queue_work()/flush_work() on a freed one is a KASAN report; cancel_work_sync() before kfree() is clean', () => {
  const program = (mode: 'queue' | 'flush' | 'correct', kcsan: boolean) =>
    dporOutcomes(
      () => {
        const wq = alloc_workqueue('wq');
        const dev = kzalloc(() => ({ n: 0, work: INIT_WORK(function dev_work_fn() {}) }), GFP_KERNEL, 'struct dev') as {
          n: number;
          work: work_struct;
        };
        spawn_user(
          'driver',
          kfunc(function* dev_remove() {
            yield* queue_work(wq, dev.work);
            if (mode === 'correct') yield* cancel_work_sync(dev.work);
            kfree(dev);
            if (mode === 'queue') yield* queue_work(wq, dev.work);
            if (mode === 'flush') yield* flush_work(dev.work);
          }),
        );
      },
      { KCSAN: kcsan },
    ).result;
  const queue = program('queue', false);
  assert.ok(
    queue.findings.some((f) => f.title === 'BUG: KASAN: slab-use-after-free in queue_work_on'),
    queue.findings.map((f) => f.title).join(' | '),
  );
  const flush = program('flush', false);
  assert.ok(
    flush.findings.some((f) => f.title === 'BUG: KASAN: slab-use-after-free in __flush_work'),
    flush.findings.map((f) => f.title).join(' | '),
  );
  for (const kcsan of [false, true]) {
    const ok = program('correct', kcsan);
    assert.equal(ok.complete, true);
    assert.deepEqual(
      ok.findings.map((f) => f.title),
      [],
      `KCSAN=${kcsan}`,
    );
  }
});

test('call_rcu callbacks run in the RCU softirq context on !RT (preempt count SOFTIRQ_OFFSET, as rcu_do_batch()), under local_bh_disable() on RT', () => {
  for (const rt of [false, true]) {
    const seen: string[] = [];
    run(
      () => {
        spawn_user('t', function* () {
          yield* call_rcu(RCU_HEAD_INIT(), () => {
            const t = machine().current;
            seen.push(
              `pc=${t.preempt_count.toString(16)} rcu=${t.rcu_read_lock_nesting} bh=${t.data.bh_disable_cnt ?? 0}`,
            );
          });
          yield* rcu_barrier();
        });
      },
      { over: { PREEMPT_RT: rt } },
    );
    assert.deepEqual(seen, [rt ? 'pc=0 rcu=2 bh=1' : 'pc=100 rcu=0 bh=0'], `RT=${rt}`);
  }
});
