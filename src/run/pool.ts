/**
 * --jobs N: parallel exploration with a piscina pool. The work is split into
 * coarse tasks whose definition does not depend on N, and results are merged
 * in task order, so findings and (for dpor) execution counts are the same
 * whatever N is (jobs = 1 runs the same tasks inline). The tasks are the task
 * tree of run/plan.ts, the one shards and the fleet (src/fleet/) walk too:
 *   - dpor: subtree tasks of SEQ_PHASE executions of sequential DPOR each; a task
 *     that does not finish its subtree in that many hands every alternative left
 *     on its path back as new subtree roots, each carrying sequential DPOR's
 *     sleep set and explored siblings (so nothing is repeated), which start at
 *     once; races a subtree finds against nodes above its root come back as
 *     proposals, placed after the round in task order (DporPlan), and start the
 *     next round unless already covered. A --budget runs one task (no split);
 *   - random/pct: fixed chunks of CHUNK run indices (chunkTask), a few per thread at a time.
 * Cross-run checker state (lockdep's graph) is per worker session; it is not
 * merged across workers yet, so a lockdep cycle whose halves fall into
 * different tasks can be missed with any N (the same way for every N).
 */
import type { Progress } from '../explore/explorer.js';
import { type SearchOptions, searchOptions } from './options.js';
import { DporPlan, type PoolResult, type StopReason, type TaskDone, chunkTask, totalResult, walkPlan } from './plan.js';
import type { RunSpec } from './spec.js';
import { stopBuffer, stopRequested } from './stop.js';
import type { Executor } from './executor.js';
import { type Hang, hangFinding } from './watchdog.js';
import { type WorkerResult, type WorkerTask, workerSpec } from './worker.js';
import { Totals } from './yielding.js';

export type { PoolResult } from './plan.js';

/** What the pool explores: the search, its limits, and progress reporting. */
export interface PoolRequest extends Partial<SearchOptions> {
  readonly budget?: number | undefined;
  readonly timeLimitS?: number | undefined;
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /** DPOR executions per subtree task before it splits (default SEQ_PHASE). */
  readonly seqPhase?: number | undefined;
}

export const SEQ_PHASE = 50;
export const CHUNK = 100;

/** A task the watchdog stopped: its run as a finding, nothing explored, nothing to split. */
function hungResult(scenario: string, h: Hang, limitMs: number): WorkerResult {
  return {
    executions: h.runs,
    steps: 0,
    abandoned: 0,
    cut: 0,
    complete: false,
    timedOut: false,
    nondeterministic: false,
    findings: [hangFinding(scenario, h, limitMs)],
    proposals: [],
    roots: [],
    nodes: null,
    budgetStopped: false,
    stats: {},
  };
}

/**
 * One exploration task on the executor; a task the watchdog stopped comes back as its hang finding,
 * marked `hung` (its part of the space is lost: the exploration stops by 'watchdog' when nothing
 * else stopped it). Also src/fleet/'s way of running a task, so shards and merges see hangs as the
 * pool does.
 */
export async function runWatched(
  ex: Executor,
  scenario: string,
  t: WorkerTask,
): Promise<WorkerResult & { readonly hung?: true }> {
  const out = await ex.run(t);
  if (out.ok) return out.ok;
  return { ...hungResult(scenario, out.hang, ex.watchdogMs ?? 0), hung: true };
}

export async function exploreParallel(spec: RunSpec, req: PoolRequest, ex: Executor): Promise<PoolResult> {
  const t0 = performance.now();
  const deadlineMs = req.timeLimitS !== undefined ? Date.now() + req.timeLimitS * 1000 : undefined;
  const search = searchOptions(req);
  const strategy = search.strategy;
  const base = {
    ...search,
    spec: workerSpec(spec),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    stop: stopBuffer(),
  } as const;
  const budget = req.budget ?? Number.POSITIVE_INFINITY;
  const runTask = (t: WorkerTask) => runWatched(ex, spec.scenario.name, t);
  const progress = (executions: number, steps: number, findings: number, fraction: number | undefined) =>
    req.onProgress?.({ executions, steps, findings, elapsedMs: performance.now() - t0, fraction });
  if (strategy === 'dpor') {
    // Subtree tasks of `split` executions each (a --budget: one task of that many, not split),
    // walked as run/plan.ts's DporPlan says: what is explored depends only on the tree, never on
    // N or timing.
    const split = req.seqPhase ?? SEQ_PHASE;
    const finite = Number.isFinite(budget);
    const plan = new DporPlan({ preemptions: base.preemptions, faults: base.faults });
    let progressed = 0;
    await walkPlan(
      plan,
      async (ref) => {
        const r = await runTask({
          ...base,
          ...(ref.root ? { root: ref.root } : {}),
          ...(finite ? { budget } : { split }),
        });
        progressed += r.executions;
        progress(progressed, 0, 0, undefined);
        return r;
      },
      () => (stopRequested() ? 'interrupted' : null),
    );
    return totalResult(strategy, plan.results, plan.stoppedBy, performance.now() - t0);
  }
  // random/pct: the chunks in batches of a few per thread, so that a time limit or Ctrl-C is seen
  // between batches (and a huge --budget with --time never lists all its chunks). Batches come in
  // task-id order, so `totals` (for progress) adds up as totalResult does.
  const results: TaskDone[] = [];
  let stoppedBy: StopReason = null;
  const totals = new Totals();
  let c = 0;
  for (let ref = chunkTask(c, budget, CHUNK); ref !== undefined && stoppedBy === null; ) {
    const batch: NonNullable<typeof ref>[] = [];
    for (; ref !== undefined && batch.length < Math.max(1, ex.jobs) * 4; ref = chunkTask(++c, budget, CHUNK))
      batch.push(ref);
    const done = await Promise.all(
      batch.map(async (t) => ({
        ref: t,
        result: await runTask({ ...base, first: t.first ?? 0, count: t.count ?? 1 }),
      })),
    );
    for (const d of done) {
      results.push(d);
      totals.add(d.result);
      if (d.result.nondeterministic) stoppedBy = 'nondeterminism';
      else if (d.result.timedOut) stoppedBy = 'time';
    }
    if (deadlineMs !== undefined && Date.now() >= deadlineMs && stoppedBy === null && ref !== undefined)
      stoppedBy = 'time';
    if (stopRequested()) stoppedBy = 'interrupted';
    progress(totals.executions, totals.steps, totals.findings.length, totals.executions / budget);
  }
  return totalResult(strategy, results, stoppedBy, performance.now() - t0);
}
