/**
 * DPOR race analysis of one long run: 4 tasks x 2,500 steps (10,000 steps), each step a read or a
 * write of one of 16 shared objects (seeded), plus a lock taken and released every 10 steps; the
 * time Dpor.done() takes to compute the run's races and backtrack points (target: <= 10 ms).
 */
import { Dpor } from '../src/explore/dpor.js';
import { ACCESS_ACQUIRE, ACCESS_READ, ACCESS_RELEASE, ACCESS_WRITE, Machine, type TaskBody } from '../src/sim/index.js';

export function analysisMs(tasks = 4, stepsPerTask = 2500): { ms: number; steps: number } {
  const dpor = new Dpor({ preemptions: 2, faults: 0 });
  const strategy = dpor.next();
  if (!strategy) throw new Error('no run');
  const m = new Machine({ strategy, nrCpus: 2, maxSteps: tasks * stepsPerTask * 2 }).activate();
  const objs = Array.from({ length: 16 }, () => m.newId());
  const lock = m.newId();
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let t = 0; t < tasks; t++)
    m.spawn(`t${t}`, function* body(): TaskBody {
      for (let i = 0; i < stepsPerTask; i++) {
        m.access(objs[rnd(objs.length)] as number, rnd(3) === 0 ? ACCESS_WRITE : ACCESS_READ);
        if (i % 10 === 0) m.access(lock, ACCESS_ACQUIRE);
        if (i % 10 === 5) m.access(lock, ACCESS_RELEASE);
        yield undefined;
      }
    });
  const r = m.run();
  const t0 = performance.now();
  dpor.done(r);
  return { ms: performance.now() - t0, steps: r.steps };
}

/** Median and best of `n` analyses after a warm-up (the median includes the GC pauses an analysis causes). */
export function analysisFigure(n = 15): { median: number; best: number; steps: number } {
  const steps = analysisMs().steps;
  const xs = Array.from({ length: n }, () => analysisMs().ms).sort((a, b) => a - b);
  return { median: xs[Math.floor(n / 2)] as number, best: xs[0] as number, steps };
}

export default function main(): void {
  const f = analysisFigure();
  console.log(
    `dpor-analysis: a ${f.steps}-step run analysed in ${f.median.toFixed(1)} ms (median of 15; best ${f.best.toFixed(1)} ms; target <= 10 ms)`,
  );
}
