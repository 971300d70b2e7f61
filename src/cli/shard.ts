/**
 * `--shard i/N --out FILE` of `kernsim explore` and `kernsim check`: this machine's part of a
 * sharded run (src/fleet/shard.ts), written as NDJSON (atomically) for `kernsim merge`.
 */
import { INTERRUPTED_STATUS, onInterrupt, stopRequested } from './interrupt.js';
import { checkOutputPaths, writing } from './output.js';
import type { ExplorationRequest } from '../run/exploration.js';
import type { CheckOptions } from '../run/matrix.js';
import { UsageError } from '../scenarios/index.js';

export interface ShardFlags {
  readonly shard?: string | undefined;
  readonly out?: string | undefined;
  /** Outputs a shard does not write (they belong to the merged result). */
  readonly others?: Readonly<Record<string, string | boolean | undefined>>;
}

/** Whether the command runs as a shard (--shard or --out given). */
export function sharded(f: ShardFlags): boolean {
  return f.shard !== undefined || f.out !== undefined;
}

async function prepare(f: ShardFlags) {
  for (const [option, v] of Object.entries(f.others ?? {}))
    if (v !== undefined && v !== false)
      throw new UsageError(`${option} is not written by a shard: merge the shards’ files with kernsim merge`);
  if (f.out !== undefined) checkOutputPaths({ '--out': f.out });
  const { parseShard } = await import('../fleet/shard.js');
  const shard = parseShard(f.shard ?? '1/1');
  onInterrupt();
  return shard;
}

async function emit(f: ShardFlags, text: string, what: string, stoppedBy: string | null): Promise<void> {
  if (f.out !== undefined) {
    const { writeAtomic } = await import('../fleet/format.js');
    const file = f.out;
    await writing(file, async () => writeAtomic(file, text));
    process.stderr.write(`kernsim: ${what}, written to ${file} (merge every shard's file with kernsim merge)\n`);
  } else process.stdout.write(text);
  process.exitCode = stopRequested() ? INTERRUPTED_STATUS : stoppedBy !== null ? 3 : 0;
}

export async function exploreShard(req: ExplorationRequest, f: ShardFlags): Promise<void> {
  const shard = await prepare(f);
  const { shardExplore } = await import('../fleet/shard.js');
  const o = await shardExplore(req, shard);
  const execs = o.tasks.reduce((a, t) => a + t.result.executions, 0);
  const what = `shard ${shard.index}/${shard.count}: ${o.tasks.length} task${o.tasks.length === 1 ? '' : 's'}, ${execs} executions in ${(o.header.elapsed_ms / 1000).toFixed(1)} s${o.header.stopped_by ? ` (stopped: ${o.header.stopped_by})` : ''}`;
  await emit(f, o.text, what, o.header.stopped_by);
}

export async function checkShard(opts: CheckOptions, f: ShardFlags): Promise<void> {
  const shard = await prepare(f);
  const { shardCheck } = await import('../fleet/shard.js');
  const o = await shardCheck(opts, shard);
  const n = o.text.split('\n').length - 3;
  const what = `shard ${shard.index}/${shard.count}: ${n} cell${n === 1 ? '' : 's'} in ${(o.header.elapsed_ms / 1000).toFixed(1)} s`;
  await emit(f, o.text, what, o.header.stopped_by);
}
