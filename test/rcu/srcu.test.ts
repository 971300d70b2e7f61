/**
 * SRCU litmus tests (kernel/rcu/srcutree.ts), each over many seeded random
 * schedules, with the expected outcome asserted in every run, and the
 * interesting outcomes shown to be reached.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LockAcquireEvent, MightReschedEvent, RcuSuspiciousEvent, WarnEvent } from '../../src/kernel/events.js';
import {
  HLIST_HEAD,
  HLIST_NODE,
  type hlist_head,
  type hlist_node,
  hlist_add_head_rcu,
  hlist_del_rcu,
  hlist_for_each_entry_rcu,
  hlist_next_entry_rcu,
} from '../../src/kernel/lib/list.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import type { SrcuGpEvent } from '../../src/kernel/rcu/events.js';
import {
  DEFINE_STATIC_SRCU,
  call_srcu,
  cleanup_srcu_struct,
  init_srcu_struct,
  srcu_barrier,
  srcu_cb_count,
  srcu_read_lock,
  srcu_read_lock_held,
  srcu_read_unlock,
  type srcu_struct,
  synchronize_srcu,
} from '../../src/kernel/rcu/srcutree.js';
import { RCU_HEAD_INIT, type rcu_head } from '../../src/kernel/rcu/update.js';
import { TASK_UNINTERRUPTIBLE, cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import { SOFTIRQ_DISABLE_OFFSET, type Task, current, kfunc, machine } from '../../src/sim/index.js';
import { complete, init_completion, wait_for_completion } from '../../src/kernel/completion.js';
import { dporOutcomes } from '../kernel/helpers.js';
import { Log, Seeded, ofType, run, titles } from './helpers.js';

const SEEDS = 300;

/** A reader task doing `sections` read sections of `len` extra steps each. */
function reader(ssp: srcu_struct, log: Log, name: string, sections: number, len: number) {
  return function* () {
    for (let j = 0; j < sections; j++) {
      yield undefined;
      const idx = yield* srcu_read_lock(ssp);
      log.mark(`L${name}.${j}`);
      for (let i = 0; i < len; i++) yield undefined;
      log.mark(`U${name}.${j}`);
      yield* srcu_read_unlock(ssp, idx);
    }
  };
}

test('grace period: a reader that locked before synchronize_srcu() unlocked before it returned; a later one may overlap', () => {
  let overlapped = 0;
  let waited = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const log = new Log();
    const sections: string[] = [];
    const { r } = run(
      () => {
        const ssp = init_srcu_struct('srcu');
        for (const n of ['a', 'b']) {
          spawn_user(`reader-${n}`, reader(ssp, log, n, 2, 3));
          sections.push(`${n}.0`, `${n}.1`);
        }
        spawn_user('updater', function* () {
          yield undefined;
          yield undefined;
          log.mark('S');
          yield* synchronize_srcu(ssp);
          log.mark('R');
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done', `seed ${seed}`);
    assert.deepEqual(titles(r), [], `seed ${seed}`);
    const S = log.pos('S');
    const R = log.pos('R');
    assert.ok(S >= 0 && R > S, `seed ${seed}: synchronize_srcu returned`);
    for (const s of sections) {
      const L = log.pos(`L${s}`);
      const U = log.pos(`U${s}`);
      if (L < S) {
        assert.ok(U < R, `seed ${seed}: reader ${s} entered before synchronize_srcu but left after it returned`);
        if (U > S) waited++;
      }
      if (L > S && L < R && U > R) overlapped++;
    }
  }
  assert.ok(waited > 0, 'some grace period had to wait for a pre-existing reader');
  assert.ok(overlapped > 0, 'some reader that entered during the grace period was not waited for');
});

interface obj {
  v: number;
  hlist: hlist_node;
}

function publishUnpublish(seed: number, sync: boolean) {
  return run(
    () => {
      const ssp = init_srcu_struct('srcu');
      // Published before the tasks start (a spawned task's code is a step of its own: a reader
      // may run before the updater's first step).
      const head = kzalloc(() => ({ list: HLIST_HEAD() }), GFP_KERNEL, 'struct head') as { list: hlist_head };
      const objs: obj[] = [];
      for (const v of [1, 2]) {
        const o = kzalloc(() => ({ v, hlist: HLIST_NODE() }), GFP_KERNEL, 'struct obj') as obj;
        hlist_add_head_rcu(o.hlist, head.list);
        objs.push(o);
      }
      spawn_user('updater', function* () {
        yield undefined;
        const victim = objs[1] as obj; // the first on the list
        hlist_del_rcu(victim.hlist);
        if (sync) yield* synchronize_srcu(ssp);
        yield undefined;
        kfree(victim);
      });
      const walk = kfunc(function* reader_walk() {
        const h = head as { list: hlist_head };
        const idx = yield* srcu_read_lock(ssp);
        let sum = 0;
        for (
          let o = yield* hlist_for_each_entry_rcu<obj>(h.list, 'hlist', srcu_read_lock_held(ssp));
          o;
          o = yield* hlist_next_entry_rcu(o, 'hlist')
        ) {
          yield undefined;
          sum += o.v;
        }
        yield* srcu_read_unlock(ssp, idx);
        return sum;
      });
      for (const n of ['r0', 'r1'])
        spawn_user(n, function* () {
          yield* walk();
        });
    },
    { strategy: new Seeded(seed), over: { DEBUG_KMEMLEAK: false } },
  );
}

test('publish/unpublish: hlist_del_rcu + synchronize_srcu + kfree is never a use-after-free', () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { r } = publishUnpublish(seed, true);
    assert.equal(r.end, 'done');
    assert.deepEqual(titles(r), [], `seed ${seed}`);
  }
});

test('publish/unpublish: kfree without synchronize_srcu is a slab-use-after-free in the reader', () => {
  let found = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const { r } = publishUnpublish(seed, false);
    const t = titles(r);
    for (const x of t) assert.equal(x, 'BUG: KASAN: slab-use-after-free in reader_walk', `seed ${seed}`);
    if (t.length) found++;
  }
  assert.ok(found > 0, 'KASAN caught the reader on the freed object in some schedule');
});

test('call_srcu: a callback never runs while a reader that entered before call_srcu is inside', () => {
  let waited = 0;
  let overlapped = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const log = new Log();
    const { r } = run(
      () => {
        const ssp = init_srcu_struct('srcu');
        spawn_user('reader-a', reader(ssp, log, 'a', 2, 2));
        spawn_user('reader-b', reader(ssp, log, 'b', 1, 4));
        spawn_user('updater', function* () {
          const h = RCU_HEAD_INIT();
          yield undefined;
          log.mark('C');
          yield* call_srcu(ssp, h, function cb() {
            log.mark('CB');
          });
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.deepEqual(titles(r), []);
    const C = log.pos('C');
    const CB = log.pos('CB');
    assert.ok(CB > C, `seed ${seed}: the callback ran`);
    for (const s of ['a.0', 'a.1', 'b.0']) {
      const L = log.pos(`L${s}`);
      const U = log.pos(`U${s}`);
      if (L < C) {
        assert.ok(U < CB, `seed ${seed}: callback ran inside pre-existing reader ${s}`);
        if (U > C) waited++;
      }
      if (L > C && L < CB && U > CB) overlapped++;
    }
  }
  assert.ok(waited > 0);
  assert.ok(overlapped > 0, 'a reader that entered after call_srcu may still be inside when the callback runs');
});

test('srcu_barrier waits for every callback queued before it, in order per CPU, and not for later ones', () => {
  let laterNotWaited = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const log = new Log();
    const { r } = run(
      () => {
        const ssp = init_srcu_struct('srcu');
        spawn_user(
          'a',
          function* () {
            const h1 = RCU_HEAD_INIT();
            const h2 = RCU_HEAD_INIT();
            yield* call_srcu(ssp, h1, () => log.mark('CB1'));
            yield* call_srcu(ssp, h2, () => log.mark('CB2'));
            log.mark('BS');
            yield* srcu_barrier(ssp);
            log.mark('BE');
          },
          0,
        );
        spawn_user(
          'b',
          function* () {
            const h3 = RCU_HEAD_INIT();
            yield undefined;
            yield undefined;
            yield* call_srcu(ssp, h3, () => log.mark('CB3'));
            log.mark('Q3');
            const idx = yield* srcu_read_lock(ssp);
            yield undefined;
            yield* srcu_read_unlock(ssp, idx);
          },
          1,
        );
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.deepEqual(titles(r), []);
    const BE = log.pos('BE');
    assert.ok(log.pos('CB1') < log.pos('CB2'), 'callbacks of one CPU run in queuing order');
    assert.ok(log.pos('CB2') < BE, `seed ${seed}: srcu_barrier returned before CB2`);
    if (log.pos('Q3') < log.pos('BS'))
      assert.ok(log.pos('CB3') < BE, `seed ${seed}: CB3 was queued before the barrier`);
    else if (log.pos('CB3') > BE) laterNotWaited++;
  }
  assert.ok(laterNotWaited > 0, 'a callback queued after srcu_barrier() started need not have run when it returns');
});

test('srcu_barrier with no callbacks queued returns without a grace period, even inside a reader', () => {
  for (let seed = 1; seed <= 50; seed++) {
    const log = new Log();
    let ssp: srcu_struct | null = null;
    const { r, events } = run(
      () => {
        const s = init_srcu_struct('srcu');
        ssp = s;
        const flag = { done: false };
        spawn_user('reader', function* () {
          const idx = yield* srcu_read_lock(s);
          log.mark('L');
          while (!flag.done) yield undefined;
          yield* srcu_read_unlock(s, idx);
        });
        spawn_user('barrier', function* () {
          while (!log.has('L')) yield undefined;
          yield* srcu_barrier(s);
          flag.done = true;
          log.mark('BE');
        });
      },
      { strategy: new Seeded(seed) },
    );
    assert.equal(r.end, 'done');
    assert.ok(log.has('BE'));
    assert.equal(ofType<SrcuGpEvent>(events, 'srcu_gp').length, 0, 'no grace period ran');
    assert.equal((ssp as unknown as srcu_struct).srcu_gp_seq, 0);
    assert.deepEqual(titles(r), []);
  }
});

for (const rt of [false, true]) {
  test(`a call_srcu callback that takes a mutex sleeps in invalid context (PREEMPT_RT=${rt})`, () => {
    const ctx: { pc: number; rcu: number; frames: string[] }[] = [];
    const { r } = run(
      (k) => {
        const ssp = init_srcu_struct('srcu');
        const m = mutex_init('cb_mutex');
        const my_cb = kfunc(function* my_srcu_callback(_h: rcu_head) {
          yield* mutex_lock(m);
          yield* mutex_unlock(m);
        });
        k.machine.observers.push((ev) => {
          if (ev.type !== 'might_resched') return;
          const t = (ev as MightReschedEvent).task;
          ctx.push({ pc: t.preempt_count, rcu: t.rcu_read_lock_nesting, frames: t.frames.slice() });
        });
        spawn_user('updater', function* () {
          const h = RCU_HEAD_INIT();
          yield* call_srcu(ssp, h, my_cb);
          yield* srcu_barrier(ssp);
        });
      },
      { over: { PREEMPT_RT: rt } },
    );
    const inCb = ctx.filter((c) => c.frames.includes('my_srcu_callback'));
    assert.ok(inCb.length > 0, 'mutex_lock in the callback reached __might_resched');
    for (const c of inCb) {
      if (rt) {
        assert.equal(c.pc, 0);
        // local_lock(&softirq_ctrl.lock) is an rt_spin_lock() (one rcu_read_lock()), and
        // __local_bh_disable_ip() adds its own ("RCU bottomhalf requirements").
        assert.equal(c.rcu, 2, 'on PREEMPT_RT local_bh_disable() is an RCU read section, nested twice');
      } else {
        assert.equal(c.pc & SOFTIRQ_DISABLE_OFFSET, SOFTIRQ_DISABLE_OFFSET, 'BH disabled: in_atomic()');
      }
    }
    assert.ok(
      titles(r).includes('BUG: sleeping function called from invalid context in my_srcu_callback'),
      titles(r).join('; '),
    );
  });
}

test('synchronize_srcu inside its own read section: lockdep recursive locking, suspicious RCU usage, and a real deadlock', () => {
  let reached = 0;
  for (let seed = 1; seed <= 50; seed++) {
    let task: Task | null = null;
    let ssp: srcu_struct | null = null;
    const { r, events } = run(
      () => {
        const s = init_srcu_struct('srcu');
        ssp = s;
        const oom_enter = kfunc(function* __mmu_notifier_oom_enter() {
          const idx = yield* srcu_read_lock(s);
          yield* synchronize_srcu(s);
          yield* srcu_read_unlock(s, idx);
        });
        task = spawn_user('oom', () => oom_enter());
        spawn_user('bystander', reader(s, new Log(), 'x', 2, 1));
      },
      { strategy: new Seeded(seed) },
    );
    const s = ssp as unknown as srcu_struct;
    const acq = ofType<LockAcquireEvent>(events, 'lock_acquire').filter((e) => e.lock === s.dep_map && e.task === task);
    assert.equal(acq.length, 2);
    assert.equal(acq[0]?.read, 2, 'srcu_read_lock is a recursive-read acquisition');
    assert.equal(acq[0]?.sync, false);
    assert.equal(acq[1]?.read, 0, 'synchronize_srcu is a write sync acquisition');
    assert.equal(acq[1]?.sync, true);
    const sus = ofType<RcuSuspiciousEvent>(events, 'rcu_suspicious');
    assert.equal(sus.length, 1);
    assert.equal(
      sus[0]?.message,
      'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section',
    );
    const t = titles(r);
    assert.ok(t.includes('WARNING: possible recursive locking detected in __mmu_notifier_oom_enter'), t.join('; '));
    // The lockdep splat turns debug_locks off, so (as in the kernel) the
    // RCU_LOCKDEP_WARN right after it prints nothing: the event is there, the report is not.
    assert.ok(!t.includes('WARNING: suspicious RCU usage in __mmu_notifier_oom_enter'), t.join('; '));
    // The run ends with nothing runnable and the task asleep for good, waiting on itself.
    assert.equal(r.end, 'done');
    const tk = task as unknown as Task;
    assert.ok(tk.blocked && !tk.dead);
    assert.equal(tk.state, TASK_UNINTERRUPTIBLE);
    assert.ok(tk.waitingOn?.owners().includes(tk), 'the wait-for edge points back at the task');
    assert.ok(s.owners().includes(tk), 'the grace period waits for the task');
    if (r.reports.some((x) => x.kind === 'deadlock')) reached++;
  }
  assert.equal(reached, 50, 'the deadlock checker sees the self-wait in every run');
});

test('call_srcu twice on the same rcu_head: WARN "Leaked duplicate callback", the second is leaked', () => {
  const log = new Log();
  const { r, events } = run(() => {
    const ssp = init_srcu_struct('srcu');
    const queue_twice = kfunc(function* queue_twice() {
      const h = RCU_HEAD_INIT();
      yield* call_srcu(ssp, h, () => log.mark('first'));
      yield* call_srcu(ssp, h, () => log.mark('second'));
      yield* srcu_barrier(ssp);
    });
    spawn_user('t', () => queue_twice());
  });
  const w = ofType<WarnEvent>(events, 'warn');
  assert.equal(w.length, 1);
  assert.equal(w[0]?.message, 'call_srcu(): Leaked duplicate callback');
  assert.equal(w[0]?.file, 'kernel/rcu/srcutree.c');
  assert.deepEqual(log.seq, ['first']);
  assert.deepEqual(titles(r), ['WARNING in queue_twice']);
});

test('duplicate detection is CONFIG_DEBUG_OBJECTS_RCU_HEAD only', () => {
  const { events } = run(
    () => {
      const ssp = init_srcu_struct('srcu');
      spawn_user('t', function* () {
        const h = RCU_HEAD_INIT();
        yield* call_srcu(ssp, h, () => {});
        yield* call_srcu(ssp, h, () => {});
      });
    },
    { over: { DEBUG_OBJECTS_RCU_HEAD: false } },
  );
  assert.equal(ofType<WarnEvent>(events, 'warn').length, 0);
});

test('cleanup_srcu_struct with a reader inside, or with callbacks queued, WARNs and leaks the domain', () => {
  const a = run(() => {
    const ssp = init_srcu_struct('srcu');
    spawn_user('t', function* teardown() {
      const idx = yield* srcu_read_lock(ssp);
      yield* cleanup_srcu_struct(ssp);
      yield* srcu_read_unlock(ssp, idx);
    });
  });
  const wa = ofType<WarnEvent>(a.events, 'warn');
  assert.equal(wa.length, 1);
  assert.equal(`${wa[0]?.file}:${wa[0]?.line}`, 'kernel/rcu/srcutree.c:689');

  let queued = -1;
  const b = run(() => {
    const ssp = init_srcu_struct('srcu');
    spawn_user('t', function* teardown() {
      const h = RCU_HEAD_INIT();
      yield* call_srcu(ssp, h, () => {});
      queued = srcu_cb_count(ssp);
      yield* cleanup_srcu_struct(ssp);
    });
  });
  assert.equal(queued, 1);
  const wb = ofType<WarnEvent>(b.events, 'warn');
  assert.equal(wb.length, 1);
  assert.equal(`${wb[0]?.file}:${wb[0]?.line}`, 'kernel/rcu/srcutree.c:696');

  const c = run(() => {
    const ssp = init_srcu_struct('srcu');
    spawn_user('t', function* teardown() {
      const h = RCU_HEAD_INIT();
      yield* call_srcu(ssp, h, () => {});
      yield* srcu_barrier(ssp);
      yield* cleanup_srcu_struct(ssp);
    });
  });
  assert.equal(ofType<WarnEvent>(c.events, 'warn').length, 0);
  assert.deepEqual(titles(c.r), []);
});

const static_srcu = DEFINE_STATIC_SRCU('srcu');

test('DEFINE_STATIC_SRCU is fresh on every boot and its lockdep map is named after the variable', () => {
  for (let i = 0; i < 3; i++) {
    const { r, events } = run(() => {
      spawn_user('t', function* () {
        const idx = yield* srcu_read_lock(static_srcu);
        yield* srcu_read_unlock(static_srcu, idx);
        yield* synchronize_srcu(static_srcu);
      });
    });
    assert.equal(r.end, 'done');
    assert.equal(static_srcu.srcu_gp_completed, 1, 'one grace period in this boot');
    const acq = ofType<LockAcquireEvent>(events, 'lock_acquire').filter((e) => e.lock === static_srcu.dep_map);
    assert.equal(acq[0]?.cls.name, 'srcu');
  }
});

// ---------------------------------------------------------------- footprints (DPOR reaches every outcome)

test('call_srcu again on a head: DPOR reaches the requeue before (leaked duplicate) and after the first invocation', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const ssp = init_srcu_struct('srcu');
    const ran: string[] = [];
    machine().endHooks.push(() => seen.add(`ran=${ran.join(',')}`));
    spawn_user('t', function* () {
      const h = RCU_HEAD_INIT();
      yield* call_srcu(ssp, h, function first() {
        ran.push('first');
      });
      yield* call_srcu(ssp, h, function second() {
        ran.push('second');
      });
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['ran=first', 'ran=first,second']);
  assert.ok(result.findings.some((f) => f.title === 'WARNING in call_srcu'));
});

/** srcutree.convert_to_big=1: every domain SRCU_SIZE_BIG from init_srcu_struct() on. */
const BIG = { srcutree_convert_to_big: 1 };

test('SRCU_SIZE_BIG: srcu_barrier with callbacks on both CPUs: every order of the two barrier callbacks is reached', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const ssp = init_srcu_struct('srcu');
    const order: number[] = [];
    for (const cpu of [0, 1])
      spawn_user(
        `q${cpu}`,
        function* () {
          yield* call_srcu(ssp, RCU_HEAD_INIT(), () => {});
        },
        cpu,
      );
    spawn_user('barrier', function* () {
      yield* cond_resched();
      yield* srcu_barrier(ssp);
      seen.add(`completed by the kworker of CPU ${order.at(-1)}`);
    });
    machine().observers.push((ev) => {
      if (ev.type === 'wake' && (ev as unknown as { task: Task }).task.comm === 'barrier')
        order.push((ev as unknown as { by: Task }).by.cpu);
    });
  }, BIG);
  assert.equal(result.complete, true);
  assert.ok(seen.includes('completed by the kworker of CPU 0'), seen.join(' | '));
  assert.ok(seen.includes('completed by the kworker of CPU 1'), seen.join(' | '));
});

test('SRCU_SIZE_SMALL (the default on few CPUs): every callback is queued on the boot CPU and run by its kworker', () => {
  const queued = new Set<number>();
  const ranOn = new Set<string>();
  for (const over of [{}, BIG]) {
    queued.clear();
    ranOn.clear();
    const { r } = run(
      () => {
        const ssp = init_srcu_struct('srcu');
        for (const cpu of [0, 1])
          spawn_user(
            `q${cpu}`,
            function* () {
              yield* call_srcu(ssp, RCU_HEAD_INIT(), () => void ranOn.add(current().comm));
              yield* srcu_barrier(ssp);
            },
            cpu,
          );
        machine().observers.push((ev) => {
          if (ev.type === 'srcu_cb' && (ev as unknown as { phase: string }).phase === 'queue')
            queued.add((ev as unknown as { cpu: number }).cpu);
        });
      },
      { over },
    );
    assert.deepEqual(titles(r), []);
    if (over === BIG) {
      assert.deepEqual([...queued].sort(), [0, 1]);
      assert.deepEqual([...ranOn].sort(), ['kworker/0:0', 'kworker/1:0']);
    } else {
      assert.deepEqual([...queued], [0]);
      assert.deepEqual([...ranOn], ['kworker/0:0']);
    }
  }
});

test('SRCU_SIZE_SMALL: synchronize_srcu() waits behind a callback another CPU queued first (one FIFO); BIG: not', () => {
  const outcomes = (over: Record<string, number>) =>
    dporOutcomes((seen) => {
      const ssp = init_srcu_struct('srcu');
      const queued = init_completion('queued');
      let cbDone = false;
      spawn_user(
        'q1',
        function* () {
          yield* call_srcu(ssp, RCU_HEAD_INIT(), function* slow_cb() {
            yield undefined;
            yield undefined;
            cbDone = true;
          });
          yield* complete(queued);
        },
        1,
      );
      spawn_user(
        's0',
        function* () {
          yield* wait_for_completion(queued);
          yield* synchronize_srcu(ssp);
          seen.add(cbDone ? 'after the callback' : 'before the callback');
        },
        0,
      );
    }, over);
  const small = outcomes({});
  assert.equal(small.result.complete, true);
  assert.deepEqual(small.seen, ['after the callback']);
  const big = outcomes(BIG);
  assert.equal(big.result.complete, true);
  assert.deepEqual(big.seen, ['after the callback', 'before the callback']);
});
