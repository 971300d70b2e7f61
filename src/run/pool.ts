/**
 * --jobs N: parallel exploration with a piscina pool. The work is split into
 * coarse tasks whose definition does not depend on N, and results are merged
 * in task order, so findings and (for dpor) execution counts are the same
 * whatever N is (jobs = 1 runs the same tasks inline):
 *   - dpor: subtree tasks of SEQ_PHASE executions of sequential DPOR each; a task
 *     that does not finish its subtree in that many hands every alternative left
 *     on its path back as new subtree roots, each carrying sequential DPOR's
 *     sleep set and explored siblings (so nothing is repeated), which start at
 *     once; races a subtree finds against nodes above its root come back as
 *     proposals, placed after the round in task order (SplitTree), and start the
 *     next round unless already covered. A --budget runs one task (no split);
 *   - random/pct: fixed ranges of CHUNK run indices.
 * Cross-run checker state (lockdep's graph) is per worker session; it is not
 * merged across workers yet, so a lockdep cycle whose halves fall into
 * different tasks can be missed with any N (the same way for every N).
 */
import { type DporRoot, SplitTree } from '../explore/dpor.js';
import type { ExploreResult, Progress } from '../explore/explorer.js';
import { type SearchOptions, searchOptions } from './options.js';
import type { RunSpec } from './spec.js';
import { stopBuffer, stopRequested } from './stop.js';
import type { Executor } from './executor.js';
import { type Hang, hangFinding } from './watchdog.js';
import { type WorkerResult, type WorkerTask, workerSpec } from './worker.js';
import { Totals } from './yielding.js';

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

/** The pool's result: an exploration's, and 'watchdog' when a run was stopped (its task's work is lost). */
export type PoolResult = Omit<ExploreResult, 'stoppedBy'> & {
  readonly stoppedBy: ExploreResult['stoppedBy'] | 'watchdog';
};

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
    nodes: [],
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
  const totals = new Totals();
  let stoppedBy: PoolResult['stoppedBy'] = null;
  let stats: Record<string, number | string> = {};
  const budget = req.budget ?? Number.POSITIVE_INFINITY;
  let hung = false;
  const runTask = async (t: WorkerTask): Promise<WorkerResult> => {
    const r = await runWatched(ex, spec.scenario.name, t);
    if (r.hung) hung = true;
    return r;
  };
  const jobs = ex.jobs;
  if (strategy === 'dpor') {
    // The tree is explored by subtree tasks: each runs `split` executions of sequential DPOR, then
    // hands every alternative left on its path back as new subtree roots (with sequential DPOR's
    // sleep sets), which run at once. Races a subtree finds against nodes above its root are
    // placed once the round is over, in task order (SplitTree), and start the next round. What is
    // explored depends only on the task tree, never on N or timing.
    const split = req.seqPhase ?? SEQ_PHASE;
    const tree = new SplitTree({ preemptions: base.preemptions, faults: base.faults });
    const finite = Number.isFinite(budget);
    const results: { id: number[]; root: DporRoot | undefined; r: WorkerResult }[] = [];
    let halt = false;
    const runOne = async (id: number[], root: DporRoot | undefined): Promise<void> => {
      const r = await runTask({ ...base, ...(root ? { root } : {}), ...(finite ? { budget } : { split }) });
      results.push({ id, root, r });
      for (const d of r.nodes) tree.add(d);
      if (r.nondeterministic) stoppedBy = 'nondeterminism';
      else if (r.timedOut && stoppedBy === null) stoppedBy = 'time';
      else if (r.budgetStopped && stoppedBy === null) stoppedBy = 'budget';
      if (stopRequested()) stoppedBy = 'interrupted';
      if (stoppedBy !== null) halt = true;
      progressed += r.executions;
      req.onProgress?.({
        executions: progressed,
        steps: 0,
        findings: 0,
        elapsedMs: performance.now() - t0,
        fraction: undefined,
      });
      if (halt) return;
      await Promise.all(r.roots.map((c, i) => runOne([...id, i], c)));
    };
    let progressed = 0;
    let round: (DporRoot | undefined)[] = [undefined];
    for (let w = 0; round.length > 0 && !halt; w++) {
      await Promise.all(round.map((root, i) => runOne([w, i], root)));
      if (halt) break;
      const mine = results.filter((x) => x.id[0] === w).sort((a, b) => compareIds(a.id, b.id));
      const proposals = mine.flatMap((x) =>
        x.r.proposals.map((proposal) => ({ prefix: x.root?.prefix ?? [], proposal })),
      );
      round = tree.claimAll(proposals);
    }
    results.sort((a, b) => compareIds(a.id, b.id));
    for (const x of results) totals.add(x.r);
  } else {
    const total = Number.isFinite(budget) ? budget : Number.POSITIVE_INFINITY;
    let next = 0;
    while (next < total && stoppedBy === null) {
      const tasks: WorkerTask[] = [];
      for (let i = 0; i < Math.max(1, jobs) * 4 && next < total; i++) {
        const count = Math.min(CHUNK, total - next);
        tasks.push({ ...base, first: next, count });
        next += count;
      }
      const results = await Promise.all(tasks.map((t) => runTask(t)));
      for (const r of results) {
        totals.add(r);
        stats = r.stats;
        if (r.nondeterministic) stoppedBy = 'nondeterminism';
        else if (r.timedOut) stoppedBy = 'time';
      }
      if (deadlineMs !== undefined && Date.now() >= deadlineMs && stoppedBy === null && next < total)
        stoppedBy = 'time';
      if (stopRequested()) stoppedBy = 'interrupted';
      req.onProgress?.({
        executions: totals.executions,
        steps: totals.steps,
        findings: totals.findings.length,
        elapsedMs: performance.now() - t0,
        fraction: totals.executions / total,
      });
    }
    if (stoppedBy === null) stoppedBy = hung ? 'watchdog' : 'budget';
  }
  if (strategy === 'dpor' && stoppedBy === null && hung) stoppedBy = 'watchdog';
  if (strategy === 'dpor' && stoppedBy === null && totals.cut > 0) stoppedBy = 'cut-runs';
  const complete = strategy === 'dpor' && stoppedBy === null;
  return {
    strategy,
    executions: totals.executions,
    steps: totals.steps,
    complete,
    stoppedBy,
    findings: totals.findings,
    abandoned: totals.abandoned,
    cut: totals.cut,
    elapsedMs: performance.now() - t0,
    stats,
  };
}

/** Task ids in the order their results are merged: round, then the split tree's preorder. */
function compareIds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}
