/**
 * Scheduling steps per second with every checker on (might_sleep, lockdep,
 * KASAN, kmemleak, hung task, deadlock, WARN, Oops), on a synthetic workload:
 * 4 tasks that take a mutex and a spinlock and touch shared tracked memory
 * with READ_ONCE/WRITE_ONCE, explored with a seeded random strategy over
 * many runs sharing one checker state (as an exploration does).
 */
import { createCheckState, installCheckers } from '../src/check/index.js';
import { makeConfig } from '../src/kernel/config.js';
import { boot } from '../src/kernel/kernel.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../src/kernel/locking/mutex.js';
import { spin_lock, spin_lock_init, spin_unlock } from '../src/kernel/locking/spinlock.js';
import { READ_ONCE, WRITE_ONCE, shared } from '../src/kernel/once.js';
import { spawn_user } from '../src/kernel/sched/core.js';
import { kfunc } from '../src/sim/index.js';
import { SeededWalk } from '../src/explore/random.js';

const Seeded = SeededWalk;

const ITER = 25;

const worker = kfunc(function* bench_worker(
  mu: ReturnType<typeof mutex_init>,
  sl: ReturnType<typeof spin_lock_init>,
  v: { a: number; b: number; c: number },
) {
  for (let i = 0; i < ITER; i++) {
    yield* mutex_lock(mu);
    const a = yield* READ_ONCE(v, 'a');
    yield* WRITE_ONCE(v, 'a', a + 1);
    yield* spin_lock(sl);
    const b = yield* READ_ONCE(v, 'b');
    yield* WRITE_ONCE(v, 'b', b + 1);
    yield* spin_unlock(sl);
    yield* mutex_unlock(mu);
    const c = yield* READ_ONCE(v, 'c');
    yield* WRITE_ONCE(v, 'c', c + 1);
  }
});

export function measure(runs: number, seed0: number): { steps: number; ms: number; reports: number } {
  const config = makeConfig();
  const state = createCheckState();
  let steps = 0;
  let reports = 0;
  const t0 = performance.now();
  for (let r = 0; r < runs; r++) {
    const k = boot(config, { strategy: new Seeded(seed0 + r), maxSteps: 100_000 });
    installCheckers(k.machine, config, state);
    const mu = mutex_init('&bench->mutex');
    const sl = spin_lock_init('&bench->lock');
    const v = shared({ a: 0, b: 0, c: 0 }, 'struct bench');
    for (let i = 0; i < 4; i++) spawn_user(`bench${i}`, () => worker(mu, sl, v));
    const res = k.machine.run();
    steps += res.steps;
    reports += res.reports.length;
  }
  return { steps, ms: performance.now() - t0, reports };
}

export default function main(): void {
  const runs = Number(process.env.BENCH_RUNS ?? 2000);
  measure(200, 1_000_000); // warm-up
  for (let rep = 0; rep < 3; rep++) {
    const { steps, ms, reports } = measure(runs, rep * runs + 1);
    const sps = (steps / ms) * 1000;
    const rps = (runs / ms) * 1000;
    console.log(
      `steps.bench: ${runs} runs, ${steps} steps in ${ms.toFixed(0)} ms: ` +
        `${(sps / 1e6).toFixed(2)} M steps/s, ${rps.toFixed(0)} runs/s (reports: ${reports})`,
    );
  }
}
