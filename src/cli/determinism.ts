/**
 * The determinism check: the same scenario, config and choices must give the
 * same run, step by step. After an exploration, every finding's run (its
 * prelude and choices) and a seeded sample of random runs are each run twice
 * on fresh sessions with a fingerprint of every step: the task that ran, its
 * footprint, the values it wrote and the reports it made (their text). A
 * finding's report must also read as the exploration found it. A difference
 * is a finding ("kernsim: non-deterministic model in …") naming the first
 * step where the two runs differ. (The explorer's own check compares the
 * machine's digest, which covers the schedule and footprints only.)
 */
import { ChoiceMismatch } from '../explore/common.js';
import { type Finding, NONDET_KIND, nondeterminismTitle } from '../explore/explorer.js';
import { SeededWalk } from '../explore/random.js';
import { Replay } from '../explore/replay.js';
import {
  type Machine,
  type Report,
  type RunResult,
  type SimEvent,
  type Strategy,
  allocationOf,
  getAccessObserver,
  setAccessObserver,
} from '../sim/index.js';
import { type RunSpec, createSession, execute } from './harness.js';

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

/** Runs prelude + choices (or a strategy) on a fresh session with a fingerprint. */
function printRun(
  spec: RunSpec,
  prelude: readonly (readonly number[])[],
  strategy: Strategy,
): { fp: Fingerprint; error: string | null } {
  const session = createSession(spec);
  const fp = new Fingerprint();
  try {
    for (const p of prelude) execute(session, new Replay(p));
    execute(session, strategy, { fingerprint: fp });
  } catch (e) {
    if (e instanceof ChoiceMismatch) return { fp, error: `after step ${fp.steps.length}: ${e.message}` };
    throw e;
  }
  if (strategy instanceof Replay && !strategy.exact())
    return { fp, error: `the run used ${strategy.consumed} of ${strategy.choices.length} recorded choices` };
  return { fp, error: null };
}

function nondetFinding(
  spec: RunSpec,
  choices: readonly number[],
  prelude: readonly (readonly number[])[],
  what: string,
  detail: string,
): Finding {
  const title = nondeterminismTitle(spec.scenario.name);
  const text = [
    title,
    'The same choices did not give the same run: the model depends on something outside the',
    'simulated machine (Math.random, Date.now, iteration over a structure keyed by object identity,',
    'state kept across runs) or its setup is not repeatable.',
    `  ${what}, run twice: the runs first differ at ${detail}`,
    `  choices: ${choices.join(',')}`,
  ].join('\n');
  return {
    title,
    kind: NONDET_KIND,
    report: { kind: NONDET_KIND, title, text, step: 0, pid: 0 },
    reportIndex: -1,
    choices: [...choices],
    prelude: prelude.map((p) => [...p]),
    digest: '',
    preemptions: 0,
    faults: 0,
    steps: 0,
    execution: 0,
  };
}

export interface DeterminismOptions {
  /** Random runs sampled (each run twice). */
  readonly samples?: number;
  readonly seed?: number;
  readonly faults?: number;
}

/** Checks the findings' runs and a seeded sample of runs; returns the non-determinism finding, if any. */
export function checkDeterminism(
  spec: RunSpec,
  findings: readonly Finding[],
  opts: DeterminismOptions = {},
): Finding | null {
  for (const f of findings) {
    if (f.kind === NONDET_KIND) return null;
    const a = printRun(spec, f.prelude, new Replay(f.choices));
    const b = printRun(spec, f.prelude, new Replay(f.choices));
    const what = `the run of finding '${f.title}'`;
    const d = a.error ?? b.error ?? firstDifference(a.fp, b.fp);
    if (d !== null) return nondetFinding(spec, f.choices, f.prelude, what, d);
    if (f.reportIndex >= 0) {
      const rep = a.fp.result?.reports[f.reportIndex];
      if (!rep || rep.text !== f.report.text || rep.title !== f.title) {
        const step = rep ? `step ${rep.step}` : 'its end';
        return nondetFinding(
          spec,
          f.choices,
          f.prelude,
          what,
          `${step}: its report does not read as when it was found`,
        );
      }
    }
  }
  const n = opts.samples ?? 2;
  for (let i = 0; i < n; i++) {
    const a = printRun(spec, [], new SeededWalk(((opts.seed ?? 1) * 7919 + i) >>> 0, opts.faults ?? 1));
    if (a.error) continue;
    const choices = a.fp.result?.choices ?? [];
    const b = printRun(spec, [], new Replay(choices));
    const d = b.error ?? firstDifference(a.fp, b.fp);
    if (d !== null) return nondetFinding(spec, choices, [], `sampled random run #${i + 1}`, d);
  }
  return null;
}
