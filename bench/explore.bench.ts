/** Exploration throughput on the self-tests: executions/s, steps/s, dpor vs plain enumeration, --jobs 2 speed-up. */
import { runExploration } from '../src/cli/run-exploration.js';

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

export default main;

if (import.meta.url === `file://${process.argv[1]}`) await main();
