/**
 * How large the stress cells' bounded spaces are (no exploration finishes them): Knuth's estimate
 * of the leaves of plain enumeration's tree under the bounds (src/explore/estimate.ts), with its
 * standard error. DPOR needs at most that many executions. The estimate is a mean of heavy-tailed
 * samples (it tends to come out low: on oom-kill/v2/nonrt at bound 0, 20,000 samples give 910 ± 77
 * for an enumeration of 3,564), so read it as an order of magnitude.
 */
import { estimateSpace } from '../src/run/estimate.js';

export const stressCells: readonly (readonly [string, string, number, number])[] = [
  ['upstream', 'nomn', 0, 0],
  ['upstream', 'rt', 0, 1],
  ['v2', 'rt', 0, 1],
  ['v2', 'rt', 2, 1],
];

export interface SpaceFigure {
  readonly cell: string;
  readonly leaves: number;
  readonly stderr: number;
  readonly samples: number;
  readonly ms: number;
}

export async function stressSpace(
  variant: string,
  config: string,
  preemptions: number,
  faults: number,
  samples: number,
): Promise<SpaceFigure> {
  const t0 = performance.now();
  const e = await estimateSpace('stress', { variant, config, preemptions, faults, samples, seed: 1 });
  return {
    cell: `stress/${variant}/${config} at bound ${preemptions}, fault budget ${faults}`,
    leaves: e.leaves,
    stderr: e.stderr,
    samples: e.samples,
    ms: performance.now() - t0,
  };
}

export function spaceText(f: SpaceFigure): string {
  return `~${f.leaves.toExponential(1)} executions of enumeration (± ${f.stderr.toExponential(1)}, ${f.samples} samples, ${(f.ms / 1000).toFixed(0)} s)`;
}

export default async function main(): Promise<void> {
  const samples = Number(process.env.BENCH_SAMPLES ?? 400);
  for (const [v, c, p, f] of stressCells) {
    const fig = await stressSpace(v, c, p, f, samples);
    console.log(`space: ${fig.cell}: ${spaceText(fig)}`);
  }
}
