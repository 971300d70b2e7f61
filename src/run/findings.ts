/**
 * Explored findings as the JSON findings of a result: each with its token and, unless disabled,
 * a shrunk token (the same bug with fewer preemptions, faults and steps).
 */
import type { Finding } from '../explore/explorer.js';
import { shrink } from '../explore/shrink.js';
import type { FindingJson } from '../report/json.js';
import { runnerFor } from './session.js';
import type { RunSpec } from './spec.js';
import { tokenFor } from './tokens.js';

/** Turns explored findings into JSON findings (with tokens and, unless disabled, shrunk tokens). */
export function findingsJson(spec: RunSpec, fs: readonly Finding[], doShrink: boolean): FindingJson[] {
  const fresh = () => runnerFor(spec);
  return fs.map((f) => {
    const token = tokenFor(spec, f.choices, f.prelude, f.reportIndex, f.digest);
    let shrunkToken = token;
    let sh = { preemptions: f.preemptions, faults: f.faults, steps: f.steps };
    if (
      doShrink &&
      f.reportIndex >= 0 &&
      f.prelude.length === 0 &&
      (f.preemptions > 0 || f.faults > 0 || f.steps > 1)
    ) {
      const s = shrink(f, fresh);
      const better = s && (s.preemptions - f.preemptions || s.faults - f.faults || s.steps - f.steps) < 0 ? s : null;
      if (better) {
        shrunkToken = tokenFor(spec, better.choices, [], better.reportIndex, better.digest);
        sh = { preemptions: better.preemptions, faults: better.faults, steps: better.steps };
      }
    }
    return {
      title: f.title,
      kind: f.kind,
      token,
      report: f.report.text,
      shrunk_token: shrunkToken,
      execution: f.execution,
      preemptions: f.preemptions,
      faults: f.faults,
      steps: f.steps,
      shrunk: sh,
    };
  });
}
