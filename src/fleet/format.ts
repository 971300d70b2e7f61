/**
 * The NDJSON result file of a shard (`--shard i/N --out FILE`) and of a fleet's saved state:
 * a header line naming the run (its request and a fingerprint of it), then one line per task
 * (an exploration's subtree or chunk of runs, with its raw result) or per check cell (its result
 * object), then an end line with the count, so that a file cut short is refused. Written
 * atomically (a temporary file in the same directory, then a rename).
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ResultJson } from '../report/json.js';
import type { StrategyName } from '../run/options.js';
import type { WorkerResult } from '../run/worker.js';
import type { ExpectedCell } from '../run/verdicts.js';
import { UsageError } from '../scenarios/index.js';
import type { StopReason, TaskRef } from '../run/plan.js';

export const FORMAT = 'kernsim-shard';
export const FORMAT_VERSION = 1;

/** An exploration's request as plain data (what every shard and fleet worker must agree on). */
export interface ExploreSpecJson {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string | null;
  readonly sets: readonly string[];
  /** Scenario parameters (`name=value`, --param). */
  readonly params: readonly string[];
  readonly strategy: StrategyName;
  readonly preemptions: number;
  readonly faults: number;
  readonly budget: number | null;
  readonly time_s: number | null;
  /** The watchdog's limit (--watchdog-ms), or null: none. */
  readonly watchdog_ms: number | null;
  readonly seed: number;
  readonly depth: number;
  readonly shrink: boolean;
  readonly split: number;
  /** A user scenario file's content hash (shards must load the same file). */
  readonly file_hash: string | null;
}

/** A check's request as plain data. */
export interface CheckSpecJson {
  readonly scenarios: readonly string[];
  readonly variants: readonly string[];
  readonly configs: readonly string[];
  readonly sets: readonly string[];
  readonly preemptions: number | null;
  readonly faults: number | null;
  readonly shrink: boolean;
  /** The watchdog's limit (--watchdog-ms), or null: none. */
  readonly watchdog_ms: number | null;
  readonly verdicts_hash: string;
  /** The cells, in matrix order (scenario/variant/config). */
  readonly cells: readonly string[];
}

export type ShardHeader =
  | {
      readonly format: typeof FORMAT;
      readonly version: typeof FORMAT_VERSION;
      readonly kind: 'explore';
      readonly run: string;
      readonly shard: readonly [number, number];
      readonly request: ExploreSpecJson;
      readonly jobs: number;
      readonly elapsed_ms: number;
      /** What stopped this shard before its part was done (a time limit, Ctrl-C), else null. */
      readonly stopped_by: StopReason;
    }
  | {
      readonly format: typeof FORMAT;
      readonly version: typeof FORMAT_VERSION;
      readonly kind: 'check';
      readonly run: string;
      readonly shard: readonly [number, number];
      readonly request: CheckSpecJson;
      readonly jobs: number;
      readonly elapsed_ms: number;
      readonly stopped_by: StopReason;
    };

export interface TaskLine {
  readonly task: TaskRef;
  readonly result: WorkerResult;
}

export interface CellLine {
  readonly cell: number;
  readonly result: ResultJson;
  readonly expected: ExpectedCell | null;
}

export interface ShardFile {
  readonly path: string;
  readonly header: ShardHeader;
  readonly tasks: readonly TaskLine[];
  readonly cells: readonly CellLine[];
}

/** A fingerprint of a request (and of the kernsim that runs it). */
export function runId(kind: string, request: unknown, version: string): string {
  const h = createHash('sha256').update(JSON.stringify({ kind, request, version })).digest('hex');
  return `${kind}-${h.slice(0, 16)}`;
}

/** The file's text. */
export function shardText(header: ShardHeader, tasks: readonly TaskLine[], cells: readonly CellLine[]): string {
  const lines = [JSON.stringify(header)];
  for (const t of tasks) lines.push(JSON.stringify(t));
  for (const c of cells) lines.push(JSON.stringify(c));
  lines.push(JSON.stringify({ end: true, lines: tasks.length + cells.length }));
  return `${lines.join('\n')}\n`;
}

/** Writes a file atomically: a temporary file beside it, then a rename. */
export function writeAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw e;
  }
}

/** Reads and checks one shard file; any defect is a UsageError naming the file. */
export function readShardFile(path: string, what = 'merge'): ShardFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`${what}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const parsed: unknown[] = [];
  lines.forEach((l, i) => {
    try {
      parsed.push(JSON.parse(l));
    } catch {
      throw new UsageError(`${what}: ${path} line ${i + 1} is not JSON (not a kernsim shard file?)`);
    }
  });
  const header = parsed[0] as Partial<ShardHeader> | undefined;
  if (!header || header.format !== FORMAT)
    throw new UsageError(`${what}: ${path} is not a kernsim shard file (write one with --shard i/N --out FILE)`);
  if (header.version !== FORMAT_VERSION)
    throw new UsageError(
      `${what}: ${path} is a version ${String(header.version)} shard file; this kernsim reads version ${FORMAT_VERSION}`,
    );
  const end = parsed[parsed.length - 1] as { end?: boolean; lines?: number } | undefined;
  if (parsed.length < 2 || !end?.end || end.lines !== parsed.length - 2)
    throw new UsageError(`${what}: ${path} is cut short (no end line, or fewer lines than it says)`);
  const body = parsed.slice(1, -1) as (TaskLine | CellLine)[];
  const tasks = body.filter((x): x is TaskLine => 'task' in x);
  const cells = body.filter((x): x is CellLine => 'cell' in x);
  return { path, header: header as ShardHeader, tasks, cells };
}
