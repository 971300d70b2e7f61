/**
 * Static shards (`--shard i/N`): a deterministic partition of an exploration's
 * task tree, of a sampling strategy's run indices, or of a check's cells, into N
 * parts, each run on its own machine with no server; `kernsim merge` (merge.ts)
 * adds the parts up into the single-machine result.
 *
 *   - random/pct: chunk c of the run indices (task [c], CHUNK runs) is shard
 *     (c mod N) + 1's. The union is exactly the single-machine run.
 *   - dpor: every shard runs the root task [0, 0] (its first SEQ_PHASE
 *     executions: the subtrees only exist once it has run); the subtrees it
 *     hands out, [0, 0, j], are shard (j mod N) + 1's, with everything they split
 *     into during round 0. Shard 1 records the root task. Races a subtree finds
 *     against nodes above its root are placed after the round over the whole
 *     tree (SplitTree), which no shard sees: the later rounds' tasks are run by
 *     the merge, from every shard's results, exactly as one machine places them
 *     (on this model's cells they are most of the work: for DPOR the fleet,
 *     fleet.ts, balances every round; docs/scale.md).
 *   - check: cell k (in matrix order) is shard (k mod N) + 1's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type CheckOptions, type CheckRequest, DEFAULT_VERDICTS, checkRequests, runCells } from '../run/matrix.js';
import type { WorkerResult } from '../run/worker.js';
import { makeExecutor } from '../run/executor.js';
import { runWatched } from '../run/pool.js';
import type { ExplorationRequest } from '../run/exploration.js';
import { specFor } from '../run/spec.js';
import { stopBuffer, stopRequested } from '../run/stop.js';
import { UsageError } from '../scenarios/index.js';
import {
  type CellLine,
  type CheckSpecJson,
  type ShardHeader,
  type TaskLine,
  FORMAT,
  FORMAT_VERSION,
  runId,
  shardText,
} from './format.js';
import { KERNSIM_VERSION, exploreSpecJson, jobsOf, taskFor, walk } from './explore.js';
import { type TaskRef, compareIds } from '../run/plan.js';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/N` (1 ≤ i ≤ N); a UsageError otherwise. */
export function parseShard(v: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const i = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !(n >= 1) || !(i >= 1) || i > n || !Number.isSafeInteger(n))
    throw new UsageError(`--shard expects i/N with 1 <= i <= N (as in --shard 2/5), got '${v}'`);
  return { index: i, count: n };
}

/** Whether a task is this shard's to run (and, for the shared root task, to record). */
export function owns(shard: Shard, strategy: string, id: readonly number[]): { run: boolean; record: boolean } {
  if (strategy !== 'dpor') {
    const mine = (id[0] as number) % shard.count === shard.index - 1;
    return { run: mine, record: mine };
  }
  if (id.length === 2 && id[0] === 0) return { run: true, record: shard.index === 1 };
  if (id[0] !== 0) return { run: shard.count === 1, record: shard.count === 1 };
  const mine = (id[2] as number) % shard.count === shard.index - 1;
  return { run: mine, record: mine };
}

export interface ShardOutput {
  readonly header: ShardHeader;
  readonly tasks: readonly TaskLine[];
  readonly text: string;
}

/** Runs one shard of an exploration on this machine (`jobs` threads) and returns its file. */
export async function shardExplore(req: ExplorationRequest, shard: Shard): Promise<ShardOutput> {
  const t0 = performance.now();
  const spec0 = await specFor(req.scenario, req.variant, req.config, req.sets ?? [], req.params ?? []);
  const s = exploreSpecJson(req, spec0);
  const jobs = jobsOf(req.jobs);
  const deadline = s.time_s !== null ? Date.now() + s.time_s * 1000 : undefined;
  const ex = makeExecutor({ jobs, watchdogMs: s.watchdog_ms ?? undefined, spec: spec0 });
  const tasks: TaskLine[] = [];
  let stoppedBy: ShardHeader['stopped_by'] = null;
  try {
    const w = await walk(
      s,
      async (ref: TaskRef): Promise<WorkerResult | null> => {
        const o = owns(shard, s.strategy, ref.id);
        if (!o.run) return null;
        const r = await runWatched(ex, spec0.scenario.name, { ...taskFor(s, ref, deadline), stop: stopBuffer() });
        if (o.record) tasks.push({ task: ref, result: r });
        return r;
      },
      () => (stopRequested() ? 'interrupted' : null),
    );
    stoppedBy = w.stoppedBy;
  } finally {
    await ex.close();
  }
  tasks.sort((a, b) => compareIds(a.task.id, b.task.id));
  const header: ShardHeader = {
    format: FORMAT,
    version: FORMAT_VERSION,
    kind: 'explore',
    run: runId('explore', s, KERNSIM_VERSION),
    shard: [shard.index, shard.count],
    request: s,
    jobs,
    elapsed_ms: Math.round(performance.now() - t0),
    stopped_by: stoppedBy,
  };
  return { header, tasks, text: shardText(header, tasks, []) };
}

/** The check's request as plain data. */
export function checkSpecJson(opts: CheckOptions, requests: readonly CheckRequest[]): CheckSpecJson {
  const verdicts = opts.verdicts ?? DEFAULT_VERDICTS;
  let vt = '';
  try {
    vt = readFileSync(verdicts, 'utf8');
  } catch {}
  return {
    scenarios: [...(opts.scenarios ?? [])],
    variants: [...(opts.variants ?? [])],
    configs: [...(opts.configs ?? [])],
    sets: [...(opts.sets ?? [])],
    preemptions: opts.preemptions ?? null,
    faults: opts.faults ?? null,
    shrink: opts.shrink ?? false,
    watchdog_ms: opts.watchdogMs ?? null,
    verdicts_hash: createHash('sha256').update(vt).digest('hex').slice(0, 16),
    cells: requests.map((r) => `${r.req.scenario}/${r.req.variant}/${r.req.config}`),
  };
}

/** Runs one shard of a check (its cells, on `opts.jobs` threads) and returns its file. */
export async function shardCheck(opts: CheckOptions, shard: Shard): Promise<{ header: ShardHeader; text: string }> {
  const t0 = performance.now();
  const requests = await checkRequests(opts);
  const s = checkSpecJson(opts, requests);
  const mine = requests.map((r, k) => ({ r, k })).filter(({ k }) => k % shard.count === shard.index - 1);
  const results = await runCells(
    mine.map((x) => x.r),
    opts,
  );
  const cells: CellLine[] = mine.map(({ r, k }, i) => ({
    cell: k,
    result: results[i] as CellLine['result'],
    expected: r.exp ?? null,
  }));
  const header: ShardHeader = {
    format: FORMAT,
    version: FORMAT_VERSION,
    kind: 'check',
    run: runId('check', s, KERNSIM_VERSION),
    shard: [shard.index, shard.count],
    request: s,
    jobs: Math.max(1, opts.jobs ?? availableParallelism()),
    elapsed_ms: Math.round(performance.now() - t0),
    stopped_by: stopRequested() ? 'interrupted' : null,
  };
  return { header, text: shardText(header, [], cells) };
}
