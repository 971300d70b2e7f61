/**
 * The pool's worker (piscina): explores one coarse task (a DPOR subtree or a range of random/PCT
 * runs) on its own session and returns plain data; also an exploration's finishing work (the
 * determinism check and shrinking) and a replay, so that every run of the model can happen on a
 * thread the watchdog can stop (run/watchdog.ts). Runs beat on the task's heartbeat.
 */
import { Dpor, type DporRoot, type Proposal, type TaskNodes } from '../explore/dpor.js';
import type { Finding } from '../explore/explorer.js';
import type { FindingJson } from '../report/json.js';
import { checkDeterminism } from './determinism.js';
import { findingsJson } from './findings.js';
import { adoptHeartbeat } from './heartbeat.js';
import type { SearchOptions } from './options.js';
import { makeSearch } from './strategy.js';
import { runnerFor } from './session.js';
import { type RunSpec, specFor } from './spec.js';
import { type ReplayOutcome, replayToken } from './replay.js';
import { adoptStop } from './stop.js';
import { exploreYielding } from './yielding.js';

export interface WorkerSpec {
  readonly scenario: string;
  readonly variant: string | undefined;
  readonly config: string | undefined;
  readonly sets: readonly string[];
  readonly params?: readonly string[];
  /** specKey() of the spec it stands for: the thread checks that it resolves the same one. */
  readonly key?: string;
}

/**
 * What a spec resolved to, as a string: everything in it but the scenario object and how the
 * scenario was named (so a field added to RunSpec, e.g. scenario parameters, is in it too).
 */
export function specKey(spec: RunSpec): string {
  const { scenario, scenarioRef, file, variant, ...rest } = spec;
  const plain = { ...rest, scenario: scenario.name, hash: file?.hash ?? null, variant: variant?.name ?? null };
  return JSON.stringify(plain, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
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
  readonly deadlineMs?: number;
  /** The stop flag (Ctrl-C) of the thread that asked for the task (run/stop.ts). */
  readonly stop?: SharedArrayBuffer;
}

/** How a worker thread loads the spec again. */
export function workerSpec(spec: RunSpec): WorkerSpec {
  return {
    scenario: spec.file ? spec.file.path : spec.scenarioRef,
    variant: spec.variant?.name,
    config: spec.configName,
    sets: Object.entries(spec.overrides).map(([k, v]) => `${k}=${String(v)}`),
    params: Object.entries(spec.paramOverrides).map(([k, v]) => `${k}=${String(v)}`),
    key: specKey(spec),
  };
}

/** After the exploration: the determinism check, then the findings as JSON (shrunk unless not). */
export interface FinishJob {
  readonly kind: 'finish';
  readonly spec: WorkerSpec;
  readonly findings: readonly Finding[];
  readonly seed: number;
  readonly faults: number;
  /** Run the determinism check (not after an interruption or a non-determinism finding). */
  readonly determinism: boolean;
  readonly shrink: boolean;
  /** The execution number a non-determinism finding gets. */
  readonly executions: number;
}

export interface FinishResult {
  readonly nondeterministic: boolean;
  readonly findings: readonly FindingJson[];
}

export interface ReplayJob {
  readonly kind: 'replay';
  readonly token: string;
  readonly scenarioFile?: string | undefined;
}

/** Anything the pool runs: an exploration task (no kind), finishing work, or a replay. */
export type Job = (WorkerTask & { readonly kind?: undefined }) | FinishJob | ReplayJob;

/** What a job sends to its thread: the job, and the heartbeat the watchdog watches. */
export type Posted = Job & { readonly heartbeat?: SharedArrayBuffer };

export type JobResult<J extends Job> = J extends FinishJob
  ? FinishResult
  : J extends ReplayJob
    ? ReplayOutcome
    : WorkerResult;

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
  /** dpor: the nodes the split or the finished root describe, for the coordinator (null: none). */
  readonly nodes: TaskNodes | null;
  /** dpor: stopped by `budget` (not split). */
  readonly budgetStopped: boolean;
  readonly stats: Record<string, number | string>;
}

/** Explores one task; `resolved`: the spec when the task runs on the thread that resolved it. */
export async function runTask(t: WorkerTask, resolved?: RunSpec): Promise<WorkerResult> {
  adoptStop(t.stop);
  const spec = await specOf(t.spec, resolved);
  const search = makeSearch(t, { root: t.root, splitting: true, first: t.first ?? 0, count: t.count ?? 1 });
  const dpor = search instanceof Dpor ? search : null;
  const limit = t.budget ?? t.split;
  const first = t.root === undefined && (t.first ?? 0) === 0;
  // In slices with a turn of the event loop between them: Ctrl-C's handler runs (run/yielding.ts).
  const r = await exploreYielding(search, runnerFor(spec), {
    scenario: spec.scenario.name,
    // The first task replays the exploration's first run and its own first finding of each title
    // (a model that is not deterministic is then stopped early). Later tasks replay nothing: the
    // exploration's finishing job replays every finding it reports twice, step by step
    // (run/determinism.ts), which a replay here would only repeat (5-8% of a task's runs).
    ...(first ? { fresh: () => runnerFor(spec) } : {}),
    checkFirst: first,
    ...(limit !== undefined ? { budget: limit } : {}),
    ...(t.deadlineMs !== undefined ? { timeMs: Math.max(0, t.deadlineMs - Date.now()) } : {}),
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
    nodes: split?.nodes ?? finished ?? null,
    budgetStopped: t.budget !== undefined && r.stoppedBy === 'budget',
    stats: r.stats,
  };
}

/** The spec of a job: the resolved one on its own thread, else resolved again (and checked to be the same). */
async function specOf(w: WorkerSpec, resolved: RunSpec | undefined): Promise<RunSpec> {
  if (resolved) return resolved;
  const spec = await specFor(w.scenario, w.variant, w.config, w.sets, w.params ?? []);
  if (w.key !== undefined && specKey(spec) !== w.key)
    throw new Error(
      `kernsim: a worker thread resolved a different spec than its caller (workerSpec() does not carry everything a RunSpec holds):\n  caller: ${w.key}\n  worker: ${specKey(spec)}`,
    );
  return spec;
}

/** The finishing work of an exploration (see FinishJob). */
export async function runFinish(j: FinishJob, resolved?: RunSpec): Promise<FinishResult> {
  const spec = await specOf(j.spec, resolved);
  const nd = j.determinism ? checkDeterminism(spec, j.findings, { seed: j.seed, faults: j.faults }) : null;
  const all = nd ? [...j.findings, { ...nd, execution: j.executions }] : j.findings;
  return { nondeterministic: nd !== null, findings: findingsJson(spec, all, j.shrink) };
}

/** Runs a job on this thread; `resolved`: the spec when it is the thread that resolved it. */
export async function runJob(j: Posted, resolved?: RunSpec): Promise<unknown> {
  const restore = adoptHeartbeat(j.heartbeat);
  try {
    if (j.kind === 'finish') return await runFinish(j, resolved);
    if (j.kind === 'replay') return await replayToken(j.token, j.scenarioFile);
    return await runTask(j, resolved);
  } finally {
    restore();
  }
}

export default function runPosted(j: Posted): Promise<unknown> {
  return runJob(j);
}
