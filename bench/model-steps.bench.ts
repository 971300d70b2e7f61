/**
 * Model steps: sequential DPOR (no pool, no shrinking) on model cells at `kernsim check`'s bounds,
 * in this process after a warm-up run: executions/s and steps/s of the whole per-execution cost
 * (boot, the scenario's setup, the run with every sanitizer, the race analysis, the determinism
 * replays), against the issue's target (>= 15 k executions/s and >= 1 M steps/s on mrelease/v2/rt).
 */
import { runnerFor } from '../src/run/session.js';
import { specFor } from '../src/run/spec.js';
import { Dpor } from '../src/explore/dpor.js';
import { explore } from '../src/explore/explorer.js';

export const modelCells: readonly (readonly [string, string, string])[] = [
  ['oom-kill', 'v2', 'nonrt'],
  ['destroy-race', 'v2', 'rt'],
  ['mrelease', 'v2', 'rt'],
];

export interface ModelFigure {
  readonly cell: string;
  readonly executions: number;
  readonly steps: number;
  readonly ms: number;
  /** CPU time of this thread's process (user + system), less noisy than wall time on a shared machine. */
  readonly cpuMs: number;
}

export async function measureModel(scenario: string, variant: string, config: string): Promise<ModelFigure> {
  const spec = await specFor(scenario, variant, config, []);
  const once = () =>
    explore(new Dpor({ preemptions: 2, faults: 1 }), runnerFor(spec), {
      scenario,
      fresh: () => runnerFor(spec),
    });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = once();
  const c = process.cpuUsage(c0);
  return {
    cell: `${scenario}/${variant}/${config}`,
    executions: r.executions,
    steps: r.steps,
    ms: performance.now() - t0,
    cpuMs: (c.user + c.system) / 1000,
  };
}

export default async function main(): Promise<void> {
  const only = process.env.BENCH_CELL;
  for (const [s, v, c] of modelCells) {
    if (only && !`${s}/${v}/${c}`.includes(only)) continue;
    await measureModel(s, v, c); // warm-up
    const f = await measureModel(s, v, c);
    const sec = f.cpuMs / 1000;
    console.log(
      `model-steps: ${f.cell.padEnd(22)} ${f.executions} executions, ${f.steps} steps in ${f.cpuMs.toFixed(0)} ms CPU (${f.ms.toFixed(0)} ms wall): ` +
        `${Math.round(f.executions / sec)} executions/s (target 15000), ${Math.round(f.steps / sec)} steps/s (target 1000000)`,
    );
  }
}
