/**
 * Replaying a token: the run it names, on the current model, checked against
 * the token's digest and report index.
 */
import { StopRun } from '../explore/common.js';
import { replayRun } from '../explore/explorer.js';
import { TokenError, decodeToken } from '../report/token.js';
import type { Scenario } from '../scenarios/api.js';
import type { Report } from '../sim/index.js';
import { runnerFor } from './session.js';
import { specForToken } from './tokens.js';

export interface ReplayOutcome {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
  readonly report: Report | null;
  readonly steps: number;
  readonly end: string;
  readonly digest: string;
}

/** Replays a token; throws TokenError (malformed / does not fit) or UsageError. */
export async function replayToken(token: string, scenarioFile?: string | Scenario): Promise<ReplayOutcome> {
  const t = decodeToken(token);
  const spec = await specForToken(t, scenarioFile);
  let out: ReturnType<typeof replayRun>;
  try {
    out = replayRun(runnerFor(spec), t.choices, t.prelude);
  } catch (e) {
    if (e instanceof StopRun) throw new TokenError(`token does not fit the current model: ${e.message}`);
    throw e;
  }
  if (out.mismatch || !out.result)
    throw new TokenError(`token does not fit the current model: ${out.mismatch?.message ?? 'no run'}`);
  const r = out.result;
  if (r.digest !== t.digest)
    throw new TokenError(
      `token does not fit the current model: the run's digest is ${r.digest}, the token was recorded with ${t.digest} (the model or kernsim changed)`,
    );
  const report = t.reportIndex >= 0 ? (r.reports[t.reportIndex] ?? null) : null;
  if (t.reportIndex >= 0 && !report)
    throw new TokenError(`token does not fit the current model: the run has no report #${t.reportIndex}`);
  return {
    scenario: spec.scenarioRef,
    variant: spec.variant?.name ?? null,
    config: spec.configName,
    report,
    steps: r.steps,
    end: r.end,
    digest: r.digest,
  };
}

export { TokenError };
