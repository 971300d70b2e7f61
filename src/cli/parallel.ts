/**
 * --jobs N: parallel exploration with a piscina pool. The work is split into
 * coarse tasks whose definition does not depend on N, and results are merged
 * in task order, so findings and (for dpor) execution counts are the same
 * whatever N is (jobs = 1 runs the same tasks inline):
 *   - dpor: a sequential phase of SEQ_PHASE executions; if the space is not
 *     exhausted by then, every pending alternative on the DFS stack becomes a
 *     subtree task; races a subtree finds against nodes above its root come
 *     back as proposals and become new tasks (waves) unless already covered;
 *   - random/pct: fixed ranges of CHUNK run indices.
 * Cross-run checker state (lockdep's graph) is per worker session; it is not
 * merged across workers yet, so a lockdep cycle whose halves fall into
 * different tasks can be missed with any N (the same way for every N).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { Dpor, type DporRoot } from '../explore/dpor.js';
import { type ExploreResult, type Finding, explore } from '../explore/explorer.js';
import type { RunSpec } from './harness.js';
import { DEFAULT_FAULTS, DEFAULT_PREEMPTIONS, type ExplorationRequest, runnerFor } from './run-exploration.js';
import { type WorkerResult, type WorkerTask, runTask } from './worker.js';

export const SEQ_PHASE = 200;
export const CHUNK = 100;

type Exec = (t: WorkerTask) => Promise<WorkerResult>;

function executor(jobs: number): { run: Exec; close(): Promise<void> } {
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

export async function exploreParallel(spec: RunSpec, req: ExplorationRequest, jobs: number): Promise<ExploreResult> {
  const t0 = performance.now();
  const deadline = req.timeSeconds !== undefined ? Date.now() + req.timeSeconds * 1000 : undefined;
  const strategy = req.strategy ?? 'dpor';
  const base = {
    spec: {
      scenario: spec.scenarioRef,
      variant: spec.variant?.name,
      config: spec.configName,
      sets: Object.entries(spec.overrides).map(([k, v]) => `${k}=${String(v)}`),
    },
    strategy,
    preemptions: req.preemptions ?? DEFAULT_PREEMPTIONS,
    faults: req.faults ?? DEFAULT_FAULTS,
    seed: req.seed ?? 1,
    depth: req.depth ?? 2,
    ...(deadline !== undefined ? { deadline } : {}),
  } as const;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let executions = 0;
  let steps = 0;
  let abandoned = 0;
  let cut = 0;
  let stoppedBy: ExploreResult['stoppedBy'] = null;
  let stats: Record<string, number | string> = {};
  const merge = (r: {
    executions: number;
    steps: number;
    abandoned: number;
    cut: number;
    findings: readonly Finding[];
  }): void => {
    for (const f of r.findings) {
      if (seen.has(f.title)) continue;
      seen.add(f.title);
      findings.push({ ...f, execution: executions + f.execution });
    }
    executions += r.executions;
    steps += r.steps;
    abandoned += r.abandoned;
    cut += r.cut;
  };
  const budget = req.budget ?? Number.POSITIVE_INFINITY;
  const ex = executor(jobs);
  try {
    if (strategy === 'dpor') {
      const dpor = new Dpor({ preemptions: base.preemptions, faults: base.faults });
      const first = explore(dpor, runnerFor(spec), {
        scenario: spec.scenario.name,
        budget: Math.min(req.seqPhase ?? SEQ_PHASE, budget),
        ...(req.timeSeconds !== undefined ? { timeMs: req.timeSeconds * 1000 } : {}),
        fresh: () => runnerFor(spec),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      merge(first);
      if (
        first.complete ||
        first.stoppedBy === 'cut-runs' ||
        first.stoppedBy === 'nondeterminism' ||
        first.stoppedBy === 'time'
      ) {
        stoppedBy = first.complete || first.stoppedBy === 'cut-runs' ? null : first.stoppedBy;
      } else {
        let wave: DporRoot[] = dpor.takeRoots();
        while (wave.length > 0 && stoppedBy === null) {
          if (executions >= budget) {
            stoppedBy = 'budget';
            break;
          }
          const results = await Promise.all(wave.map((root) => ex.run({ ...base, root })));
          const next: DporRoot[] = [];
          for (const r of results) {
            merge(r);
            if (r.nondeterministic) stoppedBy = 'nondeterminism';
            else if (r.timedOut) stoppedBy = 'time';
            for (const p of r.proposals) {
              const root = dpor.claim(p);
              if (root) next.push(root);
            }
          }
          wave = next;
          req.onProgress?.({
            executions,
            steps,
            findings: findings.length,
            elapsedMs: performance.now() - t0,
            fraction: undefined,
          });
        }
      }
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
          merge(r);
          stats = r.stats;
          if (r.nondeterministic) stoppedBy = 'nondeterminism';
          else if (r.timedOut) stoppedBy = 'time';
        }
        if (deadline !== undefined && Date.now() >= deadline && stoppedBy === null && next < total) stoppedBy = 'time';
        req.onProgress?.({
          executions,
          steps,
          findings: findings.length,
          elapsedMs: performance.now() - t0,
          fraction: executions / total,
        });
      }
      if (stoppedBy === null) stoppedBy = 'budget';
    }
  } finally {
    await ex.close();
  }
  if (strategy === 'dpor' && stoppedBy === null && cut > 0) stoppedBy = 'cut-runs';
  const complete = strategy === 'dpor' && stoppedBy === null;
  return {
    strategy,
    executions,
    steps,
    complete,
    stoppedBy,
    findings,
    abandoned,
    cut,
    elapsedMs: performance.now() - t0,
    stats,
  };
}
