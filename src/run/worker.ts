/**
 * Piscina worker for parallel exploration: explores one coarse task (a DPOR
 * subtree or a range of random/PCT runs) on its own session and returns plain data.
 */
import { Dpor, type DporRoot, type NodeDesc, type Proposal } from '../explore/dpor.js';
import type { Finding } from '../explore/explorer.js';
import { type SearchOptions, makeSearch } from './options.js';
import { runnerFor } from './session.js';
import { specFor } from './spec.js';
import { adoptStop } from './stop.js';
import { exploreYielding } from './yielding.js';

export interface WorkerSpec {
  readonly scenario: string;
  readonly variant: string | undefined;
  readonly config: string | undefined;
  readonly sets: readonly string[];
  readonly params?: readonly string[];
}

export interface WorkerTask extends SearchOptions {
  readonly spec: WorkerSpec;
  /** dpor: the subtree to explore. */
  readonly root?: DporRoot;
  /** dpor: executions after which the rest of the subtree is split into new roots (returned). */
  readonly split?: number;
  /** dpor: stop after this many executions (incomplete), without splitting. */
  readonly budget?: number;
  /** pct/random: the run indices. */
  readonly first?: number;
  readonly count?: number;
  /** Absolute wall-clock deadline (ms since epoch), if any. */
  readonly deadline?: number;
  /** The stop flag (Ctrl-C) of the thread that asked for the task (run/stop.ts). */
  readonly stop?: SharedArrayBuffer;
}

export interface WorkerResult {
  readonly executions: number;
  readonly steps: number;
  readonly abandoned: number;
  readonly cut: number;
  readonly complete: boolean;
  readonly timedOut: boolean;
  readonly nondeterministic: boolean;
  readonly findings: readonly Finding[];
  readonly proposals: readonly Proposal[];
  /** dpor: the subtree roots the rest of the work was split into (after `split` executions). */
  readonly roots: readonly DporRoot[];
  /** dpor: the nodes the split or the finished root describe, for the coordinator. */
  readonly nodes: readonly NodeDesc[];
  /** dpor: stopped by `budget` (not split). */
  readonly budgetStopped: boolean;
  readonly stats: Record<string, number | string>;
}

export async function runTask(t: WorkerTask): Promise<WorkerResult> {
  adoptStop(t.stop);
  const spec = await specFor(t.spec.scenario, t.spec.variant, t.spec.config, t.spec.sets, t.spec.params ?? []);
  const search = makeSearch(t, { root: t.root, splitting: true, first: t.first ?? 0, count: t.count ?? 1 });
  const dpor = search instanceof Dpor ? search : null;
  const limit = t.budget ?? t.split;
  // In slices with a turn of the event loop between them: Ctrl-C's handler runs (run/yielding.ts).
  const r = await exploreYielding(search, runnerFor(spec), {
    scenario: spec.scenario.name,
    fresh: () => runnerFor(spec),
    // The exploration's first run is checked by its first task; findings are checked where found.
    checkFirst: t.root === undefined && (t.first ?? 0) === 0,
    ...(limit !== undefined ? { budget: limit } : {}),
    ...(t.deadline !== undefined ? { timeMs: Math.max(0, t.deadline - Date.now()) } : {}),
  });
  const split = dpor && t.budget === undefined && r.stoppedBy === 'budget' ? dpor.takeRoots() : null;
  const finished = dpor?.finishedRoot;
  return {
    executions: r.executions,
    steps: r.steps,
    abandoned: r.abandoned,
    cut: r.cut,
    complete: r.complete || r.stoppedBy === 'not-exhaustive' || r.stoppedBy === 'cut-runs' || split !== null,
    timedOut: r.stoppedBy === 'time',
    nondeterministic: r.stoppedBy === 'nondeterminism',
    findings: r.findings,
    proposals: dpor ? dpor.proposals : [],
    roots: split?.roots ?? [],
    nodes: split?.nodes ?? (finished ? [finished] : []),
    budgetStopped: t.budget !== undefined && r.stoppedBy === 'budget',
    stats: r.stats,
  };
}

export default runTask;
