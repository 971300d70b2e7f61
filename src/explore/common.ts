/**
 * Shared pieces of the exploration strategies: the run function they drive,
 * run control signals, footprints (dependency sets) and the preemption/fault
 * meter. Everything here sees only sim/'s choice points.
 */
import type { ChoicePoint, HeldCpu, RunResult, StepRecord, Strategy } from '../sim/index.js';
import {
  ACCESS_ACQUIRE,
  ACCESS_ACQUIRE_SHARED,
  ACCESS_READ,
  ACCESS_RELEASE,
  ACCESS_WRITE,
  isPreemption,
} from '../sim/index.js';

/** Runs the scenario once under a strategy (the CLI builds it; explore/ never sees the model). */
export type RunFn = (strategy: Strategy) => RunResult;

/** Thrown by a strategy (from choose() at a schedule point or from stepped()) to abandon a redundant run. */
export class StopRun extends Error {
  readonly reason: string;
  constructor(reason: string) {
    // A control signal thrown once per abandoned run: no stack trace to capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`run abandoned: ${reason}`);
    Error.stackTraceLimit = limit;
    this.reason = reason;
  }
}

/** A recorded choice does not fit the point the model reached (the model or its input changed). */
export class ChoiceMismatch extends Error {
  readonly index: number;
  constructor(index: number, detail: string) {
    super(`choice ${index}: ${detail}`);
    this.index = index;
  }
}

/** Masks of access kinds per object. */
const M_READ = 1 << ACCESS_READ;
const M_WRITE = 1 << ACCESS_WRITE;
const M_ACQ = 1 << ACCESS_ACQUIRE;
const M_ACQSH = 1 << ACCESS_ACQUIRE_SHARED;
const M_REL = 1 << ACCESS_RELEASE;
export const MASK = { READ: M_READ, WRITE: M_WRITE, ACQ: M_ACQ, ACQSH: M_ACQSH, REL: M_REL } as const;

/** A step's footprint: object id -> mask of access kinds. */
export type Footprint = Map<number, number>;

export function footprintOf(accesses: readonly number[]): Footprint {
  const fp: Footprint = new Map();
  for (let i = 0; i < accesses.length; i++) {
    const a = accesses[i] as number;
    const obj = Math.floor(a / 8);
    fp.set(obj, (fp.get(obj) ?? 0) | (1 << (a & 7)));
  }
  return fp;
}

export function mergeFootprint(into: Footprint, from: Footprint): void {
  for (const [o, m] of from) into.set(o, (into.get(o) ?? 0) | m);
}

/**
 * Whether two access masks on one object conflict: reads/writes when one is a
 * write; an exclusive acquisition with any acquisition. Releases conflict with
 * nothing (they only order later acquisitions).
 */
export function masksConflict(a: number, b: number): boolean {
  if (a & M_WRITE && b & (M_READ | M_WRITE)) return true;
  if (b & M_WRITE && a & M_READ) return true;
  if (a & M_ACQ && b & (M_ACQ | M_ACQSH)) return true;
  if (b & M_ACQ && a & M_ACQSH) return true;
  return false;
}

export function footprintsConflict(a: Footprint, b: Footprint): boolean {
  const small = a.size <= b.size ? a : b;
  const big = small === a ? b : a;
  for (const [o, m] of small) {
    const n = big.get(o);
    if (n !== undefined && masksConflict(m, n)) return true;
  }
  return false;
}

/** Counts preemptions and faults of a run while passing choices through. */
export class Meter implements Strategy {
  readonly inner: Strategy;
  preemptions = 0;
  faults = 0;
  constructor(inner: Strategy) {
    this.inner = inner;
  }
  choose(p: ChoicePoint): number {
    const v = this.inner.choose(p);
    if (p.kind === 'schedule') {
      if (isPreemption(p, v)) this.preemptions++;
    } else if (p.fault && v !== 0) this.faults++;
    return v;
  }
  stepped(s: StepRecord): void {
    this.inner.stepped?.(s);
  }
  ended(w: readonly StepRecord[], held?: readonly HeldCpu[]): void {
    this.inner.ended?.(w, held);
  }
}

/** The default continuation: keep running the current task, else the lowest enabled pid; no faults. */
export function nonPreemptive(p: ChoicePoint): number {
  if (p.kind === 'data') return 0;
  return p.currentEnabled ? p.current : (p.enabled[0] as number);
}
