/**
 * The watchdog's heartbeat, the side of the thread that runs the model: a few counters and the
 * current run's choices in shared memory, written as the run goes (run/session.ts wraps the
 * run's strategy), so that the thread watching it (run/watchdog.ts) sees a run that stopped
 * reaching scheduling points, and can name it with a token, even though this thread is then
 * stuck in model code and will never answer.
 */
import type { ChoicePoint, StepRecord, Strategy } from '../sim/index.js';

/** Slots of the heartbeat (Int32 indices). */
export const HB_TICKS = 0;
/** 1 while a run (setup, steps, finish) is under way. */
export const HB_IN_RUN = 1;
/** Choices the current run has made. */
export const HB_CHOICES = 2;
/** The pid the last schedule choice picked, or -1 once that task's step is over. */
export const HB_PID = 3;
/** Runs begun on this heartbeat. */
export const HB_RUNS = 4;
const HEADER = 8;
/** Choices kept per run (a run with more is reported without a token). */
export const HB_CHOICES_MAX = 1 << 16;

export function heartbeatBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer((HEADER + HB_CHOICES_MAX) * 4);
}

/** Makes a buffer a job's thread is done with new again, for the next job (the choices past HB_CHOICES are never read). */
export function resetHeartbeat(b: SharedArrayBuffer): void {
  new Int32Array(b, 0, HEADER).fill(0);
}

/** The choices of the current run, as far as they fit (null: more than HB_CHOICES_MAX). */
export function heartbeatChoices(hb: Int32Array): number[] | null {
  const n = Atomics.load(hb, HB_CHOICES);
  if (n > HB_CHOICES_MAX) return null;
  return Array.from(hb.subarray(HEADER, HEADER + n));
}

let beat: Int32Array | null = null;

/**
 * Makes this thread's runs beat on `b` (a pool task's buffer) until the returned function
 * restores what was there; none: the thread's heartbeat stays (a job run inline within a watched
 * one beats on the outer one's).
 */
export function adoptHeartbeat(b: SharedArrayBuffer | undefined): () => void {
  if (!b) return () => {};
  const prev = beat;
  beat = new Int32Array(b);
  return () => {
    beat = prev;
  };
}

/** The strategy of a run, wrapped to beat at every step and record every choice (no heartbeat: itself). */
export function beating(s: Strategy): Strategy {
  const hb = beat;
  if (!hb) return s;
  Atomics.add(hb, HB_RUNS, 1);
  Atomics.store(hb, HB_CHOICES, 0);
  Atomics.store(hb, HB_PID, -1);
  const w: Strategy = {
    choose(p: ChoicePoint): number {
      const v = s.choose(p);
      const n = Atomics.add(hb, HB_CHOICES, 1);
      if (n < HB_CHOICES_MAX) hb[HEADER + n] = v;
      if (p.kind !== 'data') Atomics.store(hb, HB_PID, v);
      Atomics.add(hb, HB_TICKS, 1);
      return v;
    },
    stepped(r: StepRecord): void {
      Atomics.store(hb, HB_PID, -1);
      Atomics.add(hb, HB_TICKS, 1);
      s.stepped?.(r);
    },
  };
  // Everything the machine tells the strategy at the end goes through unchanged.
  if (s.ended) w.ended = (...end) => s.ended?.(...end);
  return w;
}

/** Brackets a run: the watchdog only counts time while one is under way. */
export function runUnderWay(on: boolean): void {
  if (!beat) return;
  Atomics.add(beat, HB_TICKS, 1);
  Atomics.store(beat, HB_IN_RUN, on ? 1 : 0);
}
