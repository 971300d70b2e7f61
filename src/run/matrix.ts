/**
 * `kernsim check`'s matrix: every scenario × variant × config of the model
 * (or the filtered ones), explored with DPOR under the bounds docs/verdicts.md
 * gives per cell (else the defaults), in a pool of worker threads, and
 * compared with the cell's expected verdict.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ResultJson } from '../report/json.js';
import type { Scenario } from '../scenarios/api.js';
import { configs } from '../scenarios/configs.js';
import { UsageError, scenarios, variants } from '../scenarios/index.js';
import { type ExplorationRequest, runExploration } from './exploration.js';
import { DEFAULTS } from './options.js';
import { specFor } from './spec.js';
import { stopBuffer } from './stop.js';
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
  const requests: { req: ExplorationRequest; exp: ExpectedCell | undefined }[] = [];
  for (const s of scs)
    for (const v of s.variants) {
      if (!vs.has(v)) continue;
      for (const c of s.configs) {
        if (!cs.has(c)) continue;
        const exp = expected.get(cellKey(s.name, v, c));
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

/** Explores cells on `opts.jobs` threads; the results in the cells' order. */
export async function runCells(requests: readonly CheckRequest[], opts: CheckOptions): Promise<ResultJson[]> {
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  let done = 0;
  const tick = () => opts.onCell?.(++done, requests.length);
  let results: ResultJson[];
  if (jobs === 1 || requests.length === 1) {
    results = [];
    for (const r of requests) {
      results.push(await runExploration({ ...r.req, jobs: 1 }));
      tick();
    }
  } else {
    const ts = import.meta.url.endsWith('.ts');
    const pool = new Piscina({
      filename: new URL(ts ? './check-worker.ts' : './check-worker.js', import.meta.url).href,
      maxThreads: jobs,
      minThreads: Math.min(jobs, requests.length),
      ...(ts ? { execArgv: ['--import', 'tsx'] } : {}),
    });
    try {
      results = await Promise.all(
        requests.map(async (r) => {
          let res: ResultJson;
          try {
            res = (await pool.run({ ...r.req, stop: stopBuffer() })) as ResultJson;
          } catch (e) {
            // A UsageError crosses the thread boundary as a plain Error with its name.
            if (e instanceof Error && e.name === 'UsageError') throw new UsageError(e.message);
            throw e;
          }
          tick();
          return res;
        }),
      );
    } finally {
      await pool.close();
    }
  }
  return results;
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
