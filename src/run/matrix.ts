/**
 * `kernsim check`'s matrix: every scenario × variant × config of the model
 * (or the filtered ones), explored with DPOR under the bounds docs/verdicts.md
 * gives per cell (else the defaults), in a pool of worker threads, and
 * compared with the cell's expected verdict.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultJson } from '../report/json.js';
import type { Scenario } from '../scenarios/api.js';
import { configs } from '../scenarios/configs.js';
import { UsageError, scenarios, variants } from '../scenarios/index.js';
import { makeExecutor } from './executor.js';
import { type ExplorationRequest, runExploration } from './exploration.js';
import { DEFAULTS } from './options.js';
import { specFor } from './spec.js';
import { type ExpectedCell, cellKey, loadVerdicts } from './verdicts.js';
import '../scenarios/builtin.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_VERDICTS = resolve(root, 'docs/verdicts.md');

export interface CheckOptions {
  readonly scenarios?: readonly string[];
  readonly variants?: readonly string[];
  readonly configs?: readonly string[];
  readonly sets?: readonly string[];
  readonly preemptions?: number;
  readonly faults?: number;
  readonly jobs?: number;
  readonly verdicts?: string;
  /** Shrink findings (slow: each finding is re-explored at lower bounds). Default false. */
  readonly shrink?: boolean;
  readonly onCell?: (done: number, total: number) => void;
  /** Stop a run that goes this long without a scheduling point (cells then run in threads, also for jobs 1). */
  readonly watchdogMs?: number | undefined;
}

export interface CellResult {
  readonly result: ResultJson;
  readonly expected: ExpectedCell | undefined;
  /** Whether the cell was compared (not when --set changes the design). */
  readonly compared: boolean;
  readonly match: boolean;
  readonly found: readonly string[];
}

export interface CheckResult {
  readonly version: 1;
  readonly results: readonly ResultJson[];
  readonly cells: readonly CellResult[];
  readonly elapsed_ms: number;
  readonly matched: number;
}

/** Runs check cells, one exploration each, and gives their result objects (see cellRunner). */
export interface CellRunner {
  run(req: ExplorationRequest): Promise<ResultJson>;
  close(): Promise<void>;
}

/**
 * Where cells run: on this thread one after the other (jobs 1 without a watchdog), else on one
 * pool of `jobs` worker threads that every cell's tasks share (run/executor.ts): each cell's plan
 * (run/plan.ts) is walked on this thread and its subtree tasks and finishing work go to the pool,
 * so a large cell's tasks spread over every thread instead of one thread per cell. With
 * `watchdogMs`, every job is watched: a run that goes that long without a scheduling point has its
 * thread stopped, and its cell is incomplete with the hang as a finding (with its token), exactly
 * as `kernsim explore --watchdog-ms` reports it. What a cell explores does not depend on `jobs`.
 * `kernsim check` (exploreCells) and a fleet worker's check cells (src/fleet/fleet.ts) both run
 * cells here, so a cell is the same result on one machine and on a fleet.
 */
export function cellRunner(o: { readonly jobs: number; readonly watchdogMs?: number | undefined }): CellRunner {
  if (o.jobs <= 1 && o.watchdogMs === undefined) {
    // One at a time: the runs of two cells must not interleave on one thread.
    let last: Promise<unknown> = Promise.resolve();
    return {
      run(r) {
        const next = last.then(() => runExploration({ ...r, jobs: 1 }));
        last = next.catch(() => {});
        return next;
      },
      close: async () => {},
    };
  }
  const ex = makeExecutor({ jobs: Math.max(1, o.jobs), watchdogMs: o.watchdogMs });
  return {
    run: (r) => runExploration({ ...r, watchdogMs: o.watchdogMs }, ex),
    close: () => ex.close(),
  };
}

/**
 * Explores cells (cellRunner) and gives their results in the cells' order: on this thread one
 * after the other (jobs 1 without a watchdog), else on one shared pool of `jobs` threads, with as
 * many cells under way as threads (the plans of the cells under way live here).
 */
export async function exploreCells(
  reqs: readonly ExplorationRequest[],
  o: { readonly jobs: number; readonly watchdogMs?: number | undefined; readonly onCell?: () => void },
): Promise<ResultJson[]> {
  // Every thread serves every cell: one cell alone still spreads over all of them.
  const threads = Math.max(1, o.jobs);
  const runner = cellRunner({ jobs: threads, watchdogMs: o.watchdogMs });
  const results: ResultJson[] = new Array(reqs.length);
  let next = 0;
  // Each lane takes the next cell when its last one is done; the first error ends the check.
  const lane = async (): Promise<void> => {
    for (let i = next++; i < reqs.length; i = next++) {
      try {
        results[i] = await runner.run(reqs[i] as ExplorationRequest);
      } catch (e) {
        next = reqs.length;
        throw e;
      } finally {
        o.onCell?.();
      }
    }
  };
  // As many cells under way as threads: each cell's plan lives on this thread, and a big cell's
  // subtrees keep every thread busy anyway. Full check --jobs 2: 314 s wall, 599 s CPU, 643 MB,
  // against 375 s, 706 s, 812 MB with twice as many (the same JSON, timings aside; the memory
  // since fell to ~360 MB: run/executor.ts, the hand-over limit).
  const lanes = threads > 1 || o.watchdogMs !== undefined ? Math.min(reqs.length, threads) : 1;
  try {
    await Promise.all(Array.from({ length: lanes }, lane));
    return results;
  } finally {
    await runner.close();
  }
}

/** The model scenarios (those that run under variants), in registry order. */
export function matrixScenarios(): readonly Scenario[] {
  return scenarios().filter((s) => s.variants.length > 0);
}

function pick<T extends { name: string }>(all: readonly T[], wanted: readonly string[] | undefined, what: string): T[] {
  if (!wanted || wanted.length === 0) return [...all];
  for (const w of wanted)
    if (!all.some((a) => a.name === w)) throw new UsageError(`unknown ${what} '${w}' (see 'kernsim list')`);
  return all.filter((a) => wanted.includes(a.name));
}

/** A cell to explore and its expected verdict. */
export interface CheckRequest {
  readonly req: ExplorationRequest;
  readonly exp: ExpectedCell | undefined;
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const t0 = performance.now();
  const requests = await checkRequests(opts);
  const results = await runCells(requests, opts);
  return assembleCheck(requests, results, opts.sets ?? [], performance.now() - t0);
}

/** The cells the filters select, in matrix order (bad input refused before any is explored). */
export async function checkRequests(opts: CheckOptions): Promise<CheckRequest[]> {
  const scs = pick(matrixScenarios(), opts.scenarios, 'scenario');
  const vs = new Set(pick(variants(), opts.variants, 'variant').map((v) => v.name));
  const cs = new Set(pick(configs, opts.configs, 'config').map((c) => c.name));
  const expected = loadVerdicts(opts.verdicts ?? DEFAULT_VERDICTS);
  const sets = opts.sets ?? [];
  const requests: CheckRequest[] = [];
  for (const s of scs)
    for (const v of s.variants) {
      if (!vs.has(v)) continue;
      for (const c of s.configs) {
        if (!cs.has(c)) continue;
        const exp = expected.get(cellKey({ scenario: s.name, variant: v, config: c }));
        requests.push({
          exp,
          req: {
            scenario: s.name,
            variant: v,
            config: c,
            sets,
            strategy: 'dpor',
            preemptions: opts.preemptions ?? exp?.preemptions ?? DEFAULTS.preemptions,
            faults: opts.faults ?? exp?.faults ?? DEFAULTS.faults,
            ...(exp?.budget !== undefined ? { budget: exp.budget } : {}),
            shrink: opts.shrink ?? false,
          },
        });
      }
    }
  if (requests.length === 0) throw new UsageError('no scenario × variant × config cell matches the filters');
  // Bad input (a --set knob, a prototype key) is refused here, before any cell is explored.
  for (const r of requests) await specFor(r.req.scenario, r.req.variant, r.req.config, r.req.sets ?? []);
  return requests;
}

/** Explores cells on `opts.jobs` threads (watched with `opts.watchdogMs`); the results in the cells' order. */
export async function runCells(requests: readonly CheckRequest[], opts: CheckOptions): Promise<ResultJson[]> {
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  let done = 0;
  return exploreCells(
    requests.map((r) => r.req),
    { jobs, watchdogMs: opts.watchdogMs, onCell: () => opts.onCell?.(++done, requests.length) },
  );
}

/** The check's result from its cells' results (elapsed: the wall time, in ms). */
export function assembleCheck(
  requests: readonly CheckRequest[],
  results: readonly ResultJson[],
  sets: readonly string[],
  elapsed: number,
): CheckResult {
  const compared = sets.length === 0;
  const cells: CellResult[] = results.map((result, i) => {
    const exp = (requests[i] as { exp: ExpectedCell | undefined }).exp;
    const found = [...new Set(result.findings.map((f) => f.title))].sort();
    const same = exp !== undefined && found.length === exp.titles.length && found.every((t, j) => t === exp.titles[j]);
    // A cell whose findings are the expected ones matches; an incomplete one (not an explicitly sampled
    // cell) still counts against a clean exit (status 3).
    return { result, expected: exp, compared, match: compared && same, found };
  });
  return {
    version: 1,
    results,
    cells,
    elapsed_ms: Math.round(elapsed),
    matched: cells.filter((c) => c.match).length,
  };
}
