/**
 * One exploration of scenario x variant x config, as a JSON-ready result
 * object (the schema `kernsim explore --json` and `kernsim check` print), and
 * the replay of a token. This is where explore/ meets the harness: explore/
 * only ever sees a `(strategy) => RunResult` function.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { type RunFn, StopRun } from '../explore/common.js';
import { Dpor } from '../explore/dpor.js';
import { type ExploreResult, type Finding, type Progress, explore, replayRun } from '../explore/explorer.js';
import { PctSearch } from '../explore/pct.js';
import { RandomSearch } from '../explore/random.js';
import type { SearchStrategy } from '../explore/search.js';
import { shrink } from '../explore/shrink.js';
import { type TokenData, TokenError, decodeToken, encodeToken } from '../report/token.js';
import { UsageError } from '../scenarios/index.js';
import { type LoadedScenario, loadAnyScenario, loadScenarioFile, looksLikePath } from './load-scenario.js';
import type { Report, Strategy } from '../sim/index.js';
import { type RunSpec, createSession, execute, resolveSpec } from './harness.js';
// A static import (parallel.ts imports this module too; both only use each other inside functions):
// dynamic imports of .js specifiers are not mapped to .ts inside tsx-loaded worker threads.
import { exploreParallel } from './parallel.js';
import { checkDeterminism } from './determinism.js';
import { adoptStop } from './interrupt.js';
import '../scenarios/builtin.js';

export type StrategyName = 'dpor' | 'pct' | 'random';

export interface ExplorationRequest {
  readonly scenario: string;
  readonly variant?: string | undefined;
  readonly config?: string | undefined;
  readonly sets?: readonly string[];
  readonly strategy?: StrategyName;
  /** Preemption bound (dpor); -1 for none. Default 2. */
  readonly preemptions?: number;
  /** Fault budget per run. Default 1. */
  readonly faults?: number;
  /** Executions budget (default: none for dpor, 1000 for pct/random). */
  readonly budget?: number | undefined;
  readonly timeSeconds?: number | undefined;
  readonly seed?: number;
  /** Worker threads (default: os.availableParallelism()). */
  readonly jobs?: number;
  /** PCT depth (default 2). */
  readonly depth?: number;
  /** Shrink findings (default true). */
  readonly shrink?: boolean;
  readonly onProgress?: (p: Progress) => void;
  /** The stop flag (Ctrl-C) of the thread that asked (a `kernsim check` cell run in a worker thread). */
  readonly stop?: SharedArrayBuffer;
  /** DPOR executions run sequentially before the space is split into subtree tasks (default 200; for tests). */
  readonly seqPhase?: number;
}

export interface FindingJson {
  readonly title: string;
  readonly kind: string;
  readonly token: string;
  readonly report: string;
  readonly shrunk_token: string;
  readonly execution: number;
  readonly preemptions: number;
  readonly faults: number;
  readonly steps: number;
  readonly shrunk: { readonly preemptions: number; readonly faults: number; readonly steps: number };
}

export interface ResultJson {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
  readonly strategy: StrategyName;
  readonly executions: number;
  readonly complete: boolean;
  /** Why an incomplete exploration stopped (absent when complete). */
  readonly incomplete_reason?: string;
  readonly bounds: { readonly preemptions: number | null; readonly faults: number };
  readonly steps: number;
  /** Runs abandoned as redundant (sleep-set blocked) or over the bound. */
  readonly abandoned: number;
  /** Runs cut at the scenario's step limit that no liveness check explained (the exploration is then incomplete). */
  readonly cut_runs: number;
  readonly elapsed_ms: number;
  readonly jobs: number;
  readonly stats: Record<string, number | string>;
  readonly findings: readonly FindingJson[];
}

export interface JsonOutput {
  readonly version: 1;
  readonly results: readonly ResultJson[];
}

export const DEFAULT_PREEMPTIONS = 2;
export const DEFAULT_FAULTS = 1;
export const DEFAULT_SAMPLING_BUDGET = 1000;

/** A run function over a fresh session (fresh cross-run checker state). */
export function runnerFor(spec: RunSpec): RunFn {
  const session = createSession(spec);
  return (s: Strategy) => execute(session, s);
}

export async function specFor(
  scenario: string,
  variant: string | undefined,
  config: string | undefined,
  sets: readonly string[],
): Promise<RunSpec> {
  const sc = await loadAnyScenario(scenario);
  return resolveSpec(sc.scenario, scenario, variant, config, sets, sc.file);
}

/**
 * The RunSpec of a token. A token of a user scenario names an absolute path and the file's
 * content hash: the file is loaded only when it is a regular scenario file with that content;
 * `scenarioFile` (replay --scenario FILE) loads the user's file instead.
 */
export async function specForToken(t: TokenData, scenarioFile?: string): Promise<RunSpec> {
  const sets = Object.entries(t.overrides).map(([k, v]) => `${k}=${String(v)}`);
  let loaded: LoadedScenario;
  if (scenarioFile !== undefined) {
    loaded = looksLikePath(scenarioFile) ? await loadScenarioFile(scenarioFile) : await loadAnyScenario(scenarioFile);
  } else if (t.scenarioHash === undefined) {
    if (looksLikePath(t.scenario))
      throw new TokenError(
        `the token names the scenario file ${t.scenario} without its content hash, so it is not loaded; give the scenario with --scenario FILE`,
      );
    loaded = await loadAnyScenario(t.scenario);
  } else {
    if (!looksLikePath(t.scenario))
      throw new TokenError(`malformed token: a content hash for the built-in scenario '${t.scenario}'`);
    if (!isAbsolute(t.scenario))
      throw new TokenError(
        `the token names the scenario file ${t.scenario} by a relative path, so it is not loaded; give the scenario with --scenario FILE`,
      );
    try {
      loaded = await loadScenarioFile(t.scenario, t.scenario, t.scenarioHash);
    } catch (e) {
      if (e instanceof UsageError && !e.message.includes('--scenario FILE'))
        throw new UsageError(`not loading the token's scenario: ${e.message}; give the scenario with --scenario FILE`);
      throw e;
    }
  }
  return resolveSpec(loaded.scenario, scenarioFile ?? t.scenario, t.variant, t.config, sets, loaded.file);
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min))
    throw new UsageError(`${name} must be an integer >= ${min}`);
}

export function makeSearch(req: ExplorationRequest, part?: { first: number; count: number }): SearchStrategy {
  const strategy = req.strategy ?? 'dpor';
  const faults = req.faults ?? DEFAULT_FAULTS;
  const seed = req.seed ?? 1;
  if (strategy === 'dpor') return new Dpor({ preemptions: req.preemptions ?? DEFAULT_PREEMPTIONS, faults });
  if (strategy === 'random') return new RandomSearch({ seed, faults, ...(part ?? {}) });
  return new PctSearch({ seed, faults, depth: req.depth ?? 2, ...(part ?? {}) });
}

export function incompleteReason(r: ExploreResult, req: ExplorationRequest): string | undefined {
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
      return `${req.strategy ?? 'dpor'} is a sampling strategy: it never exhausts the space`;
  }
}

function tokenFor(
  spec: RunSpec,
  choices: readonly number[],
  prelude: Finding['prelude'],
  idx: number,
  digest: string,
): string {
  return encodeToken({
    scenario: spec.file ? spec.file.path : spec.scenarioRef,
    scenarioHash: spec.file?.hash,
    variant: spec.variant?.name,
    config: spec.configName,
    overrides: spec.overrides,
    prelude,
    choices,
    reportIndex: idx,
    digest: digest || '0000000000000000',
  });
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
  checkInt('--budget', req.budget, 1);
  checkInt('--faults', req.faults, 0);
  checkInt('--preemptions', req.preemptions, -1);
  checkInt('--jobs', req.jobs, 1);
  checkInt('--depth', req.depth, 1);
  checkInt('--seed', req.seed, 0);
  if (req.timeSeconds !== undefined && !(req.timeSeconds > 0))
    throw new UsageError('--time must be a positive number of seconds');
  const strategy = req.strategy ?? 'dpor';
  if (!['dpor', 'pct', 'random'].includes(strategy))
    throw new UsageError(`unknown strategy '${strategy}' (dpor, pct, random)`);
  const spec = await specFor(req.scenario, req.variant, req.config, req.sets ?? []);
  // A user scenario file explores on this thread: the pool's worker threads cannot import it (their
  // `--import tsx` hooks do not reach a file outside the checkout: "Unknown file extension .ts").
  const jobs = spec.file ? 1 : (req.jobs ?? availableParallelism());
  const budget = req.budget ?? (strategy === 'dpor' ? undefined : DEFAULT_SAMPLING_BUDGET);
  let r: ExploreResult;
  if (jobs > 0) {
    // The partitioned exploration (inline for jobs = 1), whose results do not depend on N.
    r = await exploreParallel(spec, { ...req, strategy, budget }, jobs);
  } else {
    r = explore(makeSearch({ ...req, strategy }), runnerFor(spec), {
      scenario: spec.scenario.name,
      ...(budget !== undefined ? { budget } : {}),
      ...(req.timeSeconds !== undefined ? { timeMs: req.timeSeconds * 1000 } : {}),
      fresh: () => runnerFor(spec),
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    });
  }
  if (r.stoppedBy !== 'interrupted' && r.stoppedBy !== 'nondeterminism') {
    // Every finding's run and a seeded sample of runs, each run twice, step by step.
    const nd = checkDeterminism(spec, r.findings, { seed: req.seed ?? 1, faults: req.faults ?? DEFAULT_FAULTS });
    if (nd)
      r = {
        ...r,
        findings: [...r.findings, { ...nd, execution: r.executions }],
        complete: false,
        stoppedBy: 'nondeterminism',
      };
  }
  const reason = incompleteReason(r, { ...req, strategy });
  const pre = req.preemptions ?? DEFAULT_PREEMPTIONS;
  return {
    scenario: spec.scenarioRef,
    variant: spec.variant?.name ?? null,
    config: spec.configName,
    strategy,
    executions: r.executions,
    complete: r.complete,
    ...(reason !== undefined ? { incomplete_reason: reason } : {}),
    bounds: { preemptions: strategy === 'dpor' && pre >= 0 ? pre : null, faults: req.faults ?? DEFAULT_FAULTS },
    steps: r.steps,
    abandoned: r.abandoned,
    cut_runs: r.cut,
    elapsed_ms: Math.round(r.elapsedMs),
    jobs,
    stats: r.stats,
    // Interrupted: no shrinking (the user asked to stop; the tokens replay as they are).
    findings: findingsJson(spec, r.findings, (req.shrink ?? true) && r.stoppedBy !== 'interrupted'),
  };
}

export interface ReplayOutcome {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
  readonly report: Report | null;
  readonly steps: number;
  readonly end: string;
  readonly digest: string;
}

/** Replays a token; throws TokenError (malformed / does not fit) or UsageError. */
export async function replayToken(token: string, scenarioFile?: string): Promise<ReplayOutcome> {
  const t = decodeToken(token);
  const spec = await specForToken(t, scenarioFile);
  let out: ReturnType<typeof replayRun>;
  try {
    out = replayRun(runnerFor(spec), t.choices, t.prelude);
  } catch (e) {
    if (e instanceof StopRun) throw new TokenError(`token does not fit the current model: ${e.message}`);
    throw e;
  }
  if (out.mismatch || !out.result)
    throw new TokenError(`token does not fit the current model: ${out.mismatch?.message ?? 'no run'}`);
  const r = out.result;
  if (r.digest !== t.digest)
    throw new TokenError(
      `token does not fit the current model: the run's digest is ${r.digest}, the token was recorded with ${t.digest} (the model or kernsim changed)`,
    );
  const report = t.reportIndex >= 0 ? (r.reports[t.reportIndex] ?? null) : null;
  if (t.reportIndex >= 0 && !report)
    throw new TokenError(`token does not fit the current model: the run has no report #${t.reportIndex}`);
  return {
    scenario: spec.scenarioRef,
    variant: spec.variant?.name ?? null,
    config: spec.configName,
    report,
    steps: r.steps,
    end: r.end,
    digest: r.digest,
  };
}

export { TokenError };
