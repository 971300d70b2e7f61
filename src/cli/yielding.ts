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
import { stopRequested } from './interrupt.js';

export const SLICE_MS = 100;

export async function exploreYielding(
  search: SearchStrategy,
  run: RunFn,
  opts: ExploreOptions,
  sliceMs = SLICE_MS,
): Promise<ExploreResult> {
  const t0 = performance.now();
  const deadline = opts.timeMs !== undefined ? t0 + opts.timeMs : Number.POSITIVE_INFINITY;
  const budget = opts.budget ?? Number.POSITIVE_INFINITY;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let executions = 0;
  let steps = 0;
  let abandoned = 0;
  let cut = 0;
  let last: ExploreResult | null = null;
  const shouldStop = () => stopRequested() || (opts.shouldStop?.() ?? false);
  for (;;) {
    const now = performance.now();
    const left = deadline - now;
    const base = executions;
    const r = explore(search, run, {
      ...opts,
      ...(Number.isFinite(budget) ? { budget: budget - executions } : {}),
      timeMs: Math.max(0, Math.min(sliceMs, left)),
      shouldStop,
      ...(last !== null ? { checkFirst: false } : {}),
      ...(opts.onProgress
        ? {
            onProgress: (p) =>
              opts.onProgress?.({
                ...p,
                executions: base + p.executions,
                steps: steps + p.steps,
                findings: findings.length + p.findings,
                elapsedMs: performance.now() - t0,
              }),
          }
        : {}),
    });
    for (const f of r.findings) {
      if (seen.has(f.title)) continue;
      seen.add(f.title);
      findings.push({ ...f, execution: base + f.execution });
    }
    executions += r.executions;
    steps += r.steps;
    abandoned += r.abandoned;
    cut += r.cut;
    last = r;
    if (r.stoppedBy !== 'time' || performance.now() >= deadline) break;
    await turn();
  }
  const r = last as ExploreResult;
  let complete = r.complete && cut === 0;
  let stoppedBy = r.stoppedBy;
  if (r.complete && cut > 0) {
    complete = false;
    stoppedBy = 'cut-runs';
  }
  return {
    strategy: r.strategy,
    executions,
    steps,
    complete,
    stoppedBy: complete ? null : stoppedBy,
    findings,
    abandoned,
    cut,
    elapsedMs: performance.now() - t0,
    stats: r.stats,
  };
}
