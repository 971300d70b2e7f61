/**
 * One exploration of scenario x variant x config, as a JSON-ready result
 * object (the schema `kernsim explore --json` and `kernsim check` print:
 * report/json.ts). This is where explore/ meets the run layer: explore/ only
 * ever sees a `(strategy) => RunResult` function.
 */
import { availableParallelism } from 'node:os';
import type { ExploreResult, Finding, Progress } from '../explore/explorer.js';
import { shrink } from '../explore/shrink.js';
import type { FindingJson, ResultJson } from '../report/json.js';
import { UsageError } from '../scenarios/index.js';
import { checkDeterminism } from './determinism.js';
import { DEFAULTS, STRATEGIES, type StrategyName, searchOptions } from './options.js';
import { exploreParallel } from './pool.js';
import { runnerFor } from './session.js';
import { type RunSpec, specFor } from './spec.js';
import { adoptStop } from './stop.js';
import { tokenFor } from './tokens.js';

export type { FindingJson, JsonOutput, ResultJson } from '../report/json.js';
export type { StrategyName } from './options.js';

export interface ExplorationRequest {
  readonly scenario: string;
  readonly variant?: string | undefined;
  readonly config?: string | undefined;
  readonly sets?: readonly string[];
  readonly strategy?: StrategyName;
  /** Preemption bound (dpor); -1 for none. Default DEFAULTS.preemptions. */
  readonly preemptions?: number;
  /** Fault budget per run. Default DEFAULTS.faults. */
  readonly faults?: number;
  /** Executions budget (default: none for dpor, DEFAULTS.samplingBudget for pct/random). */
  readonly budget?: number | undefined;
  readonly timeSeconds?: number | undefined;
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
  if (req.timeSeconds !== undefined && !(req.timeSeconds > 0))
    throw new UsageError('--time must be a positive number of seconds');
  if (req.strategy !== undefined && !STRATEGIES.includes(req.strategy))
    throw new UsageError(`unknown strategy '${req.strategy}' (${STRATEGIES.join(', ')})`);
}

export function incompleteReason(r: ExploreResult, strategy: StrategyName): string | undefined {
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
    case 'cut-runs':
      return `${r.cut} run${r.cut === 1 ? '' : 's'} reached the step limit without ending (neither a livelock nor an RCU stall: raise the scenario's maxSteps)`;
    default:
      return `${strategy} is a sampling strategy: it never exhausts the space`;
  }
}

/** The token of a scenario's run without preemptions or faults (its choices are filled in on replay). */
export async function baseRunToken(
  scenario: string,
  variant: string | undefined,
  config: string | undefined,
  sets: readonly string[],
): Promise<string> {
  return tokenFor(await specFor(scenario, variant, config, sets), [], [], -1, '');
}

/** Turns explored findings into JSON findings (with tokens and, unless disabled, shrunk tokens). */
export function findingsJson(spec: RunSpec, fs: readonly Finding[], doShrink: boolean): FindingJson[] {
  const fresh = () => runnerFor(spec);
  return fs.map((f) => {
    const token = tokenFor(spec, f.choices, f.prelude, f.reportIndex, f.digest);
    let shrunkToken = token;
    let sh = { preemptions: f.preemptions, faults: f.faults, steps: f.steps };
    if (
      doShrink &&
      f.reportIndex >= 0 &&
      f.prelude.length === 0 &&
      (f.preemptions > 0 || f.faults > 0 || f.steps > 1)
    ) {
      const s = shrink(f, fresh);
      const better = s && (s.preemptions - f.preemptions || s.faults - f.faults || s.steps - f.steps) < 0 ? s : null;
      if (better) {
        shrunkToken = tokenFor(spec, better.choices, [], better.reportIndex, better.digest);
        sh = { preemptions: better.preemptions, faults: better.faults, steps: better.steps };
      }
    }
    return {
      title: f.title,
      kind: f.kind,
      token,
      report: f.report.text,
      shrunk_token: shrunkToken,
      execution: f.execution,
      preemptions: f.preemptions,
      faults: f.faults,
      steps: f.steps,
      shrunk: sh,
    };
  });
}

/** Runs one exploration and returns its result object (throws UsageError on bad input). */
export async function runExploration(req: ExplorationRequest): Promise<ResultJson> {
  adoptStop(req.stop);
  checkRequest(req);
  const search = searchOptions(req);
  const { strategy } = search;
  const spec = await specFor(req.scenario, req.variant, req.config, req.sets ?? []);
  // A user scenario file explores on this thread: the pool's worker threads cannot import it (their
  // `--import tsx` hooks do not reach a file outside the checkout: "Unknown file extension .ts").
  const jobs = spec.file ? 1 : (req.jobs ?? availableParallelism());
  const budget = req.budget ?? (strategy === 'dpor' ? undefined : DEFAULTS.samplingBudget);
  // The partitioned exploration (inline for jobs = 1), whose results do not depend on N.
  const r = await exploreParallel(
    spec,
    {
      ...search,
      budget,
      timeSeconds: req.timeSeconds,
      onProgress: req.onProgress,
      seqPhase: req.seqPhase,
    },
    jobs,
  );
  return resultJson(spec, req, r, jobs);
}

/**
 * An exploration's result object from what was explored: the determinism check, tokens, shrinking
 * (also used by src/fleet/ to finish a sharded or fleet exploration exactly as one machine does).
 */
export function resultJson(spec: RunSpec, req: ExplorationRequest, explored: ExploreResult, jobs: number): ResultJson {
  let r = explored;
  const search = searchOptions(req);
  const { strategy } = search;
  if (r.stoppedBy !== 'interrupted' && r.stoppedBy !== 'nondeterminism') {
    // Every finding's run and a seeded sample of runs, each run twice, step by step.
    const nd = checkDeterminism(spec, r.findings, { seed: search.seed, faults: search.faults });
    if (nd)
      r = {
        ...r,
        findings: [...r.findings, { ...nd, execution: r.executions }],
        complete: false,
        stoppedBy: 'nondeterminism',
      };
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
    // Interrupted: no shrinking (the user asked to stop; the tokens replay as they are).
    findings: findingsJson(spec, r.findings, (req.shrink ?? DEFAULTS.shrink) && r.stoppedBy !== 'interrupted'),
  };
}
