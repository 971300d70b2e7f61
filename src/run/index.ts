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
import { ResultJsonSchema } from '../report/json.js';
import { TokenError } from '../report/token.js';
import type { KnobValue, Scenario } from '../scenarios/api.js';
import { UsageError } from '../scenarios/index.js';
import { type ExplorationRequest, type ResultJson, runExploration } from './exploration.js';
import { type CheckOptions, type CheckResult, runCheck } from './matrix.js';

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

export { type CatalogJson, CatalogJsonSchema } from '../report/json.js';
export { catalog } from './catalog.js';
export { type EstimateRequest, type SpaceEstimate, estimateSpace } from './estimate.js';
export { type ReplayOptions, replay } from './replay-json.js';
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

/** `kernsim check`: the model's scenario × variant × config matrix against docs/verdicts.md. */
export async function check(opts: CheckOptions = {}): Promise<CheckResult> {
  return runCheck(opts);
}
