/**
 * The fleet: one exploration (or a whole check) spread over any number of
 * `kernsim fleet work` processes through a BullMQ queue on Redis.
 *
 * `fleet run` is the coordinator: it walks the task tree (run/plan.ts) and turns
 * every task into a job whose id is the run's fingerprint and the task's id, so
 * a job added twice is one job and its result is counted once. A worker runs a
 * subtree for SEQ_PHASE executions and hands back what is left as subtree roots,
 * which go back into the queue as new jobs (work stealing: an idle worker picks
 * them up). A worker killed mid-job holds its job's lock until it expires; BullMQ
 * then moves the job back to the queue and another worker runs it again (the same
 * task gives the same result). The results are added up in task-id order, so the
 * outcome is the single-machine run's, byte for byte (elapsed time aside).
 *
 * Resuming: finished jobs stay in Redis for a day, so the same `fleet run` again
 * picks up their results; when Redis itself goes away the coordinator writes the
 * results it has to a state file (a shard file, shard 1/1) and `--state FILE`
 * resumes from it.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  type CellRunner,
  type CheckOptions,
  type CheckResult,
  assembleCheck,
  cellRunner,
  checkRequests,
} from '../run/matrix.js';
import { stopRequested } from '../run/stop.js';
import type { ResultJson } from '../report/json.js';
import { type Executor, makeExecutor } from '../run/executor.js';
import { runWatched } from '../run/pool.js';
import type { ExplorationRequest } from '../run/exploration.js';
import { specFor } from '../run/spec.js';
import type { WorkerResult } from '../run/worker.js';
import { UsageError } from '../scenarios/index.js';
import {
  type ExploreSpecJson,
  type ShardHeader,
  type TaskLine,
  FORMAT,
  FORMAT_VERSION,
  readShardFile,
  runId,
  shardText,
  writeAtomic,
} from './format.js';
import { KERNSIM_VERSION, exploreSpecJson, finishExplore, jobsOf, specOf, taskFor, walk } from './explore.js';
import { type StopReason, type TaskRef, idKey } from '../run/plan.js';
import { QUEUE, type RedisTarget, connectRedis, errorName, parseRedisUrl, watchLoss } from './redis.js';
import { checkSpecJson } from './shard.js';

/** A fleet job's data (`version`: the kernsim that started the run; a worker of another refuses it). */
export type JobData = (
  | {
      readonly run: string;
      readonly kind: 'task';
      readonly spec: ExploreSpecJson;
      readonly task: TaskRef;
      readonly deadline?: number;
    }
  | {
      readonly run: string;
      readonly kind: 'cell';
      readonly cell: number;
      readonly req: ExplorationRequest;
      /** The check's --watchdog-ms (null: none): the cell runs on a watched thread (run/matrix.ts cellRunner). */
      readonly watchdog_ms: number | null;
    }
) & { readonly version: string };

export interface FleetProgress {
  readonly done: number;
  readonly pending: number;
  readonly executions: number;
  readonly elapsedMs: number;
}

export interface FleetRunOptions {
  readonly redis: string;
  /** Resume from this state file when it exists; write it when the run cannot finish. */
  readonly state?: string | undefined;
  readonly onProgress?: (p: FleetProgress) => void;
  readonly note?: (line: string) => void;
  /** Attempts per job (a worker killed, a job failing). Default 5. */
  readonly attempts?: number;
}

/** Ends a fleet run that cannot finish: one line, exit 2 (the state is saved). */
export class FleetError extends UsageError {}

interface Producer {
  readonly queue: Queue;
  /** `x`, unless the connection to Redis is lost first: then the FleetError that says so. */
  untilLost<T>(x: Promise<T>): Promise<T>;
  /** A job's result once a worker has it (a failed job: an Error with its reason). */
  finished<T>(jobId: string): Promise<T>;
  /** Closes the queue and its connections; never waits long, and not at all once Redis is gone. */
  close(): Promise<void>;
}

/**
 * Gives `onLost` the connections BullMQ made of ours (src/fleet/redis.ts watchLoss): QueueEvents
 * reads the job events (XREAD) on a duplicate of the client it was given, a Worker takes jobs
 * (BZPOPMIN) on one. Lost for good while ours stay up (a proxy or NAT that drops a long-lived
 * idle connection and refuses new ones), nothing else would tell: the coordinator would wait for
 * events that never come, the worker for jobs it can never take. Once `x` is ready; a connection
 * that failed to get ready is the loss too.
 */
async function watchBullmq(x: Queue | QueueEvents | Worker, onLost: (why: string) => void): Promise<void> {
  try {
    await x.waitUntilReady();
    const b = x.getBackend();
    watchLoss(await b.client, onLost);
    const blocking = b.blockingClient;
    if (blocking) watchLoss(await blocking, onLost);
  } catch (e) {
    // Redis's own refusals (a version too old, a wrong password) are not a lost connection.
    if (
      e instanceof Error &&
      ((e as NodeJS.ErrnoException).code !== undefined || /Connection is closed/.test(e.message))
    )
      onLost(errorName(e));
    throw e;
  }
}

/** How long closing the producer waits for BullMQ at most (Redis there, but not answering). */
const CLOSE_MS = 2_000;

/**
 * The queue, its events, and the FleetError that ends a run once the connection is gone for good
 * (src/fleet/redis.ts). Every wait on Redis is raced against that loss (`untilLost`): with
 * `maxRetriesPerRequest: null` a command sent meanwhile waits for a reconnection that never comes,
 * and nothing else would end it.
 */
async function producer(t: RedisTarget): Promise<Producer> {
  let gone: FleetError | undefined;
  let fail: (e: Error) => void = () => {};
  const lost = new Promise<never>((_, reject) => {
    fail = reject;
  });
  lost.catch(() => {});
  const onLost = (why: string) => {
    gone ??= new FleetError(`lost the connection to Redis at ${t.shown} (${why})`);
    fail(gone);
  };
  // A command that fails because the connection ended fails before the 'end' event that tells
  // (ioredis emits it on the next tick): once the loss is known, it is that.
  const untilLost = <T>(x: Promise<T>): Promise<T> =>
    Promise.race([x, lost]).catch((e: unknown) => {
      throw gone ?? e;
    });
  const clients: Redis[] = [];
  try {
    clients.push(await connectRedis(t, onLost));
    clients.push(await connectRedis(t, onLost));
  } catch (e) {
    for (const c of clients) c.disconnect();
    throw e;
  }
  const queue = new Queue(QUEUE, { connection: clients[0] as Redis });
  const events = new QueueEvents(QUEUE, { connection: clients[1] as Redis });
  queue.on('error', () => {});
  events.on('error', () => {});
  // Who waits for which job (one waiter per subtree or cell in flight).
  const waiting = new Map<string, ((r: { value: unknown } | { reason: string }) => void)[]>();
  const tell = (jobId: string, r: { value: unknown } | { reason: string }) => {
    for (const w of waiting.get(jobId) ?? []) w(r);
  };
  events.on('completed', ({ jobId, returnvalue }) => tell(jobId, { value: returnvalue }));
  events.on('failed', ({ jobId, failedReason }) => tell(jobId, { reason: failedReason }));
  const close = async () => {
    // BullMQ's close waits for each of its connections to end. With Redis gone, one caught between
    // two reconnection attempts never does (ioredis's disconnect() then only drops the retry
    // timer), and with nothing left to keep the process alive it used to end there, with status
    // 13 and the run's one line unsaid. So: no wait once the connection is lost, and a bounded
    // one (on a timer that keeps the process alive meanwhile) otherwise.
    let late: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([events.close(), queue.close()]),
      lost.catch(() => {}),
      new Promise<void>((resolve) => {
        late = setTimeout(resolve, CLOSE_MS);
      }),
    ]);
    clearTimeout(late);
    for (const c of clients) c.disconnect();
  };
  try {
    await untilLost(Promise.all([watchBullmq(queue, onLost), watchBullmq(events, onLost)]));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    queue,
    untilLost,
    async finished<T>(jobId: string): Promise<T> {
      let heard: (r: { value: unknown } | { reason: string }) => void = () => {};
      const news = new Promise<{ value: unknown } | { reason: string }>((resolve) => {
        heard = resolve;
      });
      waiting.set(jobId, [...(waiting.get(jobId) ?? []), heard]);
      try {
        // It may have finished before this listened (the events are heard since waitUntilReady).
        // Not Job.waitUntilFinished: its own look at the job rejects unhandled, ending the
        // process, when Redis goes away during it.
        const state = await untilLost(queue.getJobState(jobId));
        let r: { value: unknown } | { reason: string };
        if (state === 'completed' || state === 'failed') {
          const job = await untilLost(Job.fromId(queue, jobId));
          r = state === 'completed' ? { value: job?.returnvalue } : { reason: job?.failedReason ?? 'failed' };
        } else r = await untilLost(news);
        if ('reason' in r) throw new Error(r.reason);
        return r.value as T;
      } finally {
        const rest = (waiting.get(jobId) ?? []).filter((w) => w !== heard);
        if (rest.length > 0) waiting.set(jobId, rest);
        else waiting.delete(jobId);
      }
    },
    close,
  };
}

/** Adds a job (once per id) and waits for its result. */
async function runJob<T>(p: Producer, data: JobData, jobId: string, attempts: number): Promise<T> {
  const job = await p.untilLost(
    p.queue.add(data.kind, data, {
      jobId,
      attempts,
      backoff: { type: 'fixed', delay: 200 },
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
    }),
  );
  // A job that failed in an earlier run is tried again.
  if (await p.untilLost(job.isFailed())) await p.untilLost(job.retry('failed'));
  try {
    return await p.finished<T>(jobId);
  } catch (e) {
    if (e instanceof FleetError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new FleetError(`a worker could not run job ${jobId}: ${why.split('\n')[0]}`);
  }
}

/** Explores on the fleet; the result object `kernsim explore` prints. */
export async function fleetExplore(req: ExplorationRequest, o: FleetRunOptions): Promise<ResultJson> {
  const t0 = performance.now();
  const target = parseRedisUrl(o.redis);
  const spec = await specFor(req.scenario, req.variant, req.config, req.sets ?? [], req.params ?? []);
  const s = exploreSpecJson(req, spec);
  const run = runId('explore', s, KERNSIM_VERSION);
  const jobs = jobsOf(req.jobs);
  const stored = new Map<string, TaskLine>();
  if (o.state !== undefined && existsSync(o.state)) {
    const f = readShardFile(o.state, 'fleet');
    if (f.header.run !== run)
      throw new UsageError(`fleet: the state file ${o.state} is from another run (${f.header.run})`);
    for (const t of f.tasks) stored.set(idKey(t.task.id), t);
    o.note?.(`resuming from ${o.state}: ${stored.size} subtrees done`);
  }
  const got: TaskLine[] = [...stored.values()];
  let executions = got.reduce((a, t) => a + t.result.executions, 0);
  let pending = 0;
  const deadline = s.time_s !== null ? Date.now() + s.time_s * 1000 : undefined;
  const tick = setInterval(
    () => o.onProgress?.({ done: got.length, pending, executions, elapsedMs: performance.now() - t0 }),
    1000,
  );
  const save = (stoppedBy: StopReason): string => {
    const file = o.state ?? join(process.cwd(), `kernsim-fleet-${run}.ndjson`);
    const header: ShardHeader = {
      format: FORMAT,
      version: FORMAT_VERSION,
      kind: 'explore',
      run,
      shard: [1, 1],
      request: s,
      jobs,
      elapsed_ms: Math.round(performance.now() - t0),
      stopped_by: stoppedBy,
    };
    writeAtomic(file, shardText(header, got, []));
    return file;
  };
  let p: Producer | undefined;
  try {
    const q = await producer(target);
    p = q;
    const w = await walk(
      s,
      async (ref: TaskRef): Promise<WorkerResult> => {
        const key = idKey(ref.id);
        const line = stored.get(key);
        if (line) return line.result;
        pending++;
        const data: JobData = {
          run,
          version: KERNSIM_VERSION,
          kind: 'task',
          spec: s,
          task: ref,
          ...(deadline !== undefined ? { deadline } : {}),
        };
        const r = await runJob<WorkerResult>(q, data, `${run}.${key}`, o.attempts ?? 5);
        pending--;
        got.push({ task: ref, result: r });
        executions += r.executions;
        return r;
      },
      () => (stopRequested() ? 'interrupted' : null),
    );
    if (o.state !== undefined) save(w.stoppedBy);
    return await finishExplore(s, w, performance.now() - t0, jobs);
  } catch (e) {
    if (e instanceof FleetError) {
      let file: string | undefined;
      try {
        file = save('interrupted');
      } catch {}
      throw new FleetError(
        `fleet: ${e.message}; ${got.length} subtrees were done${file ? `, saved in ${file}: run the same command with --state ${file} to resume` : ''}`,
      );
    }
    throw e;
  } finally {
    clearInterval(tick);
    await p?.close();
  }
}

/**
 * Cells on the fleet, one job per cell (job ids `RUN.cell-K`), each run by a worker as `kernsim
 * check` runs a cell (run/matrix.ts cellRunner: watched with `watchdogMs`, a hung cell being the
 * hang's result); the results in the cells' order. `run` names the run (default: a fingerprint of
 * the requests, the limit and, for a scenario file, its content).
 */
export async function fleetCells(
  reqs: readonly ExplorationRequest[],
  o: FleetRunOptions & {
    readonly watchdogMs?: number | undefined;
    readonly run?: string;
    readonly onCell?: (r: ResultJson) => void;
  },
): Promise<ResultJson[]> {
  const target = parseRedisUrl(o.redis);
  const watchdog_ms = o.watchdogMs ?? null;
  let run = o.run;
  if (run === undefined) {
    const hashes: (string | null)[] = [];
    for (const r of reqs)
      hashes.push((await specFor(r.scenario, r.variant, r.config, r.sets ?? [], r.params ?? [])).file?.hash ?? null);
    run = runId('cells', { reqs, hashes, watchdog_ms }, KERNSIM_VERSION);
  }
  const p = await producer(target);
  try {
    return await Promise.all(
      reqs.map(async (req, cell) => {
        const res = await runJob<ResultJson>(
          p,
          { run: run as string, version: KERNSIM_VERSION, kind: 'cell', cell, req, watchdog_ms },
          `${run}.cell-${cell}`,
          o.attempts ?? 5,
        );
        o.onCell?.(res);
        return res;
      }),
    );
  } finally {
    await p.close();
  }
}

/** A whole check on the fleet, one job per cell; the result `kernsim check` prints. */
export async function fleetCheck(opts: CheckOptions, o: FleetRunOptions): Promise<CheckResult> {
  const t0 = performance.now();
  parseRedisUrl(o.redis);
  const requests = await checkRequests(opts);
  const run = runId('check', checkSpecJson(opts, requests), KERNSIM_VERSION);
  let done = 0;
  let executions = 0;
  const tick = setInterval(
    () => o.onProgress?.({ done, pending: requests.length - done, executions, elapsedMs: performance.now() - t0 }),
    1000,
  );
  try {
    const results = await fleetCells(
      requests.map((r) => r.req),
      {
        ...o,
        run,
        watchdogMs: opts.watchdogMs,
        onCell: (res) => {
          done++;
          executions += res.executions;
        },
      },
    );
    // A cell's `jobs` as the single-machine check reports it (its cells share one pool of that many
    // threads: run/matrix.ts exploreCells), as fleetExplore reports explore's.
    const jobs = jobsOf(opts.jobs);
    return assembleCheck(
      requests,
      results.map((r) => ({ ...r, jobs })),
      opts.sets ?? [],
      performance.now() - t0,
    );
  } catch (e) {
    if (e instanceof FleetError)
      throw new FleetError(
        `fleet: ${e.message}; ${done} cells were done (kept in Redis for a day: the same command resumes)`,
      );
    throw e;
  } finally {
    clearInterval(tick);
  }
}

export interface FleetWorkOptions {
  readonly redis: string;
  /** Jobs run at once, each on its own thread (default: the machine's cores). */
  readonly jobs?: number;
  /** How long a job stays claimed by a worker that stopped answering, in ms (default 30 s). */
  readonly lockMs?: number;
  /** Exit after this many seconds without a job (default: never). */
  readonly idleSeconds?: number;
  readonly note?: (line: string) => void;
  /** Stops the worker (Ctrl-C): it finishes its jobs, then returns. */
  readonly signal?: AbortSignal;
}

/** Pulls jobs until stopped (or idle); returns how many it ran. A lost Redis: a FleetError. */
export async function fleetWork(o: FleetWorkOptions): Promise<number> {
  const target = parseRedisUrl(o.redis);
  const jobs = Math.max(1, o.jobs ?? availableParallelism());
  const lockMs = o.lockMs ?? 30_000;
  let fail: (e: Error) => void = () => {};
  const lost = new Promise<never>((_, reject) => {
    fail = reject;
  });
  lost.catch(() => {});
  const onLost = (why: string) =>
    fail(
      new FleetError(
        `fleet work: lost the connection to Redis at ${target.shown} (${why}); the jobs it held go back to the queue when their locks expire`,
      ),
    );
  const client = await connectRedis(target, onLost);
  // Check cells run as `kernsim check` runs them (run/matrix.ts cellRunner), watched with the
  // check's --watchdog-ms: one runner per limit, as for the executors below.
  const runners = new Map<number | null, CellRunner>();
  const runnerFor = (ms: number | null): CellRunner => {
    let r = runners.get(ms);
    if (!r) {
      r = cellRunner({ jobs, watchdogMs: ms ?? undefined });
      runners.set(ms, r);
    }
    return r;
  };
  // Subtree tasks run as the pool's do (run/executor.ts), watched with the run's --watchdog-ms:
  // one executor per limit (a worker serves one run at a time, so mostly one).
  const executors = new Map<number | null, Executor>();
  const executorFor = (ms: number | null): Executor => {
    let ex = executors.get(ms);
    if (!ex) {
      ex = makeExecutor({ jobs, watchdogMs: ms ?? undefined });
      executors.set(ms, ex);
    }
    return ex;
  };
  const scenarioNames = new Map<string, string>();
  let ran = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let finish: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const idle = () => {
    if (o.idleSeconds === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(finish, o.idleSeconds * 1000);
  };
  const worker = new Worker<JobData>(
    QUEUE,
    async (job) => {
      clearTimeout(idleTimer);
      const d = job.data;
      if (d.version !== KERNSIM_VERSION)
        throw new Error(`this worker runs kernsim ${KERNSIM_VERSION}, the run was started by kernsim ${d.version}`);
      if (d.kind === 'task') {
        // The run's spec, resolved once (a user scenario file must be the one the run was started
        // with); its scenario's name titles a hang finding.
        let name = scenarioNames.get(d.run);
        if (name === undefined) {
          name = (await specOf(d.spec)).scenario.name;
          scenarioNames.set(d.run, name);
        }
        const ex = executorFor(d.spec.watchdog_ms);
        return runWatched(ex, name, taskFor(d.spec, d.task, d.deadline));
      }
      return runnerFor(d.watchdog_ms).run(d.req);
    },
    {
      connection: client,
      concurrency: jobs,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 5,
      autorun: false,
    },
  );
  worker.on('error', () => {});
  worker.on('completed', () => {
    ran++;
  });
  worker.on('failed', (job, e) => o.note?.(`job ${job?.id ?? '?'} failed: ${e.message.split('\n')[0]}`));
  worker.on('drained', idle);
  o.signal?.addEventListener('abort', finish, { once: true });
  idle();
  void worker.run().catch(() => {});
  try {
    // Its blocking connection (BZPOPMIN) is BullMQ's duplicate of `client`.
    await Promise.race([watchBullmq(worker, onLost), lost]);
    await Promise.race([stopped, lost]);
  } finally {
    clearTimeout(idleTimer);
    // With Redis gone, closing waits on nothing that can answer: the threads get a few seconds
    // to finish what they hold, then the worker reports the loss anyway (its jobs go back to
    // the queue when their locks expire), never a hang.
    const cleanup = (async () => {
      await Promise.race([worker.close(), lost.catch(() => {})]);
      for (const r of runners.values()) await r.close();
      for (const ex of executors.values()) await ex.close();
    })();
    let givenUp: NodeJS.Timeout | undefined;
    await Promise.race([
      cleanup,
      lost.then(
        () => {},
        () => new Promise<void>((resolve) => void (givenUp = setTimeout(resolve, CLEANUP_MS))),
      ),
    ]);
    clearTimeout(givenUp);
    client.disconnect();
  }
  return ran;
}

/** How long a worker that lost Redis waits for its threads before it gives up on them. */
const CLEANUP_MS = 5_000;
