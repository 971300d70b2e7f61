/**
 * kernsim/explore: the library's verbs, the ones the commands call.
 *
 *   const r = await explore('selftest-lost-update', { preemptions: -1 });
 *   const r = await explore(myScenario, { variant: 'v2', config: 'rt', set: { idempotent_detach: false } });
 *   const again = await replay(r.findings[0].token);
 *   const matrix = await check({ scenarios: ['mrelease'] });
 *
 * Each takes a spec and returns a typed result: the JSON `kernsim … --json` prints (the zod
 * schemas below validate it). Bad input is a UsageError (one line); a token that does not fit the
 * model a TokenError. A scenario given as a defineScenario() object is explored on the calling
 * thread (worker threads load a scenario by name or file path).
 */
import { type ReplayJson, ResultJsonSchema } from '../report/json.js';
import { TokenError, decodeToken } from '../report/token.js';
import type { KnobValue, Scenario } from '../scenarios/api.js';
import { UsageError } from '../scenarios/index.js';
import { type ExplorationRequest, type ResultJson, runExploration } from './exploration.js';
import { type CheckOptions, type CheckResult, runCheck } from './matrix.js';
import { makeExecutor } from './executor.js';
import { type ReplayOutcome, replayToken } from './replay.js';
import { specForToken } from './tokens.js';
import { hangFinding } from './watchdog.js';

export {
  CheckCellJsonSchema,
  CheckJsonSchema,
  ExploreJsonSchema,
  FindingJsonSchema,
  ReplayJsonSchema,
  ResultJsonSchema,
  StrategyNameSchema,
} from '../report/json.js';
export type { CheckCellJson, CheckJson, FindingJson, JsonOutput, ReplayJson, ResultJson } from '../report/json.js';

export { type CatalogJson, CatalogJsonSchema, catalog } from './catalog.js';
export type { CellResult, CheckOptions, CheckResult } from './matrix.js';
export { DEFAULTS, type StrategyName } from './options.js';
export { TokenError, UsageError };
export { WATCHDOG_KIND, WATCHDOG_MS_DEFAULT } from './watchdog.js';
export { requestStop, resetStop, stopRequested } from './stop.js';

/** explore()'s options: ExplorationRequest without the scenario, knobs also as a record. */
export interface ExploreOptions extends Omit<ExplorationRequest, 'scenario' | 'sets'> {
  /** Knob overrides (`--set`): `['k=v']` or `{ k: v }`. */
  readonly set?: readonly string[] | Readonly<Record<string, KnobValue>>;
}

function setList(s: ExploreOptions['set']): string[] {
  if (s === undefined) return [];
  if (Array.isArray(s)) return [...(s as readonly string[])];
  return Object.entries(s as Readonly<Record<string, KnobValue>>).map(([k, v]) => `${k}=${String(v)}`);
}

/** Explores a scenario (a built-in name, a file path or a defineScenario() object). */
export async function explore(scenario: string | Scenario, opts: ExploreOptions = {}): Promise<ResultJson> {
  const { set, ...rest } = opts;
  return ResultJsonSchema.parse(await runExploration({ ...rest, scenario, sets: setList(set) }));
}

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

/** `kernsim check`: the model's scenario × variant × config matrix against docs/verdicts.md. */
export async function check(opts: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(opts);
}
