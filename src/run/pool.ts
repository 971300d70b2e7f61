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
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type DporRoot, SplitTree } from '../explore/dpor.js';
import type { ExploreResult, Progress } from '../explore/explorer.js';
import { type SearchOptions, searchOptions } from './options.js';
import type { RunSpec } from './spec.js';
import { stopBuffer, stopRequested } from './stop.js';
import { type WorkerResult, type WorkerTask, runTask } from './worker.js';
import { Totals } from './yielding.js';

/** What the pool explores: the search, its limits, and progress reporting. */
export interface PoolRequest extends Partial<SearchOptions> {
  readonly budget?: number | undefined;
  readonly timeSeconds?: number | undefined;
  readonly onProgress?: ((p: Progress) => void) | undefined;
  /** DPOR executions per subtree task before it splits (default SEQ_PHASE). */
  readonly seqPhase?: number | undefined;
}

export const SEQ_PHASE = 50;
export const CHUNK = 100;

type Exec = (t: WorkerTask) => Promise<WorkerResult>;

/** Runs tasks inline (jobs = 1) or on a pool of `jobs` threads (also used by src/fleet/). */
export function executor(jobs: number): { run: Exec; close(): Promise<void> } {
  if (jobs <= 1) {
    return {
      run: async (t) => runTask(t),
      close: async () => {},
    };
  }
  // The pool (and its workers' module loading) is only paid for when the exploration outgrows
  // its sequential phase.
  let pool: Piscina | null = null;
  const get = (): Piscina => {
    if (!pool) {
      const ts = import.meta.url.endsWith('.ts');
      pool = new Piscina({
        filename: new URL(ts ? './worker.ts' : './worker.js', import.meta.url).href,
        maxThreads: Math.min(jobs, availableParallelism() * 2),
        minThreads: Math.min(jobs, availableParallelism() * 2),
        ...(ts ? { execArgv: ['--import', 'tsx'] } : {}),
      });
    }
    return pool;
  };
  return {
    run: (t) => get().run(t) as Promise<WorkerResult>,
    close: async () => {
      if (pool) await pool.close();
    },
  };
}

export async function exploreParallel(spec: RunSpec, req: PoolRequest, jobs: number): Promise<ExploreResult> {
  const t0 = performance.now();
  const deadline = req.timeSeconds !== undefined ? Date.now() + req.timeSeconds * 1000 : undefined;
  const search = searchOptions(req);
  const strategy = search.strategy;
  const base = {
    ...search,
    spec: {
      scenario: spec.scenarioRef,
      variant: spec.variant?.name,
      config: spec.configName,
      sets: Object.entries(spec.overrides).map(([k, v]) => `${k}=${String(v)}`),
    },
    ...(deadline !== undefined ? { deadline } : {}),
    stop: stopBuffer(),
  } as const;
  const totals = new Totals();
  let stoppedBy: ExploreResult['stoppedBy'] = null;
  let stats: Record<string, number | string> = {};
  const budget = req.budget ?? Number.POSITIVE_INFINITY;
  const ex = executor(jobs);
  try {
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
        const r = await ex.run({ ...base, ...(root ? { root } : {}), ...(finite ? { budget } : { split }) });
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
        const results = await Promise.all(tasks.map((t) => ex.run(t)));
        for (const r of results) {
          totals.add(r);
          stats = r.stats;
          if (r.nondeterministic) stoppedBy = 'nondeterminism';
          else if (r.timedOut) stoppedBy = 'time';
        }
        if (deadline !== undefined && Date.now() >= deadline && stoppedBy === null && next < total) stoppedBy = 'time';
        if (stopRequested()) stoppedBy = 'interrupted';
        req.onProgress?.({
          executions: totals.executions,
          steps: totals.steps,
          findings: totals.findings.length,
          elapsedMs: performance.now() - t0,
          fraction: totals.executions / total,
        });
      }
      if (stoppedBy === null) stoppedBy = 'budget';
    }
  } finally {
    await ex.close();
  }
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
