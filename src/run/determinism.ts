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
import type { Strategy } from '../sim/index.js';
import { Fingerprint, firstDifference } from './fingerprint.js';
import { DEFAULTS } from './options.js';
import { createSession, execute } from './session.js';
import { WATCHDOG_KIND } from './watchdog.js';
import type { RunSpec } from './spec.js';

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
  // A run the watchdog stopped would hang again here: neither it nor a sampled run is re-run.
  if (findings.some((f) => f.kind === WATCHDOG_KIND)) return null;
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
    const a = printRun(
      spec,
      [],
      new SeededWalk(((opts.seed ?? DEFAULTS.seed) * 7919 + i) >>> 0, opts.faults ?? DEFAULTS.faults),
    );
    if (a.error) continue;
    const choices = a.fp.result?.choices ?? [];
    const b = printRun(spec, [], new Replay(choices));
    const d = b.error ?? firstDifference(a.fp, b.fp);
    if (d !== null) return nondetFinding(spec, choices, [], `sampled random run #${i + 1}`, d);
  }
  return null;
}
