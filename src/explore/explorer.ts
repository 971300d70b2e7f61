/**
 * The exploration loop: drives a search strategy over a run function,
 * collects findings (deduplicated by title, first failing run kept), enforces
 * the execution and wall-time budgets, says whether the bounded space was
 * exhausted, and checks that the model is deterministic (replaying a run's
 * choices must give the same digest).
 */
import type { Report, RunResult } from '../sim/index.js';
import { ChoiceMismatch, Meter, type RunFn, StopRun } from './common.js';
import { Replay } from './replay.js';
import type { SearchStrategy } from './search.js';

export interface Finding {
  readonly title: string;
  readonly kind: string;
  readonly report: Report;
  /** Index of the report in its run's reports. */
  readonly reportIndex: number;
  /** The first failing run's choices and the earlier runs it depends on. */
  readonly choices: readonly number[];
  readonly prelude: readonly (readonly number[])[];
  readonly digest: string;
  readonly preemptions: number;
  readonly faults: number;
  readonly steps: number;
  /** 1-based index of the execution that found it. */
  readonly execution: number;
}

export interface Progress {
  readonly executions: number;
  readonly steps: number;
  readonly findings: number;
  readonly elapsedMs: number;
  readonly fraction: number | undefined;
}

export interface ExploreOptions {
  /** Name used in the non-determinism finding's title. */
  readonly scenario: string;
  /** Stop after this many executions. */
  readonly budget?: number;
  /** Stop after this many milliseconds. */
  readonly timeMs?: number;
  /** Builds a run function with a fresh session (for determinism checks); default: none. */
  readonly fresh?: () => RunFn;
  /**
   * Whether the first run is replayed for the determinism check even without a finding (default
   * true; a subtree task of a parallel exploration leaves it to the exploration's first task).
   */
  readonly checkFirst?: boolean;
  readonly onProgress?: (p: Progress) => void;
  /** Milliseconds between progress callbacks. */
  readonly progressEveryMs?: number;
  /** Checked at every run boundary: true stops the exploration ('interrupted': Ctrl-C). */
  readonly shouldStop?: () => boolean;
}

export interface ExploreResult {
  readonly strategy: string;
  readonly executions: number;
  readonly steps: number;
  /** True only when the strategy exhausted its bounded space. */
  readonly complete: boolean;
  /** What stopped an incomplete exploration. */
  readonly stoppedBy: 'budget' | 'time' | 'nondeterminism' | 'not-exhaustive' | 'cut-runs' | 'interrupted' | null;
  readonly findings: readonly Finding[];
  /** Runs abandoned as redundant (sleep-set blocked) or over a bound. */
  readonly abandoned: number;
  /**
   * Runs cut at the step limit that no liveness checker explained (RunResult.cut): what they would
   * have done next was not explored, so an exploration with any is never complete.
   */
  readonly cut: number;
  readonly elapsedMs: number;
  readonly stats: Record<string, number | string>;
}

export const NONDET_KIND = 'oops';

export function nondeterminismTitle(scenario: string): string {
  return `kernsim: non-deterministic model in ${scenario}`;
}

/** Replays choices (after the prelude runs) on `run`; returns the result, or the mismatch. */
export function replayRun(
  run: RunFn,
  choices: readonly number[],
  prelude: readonly (readonly number[])[] = [],
): { result: RunResult | null; mismatch: ChoiceMismatch | null; preemptions: number; faults: number } {
  for (const pc of prelude) {
    const r = new Replay(pc);
    try {
      run(r);
    } catch (e) {
      if (e instanceof ChoiceMismatch) return { result: null, mismatch: e, preemptions: 0, faults: 0 };
      throw e;
    }
    if (!r.exact())
      return {
        result: null,
        mismatch: r.mismatch ?? new ChoiceMismatch(r.consumed, 'a prelude run used fewer choices than recorded'),
        preemptions: 0,
        faults: 0,
      };
  }
  const rp = new Replay(choices);
  const m = new Meter(rp);
  let result: RunResult;
  try {
    result = run(m);
  } catch (e) {
    if (e instanceof ChoiceMismatch) return { result: null, mismatch: e, preemptions: 0, faults: 0 };
    throw e;
  }
  if (!rp.exact())
    return {
      result: null,
      mismatch:
        rp.mismatch ??
        new ChoiceMismatch(rp.consumed, `the run used ${rp.consumed} of ${choices.length} recorded choices`),
      preemptions: m.preemptions,
      faults: m.faults,
    };
  return { result, mismatch: null, preemptions: m.preemptions, faults: m.faults };
}

function nondetFinding(scenario: string, choices: readonly number[], detail: string, execution: number): Finding {
  const title = nondeterminismTitle(scenario);
  const text = [
    `kernsim: ${title.slice('kernsim: '.length)}`,
    'The same choices did not give the same run: the model depends on something outside the',
    'simulated machine (Math.random, Date.now, iteration over a structure keyed by object identity,',
    'state kept across runs) or its setup is not repeatable.',
    `  ${detail}`,
    `  choices: ${choices.join(',')}`,
  ].join('\n');
  return {
    title,
    kind: NONDET_KIND,
    report: { kind: NONDET_KIND, title, text, step: 0, pid: 0 },
    reportIndex: -1,
    choices: [...choices],
    prelude: [],
    digest: '',
    preemptions: 0,
    faults: 0,
    steps: 0,
    execution,
  };
}

export function explore(search: SearchStrategy, run: RunFn, opts: ExploreOptions): ExploreResult {
  const t0 = performance.now();
  const budget = opts.budget ?? Number.POSITIVE_INFINITY;
  const deadline = opts.timeMs !== undefined ? t0 + opts.timeMs : Number.POSITIVE_INFINITY;
  const every = opts.progressEveryMs ?? 100;
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let executions = 0;
  let steps = 0;
  let abandoned = 0;
  let cut = 0;
  let complete = false;
  let stoppedBy: ExploreResult['stoppedBy'] = null;
  let lastProgress = t0;
  let checkedFirst = opts.checkFirst === false;

  const check = (r: RunResult, prelude: readonly (readonly number[])[], execution: number): boolean => {
    if (!opts.fresh) return true;
    const again = replayRun(opts.fresh(), r.choices, prelude);
    const detail = again.mismatch
      ? `replaying execution ${execution}: ${again.mismatch.message}`
      : again.result && again.result.digest !== r.digest
        ? `replaying execution ${execution} gave digest ${again.result.digest}, not ${r.digest}`
        : null;
    if (detail === null) return true;
    findings.push(nondetFinding(opts.scenario, r.choices, detail, execution));
    return false;
  };

  for (;;) {
    if (executions >= budget) {
      stoppedBy = 'budget';
      break;
    }
    if (deadline !== Number.POSITIVE_INFINITY && performance.now() >= deadline) {
      stoppedBy = 'time';
      break;
    }
    if (opts.shouldStop?.()) {
      stoppedBy = 'interrupted';
      break;
    }
    const s = search.next();
    if (s === null) {
      complete = search.exhaustive && cut === 0;
      if (!search.exhaustive) stoppedBy = 'not-exhaustive';
      else if (cut > 0) stoppedBy = 'cut-runs';
      break;
    }
    const meter = new Meter(s);
    let r: RunResult | null = null;
    try {
      r = run(meter);
    } catch (e) {
      if (e instanceof ChoiceMismatch) {
        executions++;
        findings.push(nondetFinding(opts.scenario, [], `replaying a prefix: ${e.message}`, executions));
        stoppedBy = 'nondeterminism';
        break;
      }
      if (!(e instanceof StopRun)) throw e;
      abandoned++;
    }
    search.done(r);
    executions++;
    if (r) {
      steps += r.steps;
      if (r.cut) cut++;
      let newOne = false;
      const reports = r.reports;
      for (let idx = 0; idx < reports.length; idx++) {
        const rep = reports[idx] as Report;
        if (seen.has(rep.title)) continue;
        seen.add(rep.title);
        newOne = true;
        findings.push({
          title: rep.title,
          kind: rep.kind,
          report: rep,
          reportIndex: idx,
          choices: [...r.choices],
          prelude: (rep.prelude ?? []).map((p) => [...p]),
          digest: r.digest,
          preemptions: meter.preemptions,
          faults: meter.faults,
          steps: r.steps,
          execution: executions,
        });
      }
      if ((newOne || !checkedFirst) && opts.fresh) {
        checkedFirst = true;
        const prelude = r.reports.find((x) => x.prelude)?.prelude ?? [];
        if (!check(r, prelude, executions)) {
          stoppedBy = 'nondeterminism';
          break;
        }
      }
    }
    if (opts.onProgress === undefined) continue;
    const now = performance.now();
    if (now - lastProgress >= every) {
      lastProgress = now;
      opts.onProgress({
        executions,
        steps,
        findings: findings.length,
        elapsedMs: now - t0,
        fraction: search.progress?.(),
      });
    }
  }
  return {
    strategy: search.name,
    executions,
    steps,
    complete,
    stoppedBy: complete ? null : stoppedBy,
    findings,
    abandoned,
    cut,
    elapsedMs: performance.now() - t0,
    stats: search.stats?.() ?? {},
  };
}
