/**
 * One exploration spread over shards or a fleet: its request as plain data,
 * the task every shard/worker runs (run/worker.ts's runTask, the pool's
 * task), and the driver that walks the task tree (run/plan.ts) with some way of
 * getting a task's result: run it here, look it up in shard files, or have a
 * fleet worker run it. Whatever gets the results, the outcome is added up in
 * task-id order and finished (determinism check, tokens, shrinking) exactly as
 * `kernsim explore` does on one machine.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { CHUNK, SEQ_PHASE } from '../run/pool.js';
import type { RunSpec } from '../run/spec.js';
import type { ResultJson } from '../report/json.js';
import { type ExplorationRequest, finishExploration } from '../run/exploration.js';
import { makeExecutor } from '../run/executor.js';
import { DEFAULTS } from '../run/options.js';
import { specFor } from '../run/spec.js';
import type { WorkerSpec, WorkerTask } from '../run/worker.js';
import { UsageError } from '../scenarios/index.js';
import type { ExploreSpecJson } from './format.js';
import {
  DporPlan,
  type GetResult,
  type StopReason,
  type TaskDone,
  type TaskRef,
  chunkTasks,
  totalResult,
  walkPlan,
} from '../run/plan.js';

export const KERNSIM_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** The request as plain data, defaults filled in (refuses what cannot be spread). */
export function exploreSpecJson(req: ExplorationRequest, spec: RunSpec): ExploreSpecJson {
  const strategy = req.strategy ?? 'dpor';
  if (typeof req.scenario !== 'string')
    throw new UsageError('a defineScenario() object runs on one thread: it is not spread over shards or a fleet');
  if (strategy === 'dpor' && req.budget !== undefined)
    throw new UsageError(
      '--budget with dpor explores one task (its first N executions), which is not spread over shards or a fleet: drop --budget, or use pct/random',
    );
  return {
    scenario: req.scenario,
    variant: req.variant ?? null,
    config: req.config ?? null,
    sets: [...(req.sets ?? [])],
    params: [...(req.params ?? [])],
    strategy,
    preemptions: req.preemptions ?? DEFAULTS.preemptions,
    faults: req.faults ?? DEFAULTS.faults,
    budget: strategy === 'dpor' ? null : (req.budget ?? DEFAULTS.samplingBudget),
    time_s: req.timeLimitS ?? null,
    watchdog_ms: req.watchdogMs ?? null,
    seed: req.seed ?? 1,
    depth: req.depth ?? 2,
    shrink: req.shrink ?? true,
    split: req.seqPhase ?? SEQ_PHASE,
    file_hash: spec.file?.hash ?? null,
  };
}

/** What names the spec (scenario, variant, config, --set, --param), as a worker thread resolves it. */
function workerSpecOf(s: ExploreSpecJson): WorkerSpec {
  return {
    scenario: s.scenario,
    variant: s.variant ?? undefined,
    config: s.config ?? undefined,
    sets: s.sets,
    params: s.params,
  };
}

/** The request back (for specFor and finishExploration). */
export function requestOf(s: ExploreSpecJson): ExplorationRequest {
  return {
    ...workerSpecOf(s),
    strategy: s.strategy,
    preemptions: s.preemptions,
    faults: s.faults,
    budget: s.budget ?? undefined,
    timeLimitS: s.time_s ?? undefined,
    watchdogMs: s.watchdog_ms ?? undefined,
    seed: s.seed,
    depth: s.depth,
    shrink: s.shrink,
    seqPhase: s.split,
  };
}

/** Loads the spec a request names, checking a user file is the one the run was started with. */
export async function specOf(s: ExploreSpecJson): Promise<RunSpec> {
  const spec = await specFor(s.scenario, s.variant ?? undefined, s.config ?? undefined, s.sets, s.params);
  if ((spec.file?.hash ?? null) !== s.file_hash)
    throw new UsageError(
      `the scenario file ${s.scenario} is not the one this run was started with (its content differs)`,
    );
  return spec;
}

/** The task of one tree node, as plain data (no stop buffer: what a fleet job carries). */
export function taskFor(s: ExploreSpecJson, ref: TaskRef, deadline?: number): WorkerTask {
  return {
    spec: workerSpecOf(s),
    strategy: s.strategy,
    preemptions: s.preemptions,
    faults: s.faults,
    seed: s.seed,
    depth: s.depth,
    ...(ref.root ? { root: ref.root } : {}),
    ...(s.strategy === 'dpor' ? { split: s.split } : { first: ref.first ?? 0, count: ref.count ?? 1 }),
    ...(deadline !== undefined ? { deadlineMs: deadline } : {}),
  };
}

export interface Walked {
  readonly results: readonly TaskDone[];
  readonly stoppedBy: StopReason;
  /** Whether every task of the tree has its result. */
  readonly finished: boolean;
}

/**
 * Walks the task tree: every task launched at once, its subtrees as soon as it is in (a DPOR round
 * waits for the round's last task). `halted()` is asked after each result (Ctrl-C, a lost server).
 */
export async function walk(s: ExploreSpecJson, get: GetResult, halted?: () => StopReason): Promise<Walked> {
  if (s.strategy !== 'dpor') {
    const tasks = chunkTasks(s.budget ?? DEFAULTS.samplingBudget, CHUNK);
    const results: TaskDone[] = [];
    let stoppedBy: StopReason = null;
    let skipped = false;
    await Promise.all(
      tasks.map(async (ref) => {
        if (stoppedBy !== null) return;
        const r = await get(ref);
        if (r === null) {
          skipped = true;
          return;
        }
        results.push({ ref, result: r });
        if (r.nondeterministic) stoppedBy = 'nondeterminism';
        else if (r.timedOut && stoppedBy === null) stoppedBy = 'time';
        stoppedBy = stoppedBy ?? halted?.() ?? null;
      }),
    );
    return { results, stoppedBy, finished: !skipped && results.length === tasks.length };
  }
  const plan = new DporPlan({ preemptions: s.preemptions, faults: s.faults });
  const skipped = await walkPlan(plan, get, halted);
  return { results: plan.results, stoppedBy: plan.stoppedBy, finished: !skipped && plan.finished };
}

/** The exploration's result object from all its task results, as `kernsim explore` prints it. */
export async function finishExplore(
  s: ExploreSpecJson,
  w: Walked,
  elapsedMs: number,
  jobs: number,
): Promise<ResultJson> {
  const spec = await specOf(s);
  const r = totalResult(s.strategy, w.results, w.stoppedBy, elapsedMs);
  // The finishing job as runExploration runs it (on a watched thread with --watchdog-ms).
  const ex = makeExecutor({ jobs: 1, watchdogMs: s.watchdog_ms ?? undefined, spec });
  try {
    return await finishExploration(spec, requestOf(s), r, jobs, ex);
  } finally {
    await ex.close();
  }
}

/** `jobs` as the single-machine run reports it (a scenario named by a string: any file too). */
export function jobsOf(jobs: number | undefined): number {
  return jobs ?? availableParallelism();
}
