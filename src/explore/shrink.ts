/**
 * Counterexample shrinking: fewest preemptions, then fewest faults, then
 * fewest steps. We re-explore with DPOR at increasing bounds (preemptions
 * 0..P, and for each, faults 0..F, where P and F are the original run's) with
 * a small execution budget per level, and keep, at the first level where the
 * same title appears, the run with the fewest steps. DPOR's default
 * continuation is non-preemptive, so runs at a low bound are "the failing
 * prefix followed by a non-preemptive completion". The result is replayed on
 * a fresh session and kept only if it gives the same title again.
 * Findings that depend on earlier runs (a prelude) are not shrunk.
 */
import type { RunResult } from '../sim/index.js';
import { Meter, type RunFn, StopRun } from './common.js';
import { Dpor } from './dpor.js';
import { replayRun } from './explorer.js';

export interface ShrinkInput {
  readonly title: string;
  readonly preemptions: number;
  readonly faults: number;
  readonly steps: number;
}

export interface Shrunk {
  readonly choices: readonly number[];
  readonly reportIndex: number;
  readonly digest: string;
  readonly preemptions: number;
  readonly faults: number;
  readonly steps: number;
}

export interface ShrinkOptions {
  /** Executions per (preemptions, faults) level. */
  readonly budgetPerLevel?: number;
  /** Total executions. */
  readonly budget?: number;
}

export function shrink(f: ShrinkInput, fresh: () => RunFn, opts: ShrinkOptions = {}): Shrunk | null {
  const perLevel = opts.budgetPerLevel ?? 500;
  let total = opts.budget ?? 5000;
  for (let p = 0; p <= f.preemptions; p++) {
    for (let q = 0; q <= f.faults; q++) {
      if (total <= 0) return null;
      const run = fresh();
      const d = new Dpor({ preemptions: p, faults: q });
      let best: (Shrunk & { key: number }) | null = null;
      for (let n = 0; n < perLevel && total > 0; n++, total--) {
        const s = d.next();
        if (!s) break;
        const m = new Meter(s);
        let r: RunResult | null = null;
        try {
          r = run(m);
        } catch (e) {
          if (!(e instanceof StopRun)) throw e;
        }
        d.done(r);
        if (!r) continue;
        const idx = r.reports.findIndex((x) => x.title === f.title && !x.prelude);
        if (idx < 0) continue;
        const key = m.preemptions * 1e12 + m.faults * 1e6 + r.steps;
        if (!best || key < best.key)
          best = {
            key,
            choices: [...r.choices],
            reportIndex: idx,
            digest: r.digest,
            preemptions: m.preemptions,
            faults: m.faults,
            steps: r.steps,
          };
      }
      if (best) {
        const again = replayRun(fresh(), best.choices);
        if (
          again.result &&
          again.result.digest === best.digest &&
          again.result.reports[best.reportIndex]?.title === f.title
        ) {
          const { key: _k, ...out } = best;
          return out;
        }
      }
    }
  }
  return null;
}
