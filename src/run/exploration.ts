/**
 * One exploration of scenario x variant x config, as a JSON-ready result
 * object (the schema `kernsim explore --json` and `kernsim check` print:
 * report/json.ts). This is where explore/ meets the run layer: explore/ only
 * ever sees a `(strategy) => RunResult` function.
 */
import { availableParallelism } from 'node:os';
import type { Progress } from '../explore/explorer.js';
import type { FindingJson, ResultJson } from '../report/json.js';
import type { Scenario } from '../scenarios/api.js';
import { UsageError } from '../scenarios/index.js';
import { type Executor, makeExecutor } from './executor.js';
import { findingsJson } from './findings.js';
import { DEFAULTS, STRATEGIES, type StrategyName, searchOptions } from './options.js';
import { type PoolResult, exploreParallel } from './pool.js';
import { type RunSpec, specFor } from './spec.js';
import { adoptStop } from './stop.js';
import { tokenFor } from './tokens.js';
import { hangFinding } from './watchdog.js';
import { workerSpec } from './worker.js';

export type { FindingJson, JsonOutput, ResultJson } from '../report/json.js';
export type { StrategyName } from './options.js';

export interface ExplorationRequest {
  /** A built-in scenario's name, a scenario file's path, or a defineScenario() object (explored on this thread). */
  readonly scenario: string | Scenario;
  readonly variant?: string | undefined;
  readonly config?: string | undefined;
  readonly sets?: readonly string[];
  /** Scenario parameters (`name=value`, --param). */
  readonly params?: readonly string[];
  readonly strategy?: StrategyName;
  /** Preemption bound (dpor); -1 for none. Default DEFAULTS.preemptions. */
  readonly preemptions?: number;
  /** Fault budget per run. Default DEFAULTS.faults. */
  readonly faults?: number;
  /** Executions budget (default: none for dpor, DEFAULTS.samplingBudget for pct/random). */
  readonly budget?: number | undefined;
  readonly timeLimitS?: number | undefined;
  readonly seed?: number;
  /** Worker threads (default: os.availableParallelism()). */
  readonly jobs?: number;
  /** PCT depth (default DEFAULTS.depth). */
  readonly depth?: number;
  /** Shrink findings (default true). */
  readonly shrink?: boolean;
  readonly onProgress?: (p: Progress) => void;
  /** The stop flag (Ctrl-C) of the thread that asked (a `kernsim check` cell run in a worker thread). */
  readonly stop?: SharedArrayBuffer;
  /** DPOR executions per subtree task before it splits (default run/pool.ts SEQ_PHASE; for tests). */
  readonly seqPhase?: number;
  /**
   * Stop a run that goes this long without a scheduling point and report it (run/watchdog.ts):
   * the exploration then runs in worker threads, also for jobs 1. Default: none (the command's
   * default is WATCHDOG_MS_DEFAULT). Not for a defineScenario() object (it runs on this thread).
   */
  readonly watchdogMs?: number | undefined;
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min))
    throw new UsageError(`${name} must be an integer >= ${min}`);
}

/** Refuses a request with bad numbers or an unknown strategy (one line). */
export function checkRequest(req: ExplorationRequest): void {
  checkInt('--budget', req.budget, 1);
  checkInt('--faults', req.faults, 0);
  checkInt('--preemptions', req.preemptions, -1);
  checkInt('--jobs', req.jobs, 1);
  checkInt('--depth', req.depth, 1);
  checkInt('--seed', req.seed, 0);
  checkInt('--watchdog-ms', req.watchdogMs, 1);
  if (req.timeLimitS !== undefined && !(req.timeLimitS > 0))
    throw new UsageError('--time must be a positive number of seconds');
  if (req.strategy !== undefined && !STRATEGIES.includes(req.strategy))
    throw new UsageError(`unknown strategy '${req.strategy}' (${STRATEGIES.join(', ')})`);
}

export function incompleteReason(
  r: Pick<PoolResult, 'complete' | 'stoppedBy' | 'executions' | 'elapsedMs' | 'cut'>,
  strategy: StrategyName,
): string | undefined {
  if (r.complete) return undefined;
  switch (r.stoppedBy) {
    case 'budget':
      return `stopped by --budget after ${r.executions} executions`;
    case 'time':
      return `stopped by --time after ${(r.elapsedMs / 1000).toFixed(1)} s (${r.executions} executions)`;
    case 'nondeterminism':
      return 'stopped: the model is not deterministic';
    case 'interrupted':
      return `interrupted after ${r.executions} executions (${(r.elapsedMs / 1000).toFixed(1)} s)`;
    case 'watchdog':
      return 'a run was stopped by the watchdog (a task ran without a scheduling point): the rest of its part of the space was not explored';
    case 'cut-runs':
      return `${r.cut} run${r.cut === 1 ? '' : 's'} reached the step limit without ending (neither a livelock nor an RCU stall: raise the scenario's maxSteps)`;
    default:
      return `${strategy} is a sampling strategy: it never exhausts the space`;
  }
}

/** The token of a scenario's run without preemptions or faults (its choices are filled in on replay). */
export async function baseRunToken(
  scenario: string | Scenario,
  variant: string | undefined,
  config: string | undefined,
  sets: readonly string[],
  params: readonly string[] = [],
): Promise<string> {
  return tokenFor(await specFor(scenario, variant, config, sets, params), [], [], -1, '');
}

/**
 * Runs one exploration and returns its result object (throws UsageError on bad input). `shared`:
 * an executor several explorations run their tasks on at once (`kernsim check`'s cells: one pool
 * for the whole matrix, run/matrix.ts cellRunner); it is not closed here, and its thread count and
 * watchdog stand for the request's `jobs` and `watchdogMs`.
 */
export async function runExploration(req: ExplorationRequest, shared?: Executor): Promise<ResultJson> {
  adoptStop(req.stop);
  checkRequest(req);
  const search = searchOptions(req);
  const { strategy } = search;
  const spec = await specFor(req.scenario, req.variant, req.config, req.sets ?? [], req.params ?? []);
  // A defineScenario() object can only run on this thread (worker threads load a scenario by name or path).
  const inMemory = typeof req.scenario !== 'string';
  const own = inMemory || shared === undefined;
  const jobs = inMemory ? 1 : (shared?.jobs ?? req.jobs ?? availableParallelism());
  const watchdogMs = inMemory ? undefined : req.watchdogMs;
  const budget = req.budget ?? (strategy === 'dpor' ? undefined : DEFAULTS.samplingBudget);
  const ex = own ? makeExecutor({ jobs, watchdogMs, spec }) : shared;
  try {
    // The partitioned exploration (on this thread for jobs 1 without a watchdog), whose results
    // do not depend on N.
    const r = await exploreParallel(
      spec,
      { ...search, budget, timeLimitS: req.timeLimitS, onProgress: req.onProgress, seqPhase: req.seqPhase },
      ex,
    );
    return await finishExploration(spec, req, r, jobs, ex);
  } finally {
    if (own) await ex.close();
  }
}

/**
 * An exploration's result object from what was explored: the finishing job (the determinism check,
 * the findings' tokens, shrinking) run on `ex`, then the result fields. runExploration ends here,
 * and so do src/fleet/'s sharded, merged and fleet explorations, so their output is the same.
 */
export async function finishExploration(
  spec: RunSpec,
  req: ExplorationRequest,
  explored: PoolResult,
  jobs: number,
  ex: Executor,
): Promise<ResultJson> {
  const search = searchOptions(req);
  const { strategy } = search;
  const watchdogMs = ex.watchdogMs;
  let r = explored;
  // Every finding's run and a seeded sample of runs, each run twice, step by step; then the
  // findings' tokens, shrunk (interrupted: not shrunk; the user asked to stop).
  const interrupted = r.stoppedBy === 'interrupted';
  const fin = await ex.run({
    kind: 'finish',
    spec: workerSpec(spec),
    findings: r.findings,
    seed: search.seed,
    faults: search.faults,
    determinism: !interrupted && r.stoppedBy !== 'nondeterminism',
    shrink: (req.shrink ?? DEFAULTS.shrink) && !interrupted,
    executions: r.executions,
  });
  let findings: readonly FindingJson[];
  if (fin.ok) {
    findings = fin.ok.findings;
    if (fin.ok.nondeterministic) r = { ...r, complete: false, stoppedBy: 'nondeterminism' };
  } else {
    // The finishing work's runs hung (a determinism re-run or a shrinking step): the findings
    // unshrunk, and the hang.
    const all = [
      ...r.findings,
      { ...hangFinding(spec.scenario.name, fin.hang, watchdogMs ?? 0), execution: r.executions },
    ];
    findings = findingsJson(spec, all, false).filter((f, i, xs) => xs.findIndex((g) => g.title === f.title) === i);
    r = { ...r, complete: false, stoppedBy: r.stoppedBy ?? 'watchdog' };
  }
  const reason = incompleteReason(r, strategy);
  return {
    scenario: spec.scenarioRef,
    variant: spec.variant?.name ?? null,
    config: spec.configName,
    strategy,
    executions: r.executions,
    complete: r.complete,
    ...(reason !== undefined ? { incomplete_reason: reason } : {}),
    bounds: {
      preemptions: strategy === 'dpor' && search.preemptions >= 0 ? search.preemptions : null,
      faults: search.faults,
    },
    steps: r.steps,
    abandoned: r.abandoned,
    cut_runs: r.cut,
    elapsed_ms: Math.round(r.elapsedMs),
    jobs,
    stats: r.stats,
    findings,
  };
}
