/**
 * A run's fingerprint, step by step: the task that ran, its footprint, the
 * values it wrote and the reports it made. Two runs of the same choices must
 * have equal fingerprints (run/determinism.ts); firstDifference() names the
 * first step where they do not.
 */
import {
  type Machine,
  type Report,
  type RunResult,
  type SimEvent,
  allocationOf,
  getAccessObserver,
  setAccessObserver,
} from '../sim/index.js';

export interface StepPrint {
  readonly pid: number;
  readonly comm: string;
  /** Hash of the step's footprint. */
  readonly footprint: number;
  /** Hash of the values the step wrote. */
  readonly values: number;
  /** The reports the step made (title and text). */
  readonly reports: string;
}

function mixStr(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return x;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function mixValue(h: number, v: unknown): number {
  let x = h;
  switch (typeof v) {
    case 'number':
      f64[0] = v;
      x = Math.imul(x ^ (u32[0] as number), 0x01000193) >>> 0;
      return Math.imul(x ^ (u32[1] as number), 0x01000193) >>> 0;
    case 'string':
      return mixStr(Math.imul(x ^ 1, 0x01000193) >>> 0, v);
    case 'boolean':
      return Math.imul(x ^ (v ? 2 : 3), 0x01000193) >>> 0;
    case 'bigint':
      return mixStr(Math.imul(x ^ 4, 0x01000193) >>> 0, v.toString());
    case 'undefined':
      return Math.imul(x ^ 5, 0x01000193) >>> 0;
    default: {
      if (v === null) return Math.imul(x ^ 6, 0x01000193) >>> 0;
      // A pointer: the allocation it points to (ids are the same in equal runs).
      const a = typeof v === 'object' ? allocationOf(v) : undefined;
      return Math.imul(x ^ (a ? 0x100 + a.id : 7), 0x01000193) >>> 0;
    }
  }
}

/** What every step of one run did. */
export class Fingerprint {
  readonly steps: StepPrint[] = [];
  /** The reports made after the last step (end-of-run checks, finish()) and how the run ended. */
  end = '';
  result: RunResult | null = null;
  private values = 0x811c9dc5;
  private reports: string[] = [];

  install(m: Machine): void {
    const prev = getAccessObserver(m);
    setAccessObserver(m, (a) => {
      if (a.write) this.values = mixValue(mixValue(this.values, a.id), a.after);
      prev?.(a);
    });
    m.observers.push((ev: SimEvent) => {
      if (ev.type === 'report') {
        const r = (ev as SimEvent & { report: Report }).report;
        this.reports.push(`${r.title}\n${r.text}`);
      }
    });
    m.stepHooks.push((pid, accesses) => {
      let fp = 0x811c9dc5;
      for (let i = 0; i < accesses.length; i++) fp = Math.imul(fp ^ (accesses[i] as number), 0x01000193) >>> 0;
      this.steps.push({
        pid,
        comm: m.task(pid)?.comm ?? '?',
        footprint: fp,
        values: this.values,
        reports: this.reports.join('\n'),
      });
      this.values = 0x811c9dc5;
      this.reports = [];
    });
  }

  finish(r: RunResult): void {
    this.result = r;
    this.end = `${r.end}\n${this.reports.join('\n')}`;
  }
}

/** The first difference between two fingerprints of the same choices, in words (null: none). */
export function firstDifference(a: Fingerprint, b: Fingerprint): string | null {
  const n = Math.min(a.steps.length, b.steps.length);
  for (let i = 0; i < n; i++) {
    const x = a.steps[i] as StepPrint;
    const y = b.steps[i] as StepPrint;
    const who = `step ${i} (pid ${x.pid}, ${x.comm})`;
    if (x.pid !== y.pid)
      return `step ${i}: pid ${x.pid} (${x.comm}) ran in one run, pid ${y.pid} (${y.comm}) in the other`;
    if (x.footprint !== y.footprint) return `${who}: the step accessed different memory or locks`;
    if (x.values !== y.values) return `${who}: the step wrote different values`;
    if (x.reports !== y.reports)
      return `${who}: the step's reports differ:\n    ${firstLine(x.reports)}\n    ${firstLine(y.reports)}`;
  }
  if (a.steps.length !== b.steps.length) return `step ${n}: one run ended after ${n} steps, the other went on`;
  if (a.end !== b.end) return `the end of the run (after step ${n}): the end-of-run reports differ`;
  return null;
}

function firstLine(s: string): string {
  const l = s.split('\n');
  return l.length > 1 ? `${l[0]}: ${l.slice(1).find((x) => x.trim() !== '') ?? ''}` : (l[0] ?? '');
}
