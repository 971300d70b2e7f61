/**
 * `kernsim merge`: adds shard files up into the single-machine result. Every
 * shard 1..N of one run must be there exactly once (same request, same N,
 * same kernsim); the task results are fed to the task tree in its order, and a
 * DPOR exploration's later rounds (races placed over the whole tree, which no
 * shard sees: shard.ts) are explored here, on `jobs` threads. The result is
 * what `kernsim explore` / `kernsim check` print on one machine: the same
 * findings, first tokens, executions and completeness (the elapsed time aside).
 */
import { type CheckRequest, type CheckResult, assembleCheck } from '../run/matrix.js';
import { makeExecutor } from '../run/executor.js';
import { runWatched } from '../run/pool.js';
import type { ResultJson } from '../report/json.js';
import { stopBuffer, stopRequested } from '../run/stop.js';
import type { WorkerResult } from '../run/worker.js';
import { UsageError } from '../scenarios/index.js';
import { type ShardFile, type ShardHeader, type TaskLine, readShardFile } from './format.js';
import { finishExplore, specOf, taskFor, walk } from './explore.js';
import { type StopReason, type TaskRef, idKey } from '../run/plan.js';

export type Merged =
  | {
      readonly kind: 'explore';
      readonly result: ResultJson;
      /** Tasks (and their executions) the merge explored itself: the later DPOR rounds. */
      readonly ranHere: { readonly tasks: number; readonly executions: number };
    }
  | { readonly kind: 'check'; readonly result: CheckResult };

/** Checks that the files are the shards 1..N of one run, each once. */
export function checkShardSet(files: readonly ShardFile[]): void {
  const first = files[0];
  if (!first) throw new UsageError('merge: no shard files given');
  const n = first.header.shard[1];
  const byIndex = new Map<number, string>();
  for (const f of files) {
    const h = f.header;
    if (h.kind !== first.header.kind)
      throw new UsageError(`merge: ${f.path} is a ${h.kind} shard, ${first.path} a ${first.header.kind} shard`);
    if (h.run !== first.header.run)
      throw new UsageError(
        `merge: ${f.path} is from another run than ${first.path} (its request or kernsim version differs: ${h.run}, ${first.header.run})`,
      );
    if (h.shard[1] !== n)
      throw new UsageError(`merge: ${f.path} is shard ${h.shard.join('/')}, ${first.path} one of ${n}`);
    const other = byIndex.get(h.shard[0]);
    if (other !== undefined) throw new UsageError(`merge: shard ${h.shard[0]}/${n} given twice (${other}, ${f.path})`);
    byIndex.set(h.shard[0], f.path);
  }
  const missing: number[] = [];
  for (let i = 1; i <= n; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0)
    throw new UsageError(
      `merge: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} missing (given ${files.length} of ${n})`,
    );
}

export async function mergeShards(paths: readonly string[], opts: { readonly jobs?: number } = {}): Promise<Merged> {
  const t0 = performance.now();
  const files = paths.map((p) => readShardFile(p));
  checkShardSet(files);
  const first = files[0] as ShardFile;
  const elapsed = Math.max(...files.map((f) => f.header.elapsed_ms));
  if (first.header.kind === 'check') {
    const byCell = new Map<number, ShardFile['cells'][number]>();
    for (const f of files)
      for (const c of f.cells) {
        if (byCell.has(c.cell)) throw new UsageError(`merge: cell ${c.cell} is in two shard files`);
        byCell.set(c.cell, c);
      }
    const names = first.header.request.cells;
    const requests: CheckRequest[] = [];
    const results: ResultJson[] = [];
    for (let k = 0; k < names.length; k++) {
      const c = byCell.get(k);
      if (!c) throw new UsageError(`merge: cell ${names[k]} is in no shard file (a shard stopped early?)`);
      requests.push({ req: { scenario: c.result.scenario }, exp: c.expected ?? undefined });
      results.push(c.result);
    }
    return {
      kind: 'check',
      result: assembleCheck(requests, results, first.header.request.sets, elapsed + (performance.now() - t0)),
    };
  }
  const s = first.header.request;
  const stored = new Map<string, TaskLine>();
  for (const f of files)
    for (const t of f.tasks) {
      const key = idKey(t.task.id);
      if (stored.has(key)) throw new UsageError(`merge: task ${key} is in two shard files`);
      stored.set(key, t);
    }
  // A shard that stopped early (a time limit, Ctrl-C): the merged result stops there too.
  const stoppedShard = files.map((f) => f.header.stopped_by).find((x): x is Exclude<StopReason, null> => x !== null);
  const used = new Set<string>();
  const spec = await specOf(s);
  const ex = makeExecutor({ jobs: opts.jobs ?? 1, watchdogMs: s.watchdog_ms ?? undefined, spec });
  let ranTasks = 0;
  let ranExecutions = 0;
  let w: Awaited<ReturnType<typeof walk>>;
  try {
    w = await walk(
      s,
      async (ref: TaskRef): Promise<WorkerResult | null> => {
        const key = idKey(ref.id);
        const line = stored.get(key);
        if (line) {
          if (JSON.stringify(line.task.root ?? null) !== JSON.stringify(ref.root ?? null))
            throw new UsageError(`merge: task ${key} of the shard files does not fit the task tree (another kernsim?)`);
          used.add(key);
          return line.result;
        }
        if (stoppedShard !== undefined) return null;
        const r = await runWatched(ex, spec.scenario.name, { ...taskFor(s, ref), stop: stopBuffer() });
        ranTasks++;
        ranExecutions += r.executions;
        return r;
      },
      () => (stopRequested() ? 'interrupted' : null),
    );
  } finally {
    await ex.close();
  }
  const unused = [...stored.keys()].filter((k) => !used.has(k));
  if (unused.length > 0 && stoppedShard === undefined && w.stoppedBy === null)
    throw new UsageError(
      `merge: ${unused.length} task results of the shard files are not in the task tree (task ${unused[0]})`,
    );
  const stoppedBy = w.stoppedBy ?? stoppedShard ?? null;
  const result = await finishExplore(
    s,
    { ...w, stoppedBy },
    elapsed + (performance.now() - t0),
    (first.header as Extract<ShardHeader, { kind: 'explore' }>).jobs,
  );
  return { kind: 'explore', result, ranHere: { tasks: ranTasks, executions: ranExecutions } };
}
