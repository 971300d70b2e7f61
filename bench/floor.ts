/**
 * The floor under the model-cell throughput row: `runs` seeded random runs of a cell (no DPOR race
 * analysis, no tree) with its config and with every sanitizer off, each after a warm-up of the
 * same, in a process that has run nothing else (the model cells bench/table.bench.ts measures
 * first leave their type feedback in the shared engine code: measured there, the bare runs were
 * ~20% slower). Run by table.bench.ts as a child process:
 *   node --import tsx bench/floor.ts SCENARIO VARIANT CONFIG RUNS
 * prints one JSON object (FloorFigure).
 *
 * The run with no sanitizer is what booting, setting up and stepping the model costs before any
 * checker or explorer does anything: the ceiling of steps/s for this way of running a model
 * (generators resumed through each frame, tracked memory behind proxies), whatever the
 * exploration around it does.
 */
import { type KernelConfig, makeConfig } from '../src/kernel/config.js';
import { explore } from '../src/explore/explorer.js';
import { RandomSearch } from '../src/explore/random.js';
import { runnerFor } from '../src/run/session.js';
import { specFor } from '../src/run/spec.js';
import type { ModelFigure } from './model-steps.bench.js';

/** Every sanitizer of the config off: what is left is the machine and the model's own code. */
function noSanitizers(c: KernelConfig): KernelConfig {
  return makeConfig({
    ...c,
    DEBUG_ATOMIC_SLEEP: false,
    PROVE_LOCKING: false,
    PROVE_RCU: false,
    PROVE_RCU_LIST: false,
    KASAN: false,
    KCSAN: false,
    DEBUG_KMEMLEAK: false,
    DEBUG_OBJECTS_RCU_HEAD: false,
    DETECT_HUNG_TASK: false,
  });
}

export interface FloorFigure {
  /** Random runs with the cell's config: every sanitizer, no race analysis. */
  readonly sanitized: ModelFigure;
  /** The same runs with every sanitizer off: the machine and the model alone. */
  readonly bare: ModelFigure;
}

async function measureFloor(scenario: string, variant: string, config: string, runs: number): Promise<FloorFigure> {
  const spec = await specFor(scenario, variant, config, []);
  const bareSpec = { ...spec, config: noSanitizers(spec.config) };
  const once = (s: typeof spec, label: string): ModelFigure => {
    const run = runnerFor(s);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = explore(new RandomSearch({ seed: 1, faults: 1 }), run, { scenario, budget: runs });
    const c = process.cpuUsage(c0);
    return {
      cell: `${scenario}/${variant}/${config}${label}`,
      executions: r.executions,
      steps: r.steps,
      ms: performance.now() - t0,
      cpuMs: (c.user + c.system) / 1000,
    };
  };
  once(spec, '');
  once(bareSpec, '');
  return { sanitized: once(spec, ''), bare: once(bareSpec, ', no sanitizer') };
}

const [scenario, variant, config, runs] = process.argv.slice(2) as [string, string, string, string];
console.log(JSON.stringify(await measureFloor(scenario, variant, config, Number(runs))));
