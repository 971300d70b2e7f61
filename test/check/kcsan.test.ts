import assert from 'node:assert/strict';
import { test } from 'node:test';
import { complete, init_completion, wait_for_completion } from '../../src/kernel/completion.js';
import { kthread_run, kthread_stop } from '../../src/kernel/kthread.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { GFP_KERNEL, kfree, kmalloc } from '../../src/kernel/mm/slab.js';
import { READ_ONCE, WRITE_ONCE, data_race, shared } from '../../src/kernel/once.js';
import { call_rcu, synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import { RCU_HEAD_INIT, rcu_read_lock, rcu_read_unlock } from '../../src/kernel/rcu/update.js';
import { spawn_user } from '../../src/kernel/sched/core.js';
import { TIMER_INIT, mod_timer, type timer_list, timer_setup } from '../../src/kernel/time/timer.js';
import { type KGen, type Machine, type Strategy, kfunc } from '../../src/sim/index.js';
import { Seeded, runProgram, titles } from './helpers.js';

const ON = { KCSAN: true };

interface Counter {
  n: number;
}

function counter(n = 0): Counter {
  return shared({ n }, 'counter');
}

/** Runs the program under FirstChoice and a few seeded random schedules; returns every KCSAN title seen. */
function kcsanTitles(
  setup: (m: Machine) => void,
  over: Record<string, boolean> = ON,
  seeds = 12,
): { titles: string[]; texts: string[] } {
  const strategies: (Strategy | undefined)[] = [undefined];
  for (let s = 1; s <= seeds; s++) strategies.push(new Seeded(s));
  const seen = new Set<string>();
  const texts: string[] = [];
  for (const strategy of strategies) {
    const r = runProgram(setup, strategy ? { over, strategy } : { over });
    for (const rep of r.reports) {
      if (rep.kind !== 'kcsan') continue;
      if (!seen.has(rep.title)) texts.push(rep.text);
      seen.add(rep.title);
    }
  }
  return { titles: [...seen].sort(), texts };
}

const counter_inc = kfunc(function* counter_inc(c: Counter): KGen {
  const v = c.n;
  yield undefined;
  c.n = v + 1;
});

function incrementers(c: Counter, body: (c: Counter) => KGen): void {
  spawn_user(
    'inc-a',
    kfunc(function* worker_a() {
      yield* body(c);
    }),
  );
  spawn_user(
    'inc-b',
    kfunc(function* worker_b() {
      yield* body(c);
    }),
  );
}

test('plain counter incremented by two tasks: found, in the kernel layout', () => {
  const r = runProgram(() => incrementers(counter(), counter_inc), { over: ON });
  assert.deepEqual(titles(r), ['KCSAN: data-race in counter_inc / counter_inc']);
  const rep = r.reports[0];
  assert.equal(rep?.kind, 'kcsan');
  assert.equal(rep?.pid, 2);
  assert.deepEqual(String(rep?.text).split('\n'), [
    '='.repeat(66),
    'BUG: KCSAN: data-race in counter_inc / counter_inc',
    '',
    'write to 0xffffffff8a000000 of 8 bytes by task 1 on cpu 0:',
    ' counter_inc',
    ' worker_a',
    '',
    'read to 0xffffffff8a000000 of 8 bytes by task 2 on cpu 1:',
    ' counter_inc',
    ' worker_b',
    '',
    'value changed: 0x0000000000000000 -> 0x0000000000000001',
    '',
    'Reported by Kernel Concurrency Sanitizer on:',
    'CPU: 1 UID: 0 PID: 2 Comm: inc-b Not tainted 6.17.0-kernsim #1 PREEMPT(full)',
    'Hardware name: kernsim virtual machine',
    '='.repeat(66),
  ]);
});

test('the title sorts the two functions; the read is printed second whichever came first', () => {
  const r = runProgram(
    () => {
      // Made in the run's setup, on its machine (not on whatever machine an earlier test left current).
      const c = counter();
      spawn_user(
        'reader',
        kfunc(function* zz_reader() {
          const v = c.n;
          yield undefined;
          void v;
        }),
      );
      spawn_user(
        'writer',
        kfunc(function* aa_writer() {
          yield undefined;
          c.n = 5;
        }),
      );
    },
    { over: ON },
  );
  assert.deepEqual(titles(r), ['KCSAN: data-race in aa_writer / zz_reader']);
  const lines = String(r.reports[0]?.text).split('\n');
  assert.equal(lines[3], 'write to 0xffffffff8a000000 of 8 bytes by task 2 on cpu 1:');
  assert.equal(lines[6], 'read to 0xffffffff8a000000 of 8 bytes by task 1 on cpu 0:');
  assert.equal(lines[9], 'value changed: 0x0000000000000000 -> 0x0000000000000005');
  // The footer is the reader's (the task that set up the watchpoint), even though the writer found the race.
  assert.equal(lines[12]?.startsWith('CPU: 0 UID: 0 PID: 1 Comm: reader '), true);
  assert.equal(r.reports[0]?.pid, 2);
});

test('values: pointers print as their simulated address, booleans as 0/1', () => {
  const run = (value: () => unknown) => {
    const g = { v: null as unknown };
    return runProgram(
      () => {
        const c = shared({ p: null as unknown }, 'global');
        g.v = value();
        spawn_user(
          'w',
          kfunc(function* publisher() {
            yield undefined;
            c.p = g.v;
          }),
        );
        spawn_user(
          'r',
          kfunc(function* consumer() {
            yield undefined;
            void c.p;
          }),
        );
      },
      { over: ON },
    );
  };
  const line = (r: ReturnType<typeof run>) =>
    String(r.reports[0]?.text)
      .split('\n')
      .find((l) => l.startsWith('value changed'));
  assert.equal(
    line(run(() => kmalloc(() => ({ n: 0 }), GFP_KERNEL, 'struct counter'))),
    'value changed: 0x0000000000000000 -> 0xffff888000100000',
  );
  assert.equal(line(run(() => true)), 'value changed: 0x0000000000000000 -> 0x0000000000000001');
  assert.equal(line(run(() => -1)), 'value changed: 0x0000000000000000 -> 0xffffffffffffffff');
});

test('the counter under a spinlock or a mutex: not reported', () => {
  const sl = { l: null as ReturnType<typeof spin_lock_init> | null };
  const locked = kfunc(function* locked_inc(x: Counter): KGen {
    const l = sl.l as ReturnType<typeof spin_lock_init>;
    yield* spin_lock(l);
    yield* counter_inc(x);
    yield* spin_unlock(l);
  });
  const r1 = kcsanTitles(() => {
    sl.l = spin_lock_init('counter_lock');
    incrementers(counter(), locked);
  });
  assert.deepEqual(r1.titles, []);
  const mx = { l: null as ReturnType<typeof mutex_init> | null };
  const mlocked = kfunc(function* mutex_inc(x: Counter): KGen {
    const l = mx.l as ReturnType<typeof mutex_init>;
    yield* mutex_lock(l);
    yield* counter_inc(x);
    yield* mutex_unlock(l);
  });
  const r2 = kcsanTitles(() => {
    mx.l = mutex_init('counter_mutex');
    incrementers(counter(), mlocked);
  });
  assert.deepEqual(r2.titles, []);
  // The same schedules without the lock do race.
  assert.deepEqual(kcsanTitles(() => incrementers(counter(), counter_inc)).titles, [
    'KCSAN: data-race in counter_inc / counter_inc',
  ]);
});

test('READ_ONCE / WRITE_ONCE on both sides: not reported (marked vs marked)', () => {
  const once_inc = kfunc(function* once_inc(c: Counter): KGen {
    const v = yield* READ_ONCE(c, 'n');
    yield undefined;
    yield* WRITE_ONCE(c, 'n', v + 1);
  });
  assert.deepEqual(kcsanTitles(() => incrementers(counter(), once_inc)).titles, []);
});

test('a plain read racing with WRITE_ONCE: reported, the write printed as marked', () => {
  const r = kcsanTitles(() => {
    const c = counter();
    spawn_user(
      'w',
      kfunc(function* once_writer() {
        yield* WRITE_ONCE(c, 'n', 1);
      }),
    );
    spawn_user(
      'r',
      kfunc(function* plain_reader() {
        yield undefined;
        void c.n;
      }),
    );
  });
  assert.deepEqual(r.titles, ['KCSAN: data-race in once_writer / plain_reader']);
  const lines = (r.texts[0] as string).split('\n');
  assert.match(lines[3] as string, /^write \(marked\) to 0xffffffff8a000000 of 8 bytes by task 1 on cpu 0:$/);
  assert.match(lines[6] as string, /^read to 0xffffffff8a000000 of 8 bytes by task 2 on cpu 1:$/);
});

test('a plain write against READ_ONCE, or against another plain write: not reported (ASSUME_PLAIN_WRITES_ATOMIC)', () => {
  const r = kcsanTitles(() => {
    const c = counter();
    spawn_user(
      'w',
      kfunc(function* plain_writer() {
        yield undefined;
        c.n = 1;
      }),
    );
    spawn_user(
      'r',
      kfunc(function* once_reader() {
        yield* READ_ONCE(c, 'n');
      }),
    );
    spawn_user(
      'w2',
      kfunc(function* plain_writer2() {
        yield undefined;
        c.n = 2;
      }),
    );
  });
  assert.deepEqual(r.titles, []);
});

test('a read with no value change: not reported (REPORT_VALUE_CHANGE_ONLY); an rcu_ writer is exempt', () => {
  const same = (name: string) =>
    kcsanTitles(() => {
      const c = counter(7);
      spawn_user(
        'w',
        kfunc(function* (): KGen {
          yield undefined;
          c.n = 7;
        }, name),
      );
      spawn_user(
        'r',
        kfunc(function* plain_reader() {
          yield undefined;
          void c.n;
        }),
      );
    });
  assert.deepEqual(same('same_writer').titles, []);
  assert.deepEqual(same('update_rcu_state').titles, ['KCSAN: data-race in plain_reader / update_rcu_state']);
  assert.ok(!(same('update_rcu_state').texts[0] as string).includes('value changed'));
});

test('data_race(): invisible to KCSAN', () => {
  const r = kcsanTitles(() => {
    const c = counter();
    spawn_user(
      'w',
      kfunc(function* writer() {
        yield undefined;
        c.n = 1;
      }),
    );
    spawn_user(
      'r',
      kfunc(function* racy_reader() {
        yield undefined;
        data_race(() => c.n);
      }),
    );
  });
  assert.deepEqual(r.titles, []);
});

test('a write before spawning a task and a read in the child: not reported; an unrelated reader: reported', () => {
  const prog = (child: boolean) => () => {
    const c = counter();
    const reader = kfunc(function* child_reader() {
      yield undefined;
      void c.n;
    });
    spawn_user(
      'parent',
      kfunc(function* parent_writer() {
        yield undefined;
        c.n = 1;
        if (child) spawn_user('child', reader);
        yield undefined;
      }),
    );
    if (!child) spawn_user('other', reader);
  };
  assert.deepEqual(kcsanTitles(prog(true)).titles, []);
  assert.deepEqual(kcsanTitles(prog(false)).titles, ['KCSAN: data-race in child_reader / parent_writer']);
});

test('a write in a child before complete() and a read after wait_for_completion(): not reported', () => {
  const r = kcsanTitles(() => {
    const c = counter();
    const done = init_completion('done');
    spawn_user(
      'parent',
      kfunc(function* waiter() {
        spawn_user(
          'child',
          kfunc(function* completer() {
            yield undefined;
            c.n = 1;
            yield* complete(done);
          }),
        );
        yield* wait_for_completion(done);
        void c.n;
      }),
    );
  });
  assert.deepEqual(r.titles, []);
});

test('a write in a kthread before it exits and a read after kthread_stop(): not reported', () => {
  const seen = new Set<number>();
  const r = kcsanTitles(
    () => {
      const c = counter();
      spawn_user(
        'parent',
        kfunc(function* stopper() {
          yield undefined;
          const k = kthread_run(
            kfunc(function* threadfn(): KGen<number> {
              yield undefined;
              c.n = 1;
              return 0;
            }),
            'kworker',
          );
          yield undefined;
          yield* kthread_stop(k);
          seen.add(c.n);
        }),
      );
    },
    ON,
    30,
  );
  assert.deepEqual(r.titles, []);
  assert.ok(seen.has(1), 'some schedule ran the thread function before kthread_stop()');
});

/** A reader whose section starts before the updater's synchronize_rcu() (the completion says so). */
function rcuPair(gp: boolean, readerStaysAlive: boolean) {
  return () => {
    const c = counter();
    const entered = init_completion('entered');
    const finished = init_completion('finished');
    spawn_user(
      'reader',
      kfunc(function* rcu_reader_fn() {
        rcu_read_lock();
        yield* complete(entered);
        yield undefined;
        const v = c.n;
        yield undefined;
        rcu_read_unlock();
        if (readerStaysAlive) yield* wait_for_completion(finished);
        void v;
      }),
      0,
    );
    spawn_user(
      'updater',
      kfunc(function* updater() {
        yield* wait_for_completion(entered);
        if (gp) yield* synchronize_rcu();
        c.n = 2;
        if (readerStaysAlive) yield* complete(finished);
      }),
      1,
    );
  };
}

test('RCU: synchronize_rcu() orders a reader that started before it before the write after it', () => {
  assert.deepEqual(kcsanTitles(rcuPair(true, true), ON, 30).titles, []);
  assert.deepEqual(kcsanTitles(rcuPair(false, true), ON, 30).titles, ['KCSAN: data-race in rcu_reader_fn / updater']);
});

test('RCU: the same when the reader has exited before the grace period starts', () => {
  assert.deepEqual(kcsanTitles(rcuPair(true, false), ON, 30).titles, []);
});

test('RCU: a write before synchronize_rcu() against a reader that started after it: not reported', () => {
  const prog = (gp: boolean) => () => {
    const c = counter();
    spawn_user(
      'updater',
      kfunc(function* updater() {
        yield undefined;
        c.n = 1;
        if (gp) yield* synchronize_rcu();
      }),
      1,
    );
    spawn_user(
      'reader',
      kfunc(function* rcu_reader_fn() {
        yield undefined;
        rcu_read_lock();
        const v = c.n;
        rcu_read_unlock();
        void v;
      }),
      0,
    );
  };
  // FirstChoice: the reader's section starts once the updater waits in synchronize_rcu().
  assert.deepEqual(kcsanTitles(prog(true), ON, 0).titles, []);
  assert.deepEqual(kcsanTitles(prog(false), ON, 0).titles, ['KCSAN: data-race in rcu_reader_fn / updater']);
});

test('RCU: a write before call_rcu() and a read in the callback: not reported', () => {
  // The callback (softirq, on CPU 0) reads what the updater (CPU 1) wrote before call_rcu().
  const prog = (ordered: boolean) => () => {
    const c = counter();
    const head = shared({ rcu: RCU_HEAD_INIT() }, 'struct foo');
    const foo_reclaim = kfunc(function* foo_reclaim(): KGen {
      void c.n;
    });
    spawn_user(
      'updater',
      kfunc(function* rcu_updater() {
        yield undefined;
        c.n = 1;
        if (ordered) yield* call_rcu(head.rcu, foo_reclaim);
      }),
      1,
    );
    if (!ordered)
      spawn_user(
        'caller',
        kfunc(function* other_caller() {
          yield* call_rcu(head.rcu, foo_reclaim);
        }),
        1,
      );
  };
  assert.deepEqual(kcsanTitles(prog(true)).titles, []);
  assert.deepEqual(kcsanTitles(prog(false)).titles, ['KCSAN: data-race in foo_reclaim / rcu_updater']);
});

test('a timer callback racing with a task: reported across CPUs, not on its own CPU (no interrupt watcher)', () => {
  const prog = (cpu: number) => () => {
    const c = shared({ n: 0, timer: TIMER_INIT() }, 'struct dev');
    timer_setup(
      c.timer,
      kfunc(function* dev_timer_fn(_t: timer_list): KGen {
        void c.n;
      }),
    );
    spawn_user(
      'arm',
      kfunc(function* arm_timer() {
        yield* mod_timer(c.timer, 1);
      }),
      0,
    );
    spawn_user(
      'w',
      kfunc(function* dev_writer() {
        yield undefined;
        c.n = 1;
      }),
      cpu,
    );
  };
  const across = kcsanTitles(prog(1), { KCSAN: true, PREEMPT_RT: false });
  assert.deepEqual(across.titles, ['KCSAN: data-race in dev_timer_fn / dev_writer']);
  const lines = String(across.texts[0]).split('\n');
  assert.ok(lines.includes('read to 0xffffffff8a000000 of 8 bytes by interrupt on cpu 0:'), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('CPU: 0 UID: 0 PID: 0 Comm: swapper/0 ')));
  assert.deepEqual(kcsanTitles(prog(0), { KCSAN: true, PREEMPT_RT: false }).titles, []);
  // On PREEMPT_RT timers run in a thread (task context): the same-CPU race is reported.
  assert.deepEqual(kcsanTitles(prog(0), { KCSAN: true, PREEMPT_RT: true }).titles, [
    'KCSAN: data-race in dev_timer_fn / dev_writer',
  ]);
});

test('freed memory is left to KASAN: a read after the free races with nothing', () => {
  const r = runProgram(
    () => {
      spawn_user(
        'owner',
        kfunc(function* owner() {
          const o = kmalloc<Counter>(() => ({ n: 0 }), GFP_KERNEL, 'struct counter') as Counter;
          spawn_user(
            'user',
            kfunc(function* late_user() {
              yield undefined;
              void o.n;
            }),
          );
          yield undefined;
          o.n = 1;
          yield undefined;
          kfree(o);
        }),
      );
    },
    { over: ON },
  );
  assert.deepEqual(titles(r), ['BUG: KASAN: slab-use-after-free in late_user']);
});

test('KCSAN off (the default, or KCSAN: false): nothing reported', () => {
  assert.deepEqual(kcsanTitles(() => incrementers(counter(), counter_inc), {}).titles, []);
  assert.deepEqual(kcsanTitles(() => incrementers(counter(), counter_inc), { KCSAN: false }).titles, []);
});
