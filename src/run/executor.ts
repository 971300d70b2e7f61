/**
 * Where the pool's jobs run (mechanism only; what to run is run/pool.ts and run/exploration.ts):
 * on this thread (jobs 1, no watchdog: a defineScenario() object can only run here), or in
 * piscina worker threads — also for jobs 1 when a watchdog is asked for, so that a run that
 * never reaches a scheduling point can be stopped: the job's thread is terminated and the job
 * answers `{ hang }` instead of its result.
 */
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { Piscina } from 'piscina';
import { TokenError } from '../report/token.js';
import { UsageError } from '../scenarios/index.js';
import type { RunSpec } from './spec.js';
import { heartbeatBuffer, resetHeartbeat } from './heartbeat.js';
import { type Hang, watch } from './watchdog.js';
import { type Job, type JobResult, runJob } from './worker.js';

export type Outcome<T> =
  | { readonly ok: T; readonly hang?: undefined }
  | { readonly ok?: undefined; readonly hang: Hang };

export interface Executor {
  run<J extends Job>(job: J): Promise<Outcome<JobResult<J>>>;
  /** The watchdog's limit (undefined: none). */
  readonly watchdogMs: number | undefined;
  /** Worker threads (1: this thread, or one watched thread). */
  readonly jobs: number;
  close(): Promise<void>;
}

export interface ExecutorOptions {
  readonly jobs: number;
  /** Stop a run after this long without a scheduling point (threads even for jobs 1). */
  readonly watchdogMs?: number | undefined;
  /** The spec, for jobs run on this thread. */
  readonly spec?: RunSpec;
}

/**
 * An error from a worker thread arrives as a plain Error (the structured clone keeps the message
 * and stack, not the class): bad input and tokens that do not fit get their own class back, so
 * they are one line, not an internal error.
 */
export function ownError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const name = /^(\w+):/.exec(e.stack ?? '')?.[1] ?? e.name;
  if (name === 'UsageError' && !(e instanceof UsageError)) return new UsageError(e.message);
  if (name === 'TokenError' && !(e instanceof TokenError)) return new TokenError(e.message);
  return e;
}

/** The worker's entry: the built worker, or from source its ES-module bootstrap. */
function workerUrl(): string {
  const ts = import.meta.url.endsWith('.ts');
  return new URL(ts ? './worker-boot.mjs' : './worker.js', import.meta.url).href;
}

export function makeExecutor(o: ExecutorOptions): Executor {
  const ms = o.watchdogMs;
  if (o.jobs <= 1 && ms === undefined) {
    // One job at a time: a task's runs yield to the event loop between slices (run/yielding.ts),
    // and the tasks a split launches at once would otherwise all be under way together, each with
    // its DPOR state alive (a long exploration's thread grew to over 1 GB). What a task explores
    // does not depend on when it runs (run/plan.ts).
    let last: Promise<unknown> = Promise.resolve();
    return {
      watchdogMs: undefined,
      jobs: 1,
      run: <J extends Job>(j: J): Promise<Outcome<JobResult<J>>> => {
        const next = last.then(async () => ({ ok: (await runJob(j, o.spec)) as JobResult<J> }));
        last = next.catch(() => {});
        return next;
      },
      close: async () => {},
    };
  }
  // The pool (and its workers' module loading) is paid for at the first job.
  let pool: Piscina | null = null;
  const threads = Math.max(1, Math.min(o.jobs, availableParallelism() * 2));
  // A watched job's heartbeat is 256 KiB of shared memory, and its watchdog a timer: made for
  // every job a plan launched at once (hundreds queued) and freed only when both threads had
  // collected them, they grew the process by ~1.5 MB/s. So at most two jobs per thread are handed
  // to the pool (one running, one ready to start), the rest wait here in order (p-limit's queue),
  // and the buffers of jobs that ended serve the next ones (a hung job's stays with its terminated
  // thread).
  const spare: SharedArrayBuffer[] = [];
  const handOver = pLimit(2 * threads);
  const get = (): Piscina => {
    pool ??= new Piscina({ filename: workerUrl(), maxThreads: threads, minThreads: threads });
    return pool;
  };
  return {
    watchdogMs: ms,
    jobs: o.jobs,
    async run<J extends Job>(j: J): Promise<Outcome<JobResult<J>>> {
      if (ms === undefined) {
        try {
          return { ok: (await get().run(j)) as JobResult<J> };
        } catch (e) {
          throw ownError(e);
        }
      }
      return handOver(async () => {
        const heartbeat = spare.pop() ?? heartbeatBuffer();
        resetHeartbeat(heartbeat);
        const abort = new AbortController();
        let hang: Hang | null = null;
        const stop = watch(heartbeat, ms, (h) => {
          hang = h;
          abort.abort();
        });
        try {
          const ok = (await get().run({ ...j, heartbeat }, { signal: abort.signal })) as JobResult<J>;
          spare.push(heartbeat);
          return { ok };
        } catch (e) {
          if (hang) return { hang };
          throw ownError(e);
        } finally {
          stop();
        }
      });
    },
    close: async () => {
      if (pool) await pool.close();
    },
  };
}
