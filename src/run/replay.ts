/**
 * Replaying a token: the run it names, on the current model, checked against
 * the token's digest and report index.
 */
import { ChoiceMismatch, StopRun } from '../explore/common.js';
import { Replay } from '../explore/replay.js';
import { type TokenData, TokenError, decodeToken } from '../report/token.js';
import type { Scenario } from '../scenarios/api.js';
import type { Observer, Report, RunResult } from '../sim/index.js';
import { type ExecuteOptions, type Session, createSession, execute } from './session.js';
import type { RunSpec } from './spec.js';
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

export interface TokenRun {
  readonly token: TokenData;
  readonly spec: RunSpec;
  readonly result: RunResult;
}

export interface TokenRunOptions {
  readonly scenarioFile?: string | Scenario | undefined;
  /**
   * 'strict' (replay): the run must use exactly the token's choices; 'complete' (pictures): a
   * token whose choices end early (the base run's) goes on without preemptions or faults.
   */
  readonly tail?: 'strict' | 'complete';
  readonly trace?: boolean;
  readonly observers?: readonly Observer[];
}

function misfit(what: string): TokenError {
  return new TokenError(`token does not fit the current model: ${what}`);
}

/** One run on the token's session: its Replay must fit (strict), else a TokenError. */
function replayOn(
  session: Session,
  choices: readonly number[],
  o: TokenRunOptions,
  what: string,
  opts: ExecuteOptions = {},
): RunResult {
  const rp = new Replay(choices, { tail: o.tail ?? 'strict' });
  let r: RunResult;
  try {
    r = execute(session, rp, opts);
  } catch (e) {
    if (e instanceof ChoiceMismatch || e instanceof StopRun) throw misfit(e.message);
    throw e;
  }
  if ((o.tail ?? 'strict') === 'strict' && !rp.exact())
    throw misfit(rp.mismatch?.message ?? `${what} used ${rp.consumed} of ${choices.length} recorded choices`);
  return r;
}

/**
 * The one path from a token to its run (replay, --trace, --html): the spec the token names, its
 * prelude runs (untraced) on one session, then its run.
 */
export async function runToken(token: string, o: TokenRunOptions = {}): Promise<TokenRun> {
  const t = decodeToken(token);
  const spec = await specForToken(t, o.scenarioFile);
  const session = createSession(spec);
  for (const pc of t.prelude) replayOn(session, pc, o, 'a prelude run');
  const result = replayOn(session, t.choices, o, 'the run', {
    ...(o.trace !== undefined ? { trace: o.trace } : {}),
    ...(o.observers ? { observers: o.observers } : {}),
  });
  return { token: t, spec, result };
}

/** Replays a token; throws TokenError (malformed / does not fit) or UsageError. */
export async function replayToken(token: string, scenarioFile?: string | Scenario): Promise<ReplayOutcome> {
  const { token: t, spec, result: r } = await runToken(token, { scenarioFile });
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
