/**
 * replay(), kernsim/explore's verb for `kernsim replay`: a token replayed on the current model,
 * as the JSON `replay --json` prints. Apart from run/index.ts so that the command imports it
 * without the library's schemas (report/json.ts: zod, loaded at every start-up otherwise).
 */
import type { ReplayJson } from '../report/json.js';
import { decodeToken } from '../report/token.js';
import type { Scenario } from '../scenarios/api.js';
import { makeExecutor } from './executor.js';
import { type ReplayOutcome, replayToken } from './replay.js';
import { specForToken } from './tokens.js';
import { hangFinding } from './watchdog.js';

/** replay()'s options. */
export interface ReplayOptions {
  /** The scenario to replay on (a file path, or the object a token of an in-memory scenario needs). */
  readonly scenario?: string | Scenario | undefined;
  /** Replay on a watched thread: a run that hangs is reported as the watchdog's finding. */
  readonly watchdogMs?: number | undefined;
}

/** Replays a token on the current model: the run's report (null for a clean run). */
export async function replay(token: string, opts: ReplayOptions = {}): Promise<ReplayJson> {
  const sc = opts.scenario;
  const watched = opts.watchdogMs !== undefined && typeof sc !== 'object';
  let out: ReplayOutcome;
  if (!watched) out = await replayToken(token, sc);
  else {
    // The token and its scenario are checked here (loading the file runs none of the model).
    const spec = await specForToken(decodeToken(token), sc);
    const ex = makeExecutor({ jobs: 1, watchdogMs: opts.watchdogMs });
    try {
      const r = await ex.run({ kind: 'replay', token, scenarioFile: sc as string | undefined });
      if (r.ok) out = r.ok;
      else {
        const f = hangFinding(spec.scenario.name, r.hang, opts.watchdogMs as number);
        return {
          version: 1,
          scenario: spec.scenarioRef,
          variant: spec.variant?.name ?? null,
          config: spec.configName,
          steps: 0,
          end: 'watchdog',
          digest: '0000000000000000',
          finding: { title: f.title, kind: f.kind, report: f.report.text },
        };
      }
    } finally {
      await ex.close();
    }
  }
  return {
    version: 1,
    scenario: out.scenario,
    variant: out.variant,
    config: out.config,
    steps: out.steps,
    end: out.end,
    digest: out.digest,
    finding: out.report ? { title: out.report.title, kind: out.report.kind, report: out.report.text } : null,
  };
}
