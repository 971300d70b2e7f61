/**
 * Exploration throughput on the self-tests (executions/s, steps/s, dpor vs plain enumeration, --jobs 2
 * speed-up) and on the flagship model cells (the syzbot splat and v2's failures, at the check bounds).
 */
import { runExploration } from '../src/run/exploration.js';

/** Interleavings a plain (non-reducing) enumeration runs: multinomial of the tasks' step counts. */
const plain: Record<string, string> = {
  'selftest-independent': '756756 (15!/(5!)^3)',
  'selftest-lost-update': '6 (4!/(2!2!))',
  'selftest-mutex-counter': '2520 (8!/(2!)^4)',
  'selftest-abba': '70 (8!/(4!4!)), fewer with blocking',
};

export async function main(): Promise<void> {
  for (const scenario of Object.keys(plain)) {
    const one = await runExploration({ scenario, preemptions: -1, jobs: 1, shrink: false });
    const reps = 20;
    const t0 = performance.now();
    let execs = 0;
    let steps = 0;
    for (let i = 0; i < reps; i++) {
      const r = await runExploration({ scenario, preemptions: -1, jobs: 1, shrink: false });
      execs += r.executions;
      steps += r.steps;
    }
    const s = (performance.now() - t0) / 1000;
    const rnd1 = await runExploration({ scenario, strategy: 'random', budget: 4000, jobs: 1, shrink: false });
    const rnd2 = await runExploration({ scenario, strategy: 'random', budget: 4000, jobs: 2, shrink: false });
    console.log(
      `${scenario.padEnd(24)} dpor ${one.executions} executions (plain enumeration ${plain[scenario]}); ` +
        `${Math.round(execs / s)} exec/s, ${Math.round(steps / s)} steps/s (dpor, jobs 1, incl. determinism check); ` +
        `random 4000 runs: jobs 1 ${rnd1.elapsed_ms} ms, jobs 2 ${rnd2.elapsed_ms} ms, speed-up ${(rnd1.elapsed_ms / rnd2.elapsed_ms).toFixed(2)}x`,
    );
  }
}

/** Flagship model cells at `kernsim check`'s bounds (preemptions 2, faults 1). */
const flagship: [string, string, string][] = [
  ['simple-kvm-reap', 'upstream', 'rt'],
  ['oom-kill', 'upstream', 'rt'],
  ['oom-kill', 'v2', 'rt'],
  ['destroy-race', 'v2', 'rt'],
  // Larger than the 200-execution sequential phase, so --jobs 2 really splits the DPOR tree:
  ['mrelease', 'v2', 'rt'],
];

export async function model(): Promise<void> {
  for (const [scenario, variant, config] of flagship) {
    const cell = { scenario, variant, config, shrink: false } as const;
    await runExploration({ ...cell, jobs: 1 }); // warm-up (JIT), so the two timings compare
    const r1 = await runExploration({ ...cell, jobs: 1 });
    const r2 = await runExploration({ ...cell, jobs: 2 });
    const s = r1.elapsed_ms / 1000;
    console.log(
      `${`${scenario}/${variant}/${config}`.padEnd(28)} dpor ${r1.executions} executions, ${r1.findings.length} finding(s); ` +
        `${Math.round(r1.executions / s)} exec/s, ${Math.round(r1.steps / s)} steps/s (jobs 1); ` +
        `jobs 2: ${r2.elapsed_ms} ms vs ${r1.elapsed_ms} ms, speed-up ${(r1.elapsed_ms / r2.elapsed_ms).toFixed(2)}x`,
    );
  }
}

export default async function all(): Promise<void> {
  await main();
  await model();
}

if (import.meta.url === `file://${process.argv[1]}`) await all();
