/**
 * explore() run in slices of wall time with a turn of the event loop between
 * them, so that a signal handler (Ctrl-C) gets to run while a single thread
 * explores: the search object keeps its place between slices, and the slices'
 * results are merged into one (findings deduplicated by title, execution
 * numbers continued). The result is the same as one explore() call's (only
 * the first slice checks the first run, as one call would).
 */
import { setImmediate as turn } from 'node:timers/promises';
import { type ExploreOptions, type ExploreResult, type Finding, explore } from '../explore/explorer.js';
import type { RunFn } from '../explore/common.js';
import type { SearchStrategy } from '../explore/search.js';
import { stopRequested } from './stop.js';

export const SLICE_MS = 100;

/** Explorations' results added up in order: counts summed, findings first by title, renumbered. */
export class Totals {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  executions = 0;
  steps = 0;
  abandoned = 0;
  cut = 0;
  add(r: {
    readonly executions: number;
    readonly steps: number;
    readonly abandoned: number;
    readonly cut: number;
    readonly findings: readonly Finding[];
  }): void {
    for (const f of r.findings) {
      if (this.seen.has(f.title)) continue;
      this.seen.add(f.title);
      this.findings.push({ ...f, execution: this.executions + f.execution });
    }
    this.executions += r.executions;
    this.steps += r.steps;
    this.abandoned += r.abandoned;
    this.cut += r.cut;
  }
}

export async function exploreYielding(
  search: SearchStrategy,
  run: RunFn,
  opts: ExploreOptions,
  sliceMs = SLICE_MS,
): Promise<ExploreResult> {
  const t0 = performance.now();
  const deadline = opts.timeMs !== undefined ? t0 + opts.timeMs : Number.POSITIVE_INFINITY;
  const budget = opts.budget ?? Number.POSITIVE_INFINITY;
  const t = new Totals();
  let last: ExploreResult | null = null;
  const shouldStop = () => stopRequested() || (opts.shouldStop?.() ?? false);
  for (;;) {
    const now = performance.now();
    const left = deadline - now;
    const base = t.executions;
    const r = explore(search, run, {
      ...opts,
      ...(Number.isFinite(budget) ? { budget: budget - t.executions } : {}),
      timeMs: Math.max(0, Math.min(sliceMs, left)),
      shouldStop,
      ...(last !== null ? { checkFirst: false } : {}),
      ...(opts.onProgress
        ? {
            onProgress: (p) =>
              opts.onProgress?.({
                ...p,
                executions: base + p.executions,
                steps: t.steps + p.steps,
                findings: t.findings.length + p.findings,
                elapsedMs: performance.now() - t0,
              }),
          }
        : {}),
    });
    t.add(r);
    last = r;
    if (r.stoppedBy !== 'time' || performance.now() >= deadline) break;
    await turn();
  }
  const r = last as ExploreResult;
  let complete = r.complete && t.cut === 0;
  let stoppedBy = r.stoppedBy;
  if (r.complete && t.cut > 0) {
    complete = false;
    stoppedBy = 'cut-runs';
  }
  return {
    strategy: r.strategy,
    executions: t.executions,
    steps: t.steps,
    complete,
    stoppedBy: complete ? null : stoppedBy,
    findings: t.findings,
    abandoned: t.abandoned,
    cut: t.cut,
    elapsedMs: performance.now() - t0,
    stats: r.stats,
  };
}
