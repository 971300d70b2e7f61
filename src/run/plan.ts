/**
 * The task tree of a partitioned exploration, as a coordinator driven by task
 * results: the one tree every way of exploring in parts walks, whatever runs the
 * tasks (this thread or a pool for --jobs, run/pool.ts; the shards of a CI
 * matrix and their merge, a fleet of BullMQ workers: src/fleet/).
 *
 * DPOR: round 0 starts with the root task [0, 0]; a task that does not finish
 * its subtree in `split` executions hands the alternatives left on its path
 * back as subtree roots, tasks [...id, i], launched at once. Races a subtree
 * reports against nodes above its root (proposals) are placed when the round
 * is over, in task-id order (SplitTree), and become the next round's tasks
 * [w + 1, i]. Results are added up in task-id order, so the outcome (findings,
 * first tokens, executions) depends only on the tree, never on who ran a task
 * or when. random/pct: fixed chunks of run indices, chunk c being task [c].
 */
import { type DporRoot, SplitTree } from '../explore/dpor.js';
import type { ExploreResult } from '../explore/explorer.js';
import type { WorkerResult, WorkerTask } from './worker.js';
import { Totals } from './yielding.js';

/** A partitioned exploration's result: an exploration's, and 'watchdog' when a run was stopped (its task's work is lost). */
export type PoolResult = Omit<ExploreResult, 'stoppedBy'> & {
  readonly stoppedBy: ExploreResult['stoppedBy'] | 'watchdog';
};

/** A task of the tree: its id (its place in the merge order) and, for DPOR, its subtree root. */
export interface TaskRef {
  readonly id: readonly number[];
  readonly root?: DporRoot;
  /** random/pct: the run indices. */
  readonly first?: number;
  readonly count?: number;
}

export interface TaskDone {
  readonly ref: TaskRef;
  /** `hung`: the watchdog stopped one of its runs (run/pool.ts runWatched). */
  readonly result: WorkerResult & { readonly hung?: true };
}

/** Task ids in the order their results are merged: round, then the split tree's preorder. */
export function compareIds(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** A task id as a string usable as a BullMQ job id and a map key (no ':'). */
export function idKey(id: readonly number[]): string {
  return id.join('.');
}

export type StopReason = PoolResult['stoppedBy'];

/** What one task's result makes of the exploration: its stop reason, if it halts it. */
function haltOf(r: WorkerResult, prev: StopReason): StopReason {
  if (r.nondeterministic) return 'nondeterminism';
  if (prev !== null) return prev;
  if (r.timedOut) return 'time';
  if (r.budgetStopped) return 'budget';
  return null;
}

/**
 * The DPOR task tree. `start()` gives the first tasks; `accept()` takes a task's result and gives
 * the tasks to launch next (its subtrees, or the next round once the round's last task is in).
 * Nothing is launched after a task halts the exploration (a time limit, a budget, non-determinism).
 */
export class DporPlan {
  private readonly tree: SplitTree;
  /**
   * Each task's result as totalResult adds it up: its counters and findings, not its split (roots,
   * node descriptions) or proposals, which the tree and the round take when it comes in (kept, they
   * made a long exploration's plan hundreds of MB).
   */
  private readonly done: TaskDone[] = [];
  /** The proposals of this round's tasks, with their roots' prefixes (placed when the round is over). */
  private roundProposals: {
    readonly id: readonly number[];
    readonly prefix: readonly number[];
    readonly proposals: WorkerResult['proposals'];
  }[] = [];
  private readonly keys = new Set<string>();
  private round = 0;
  private outstanding = 0;
  stoppedBy: StopReason = null;

  constructor(opts: { readonly preemptions: number; readonly faults: number }) {
    this.tree = new SplitTree(opts);
  }

  start(): TaskRef[] {
    this.outstanding = 1;
    return [{ id: [0, 0] }];
  }

  /** Stops launching tasks (Ctrl-C, a lost connection): the result is then incomplete. */
  halt(reason: Exclude<StopReason, null>): void {
    if (this.stoppedBy === null || reason === 'nondeterminism') this.stoppedBy = reason;
  }

  get finished(): boolean {
    return this.outstanding === 0;
  }

  /** The results so far (each task once). */
  get results(): readonly TaskDone[] {
    return this.done;
  }

  accept(ref: TaskRef, r: WorkerResult): TaskRef[] {
    const key = idKey(ref.id);
    // Results are idempotent by task id: a task run twice (a retried job) counts once.
    if (this.keys.has(key)) return [];
    this.keys.add(key);
    this.done.push({ ref: { id: ref.id }, result: { ...r, proposals: [], roots: [], nodes: null } });
    if (r.proposals.length > 0)
      this.roundProposals.push({ id: ref.id, prefix: ref.root?.prefix ?? [], proposals: r.proposals });
    this.outstanding--;
    if (r.nodes) this.tree.add(r.nodes);
    this.stoppedBy = haltOf(r, this.stoppedBy);
    const next: TaskRef[] = [];
    if (this.stoppedBy === null) r.roots.forEach((root, i) => void next.push({ id: [...ref.id, i], root }));
    if (this.outstanding + next.length === 0 && this.stoppedBy === null) {
      const mine = this.roundProposals.sort((a, b) => compareIds(a.id, b.id));
      this.roundProposals = [];
      const proposals = mine.flatMap((x) => x.proposals.map((proposal) => ({ prefix: x.prefix, proposal })));
      this.round++;
      this.tree.claimAll(proposals).forEach((root, i) => void next.push({ id: [this.round, i], root }));
    }
    this.outstanding += next.length;
    return next;
  }
}

/** Gets a task's result; null: not this caller's to run (a shard skips other shards' tasks). */
export type GetResult = (ref: TaskRef) => Promise<WorkerResult | null>;

/**
 * Walks a DPOR plan: every task launched at once, its subtrees as soon as it is in (a round waits
 * for the round's last task). `halted()` is asked after each result (Ctrl-C, a lost server).
 * Returns whether a task was skipped (`get` gave null).
 */
export async function walkPlan(plan: DporPlan, get: GetResult, halted?: () => StopReason): Promise<boolean> {
  let skipped = false;
  const one = async (ref: TaskRef): Promise<void> => {
    const r = await get(ref);
    if (r === null) {
      skipped = true;
      return;
    }
    const next = plan.accept(ref, r);
    const h = halted?.() ?? null;
    if (h !== null) plan.halt(h);
    if (plan.stoppedBy !== null) return;
    await Promise.all(next.map(one));
  };
  await Promise.all(plan.start().map(one));
  return skipped;
}

/** random/pct: chunk c of `total` run indices (task [c] runs indices c·chunk …), or undefined past the end. */
export function chunkTask(c: number, total: number, chunk: number): TaskRef | undefined {
  const first = c * chunk;
  if (first >= total) return undefined;
  return { id: [c], first, count: Math.min(chunk, total - first) };
}

/** random/pct: all the chunks of run indices, in order. */
export function chunkTasks(total: number, chunk: number): TaskRef[] {
  const out: TaskRef[] = [];
  for (let c = 0, t = chunkTask(0, total, chunk); t !== undefined; t = chunkTask(++c, total, chunk)) out.push(t);
  return out;
}

/** Results added up in task-id order: the exploration's result (elapsed time aside). */
export function totalResult(
  strategy: WorkerTask['strategy'],
  results: readonly TaskDone[],
  stoppedBy: StopReason,
  elapsedMs: number,
): PoolResult {
  const sorted = [...results].sort((a, b) => compareIds(a.ref.id, b.ref.id));
  const totals = new Totals();
  let stats: Record<string, number | string> = {};
  for (const x of sorted) {
    totals.add(x.result);
    if (strategy !== 'dpor') stats = x.result.stats;
  }
  // A task the watchdog stopped lost its part of the space.
  const hung = sorted.some((x) => x.result.hung === true);
  let stop = stoppedBy;
  if (strategy !== 'dpor' && stop === null) stop = hung ? 'watchdog' : 'budget';
  if (strategy === 'dpor' && stop === null && hung) stop = 'watchdog';
  if (strategy === 'dpor' && stop === null && totals.cut > 0) stop = 'cut-runs';
  const complete = strategy === 'dpor' && stop === null;
  return {
    strategy,
    executions: totals.executions,
    steps: totals.steps,
    complete,
    stoppedBy: stop,
    findings: totals.findings,
    abandoned: totals.abandoned,
    cut: totals.cut,
    elapsedMs,
    stats,
  };
}
