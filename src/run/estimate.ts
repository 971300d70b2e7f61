/**
 * The size of a scenario's bounded space, estimated (explore/estimate.ts): for a cell no
 * exploration finishes, how many executions plain enumeration would need within the bounds.
 */
import { type SpaceEstimate, SpaceEstimator } from '../explore/estimate.js';
import { explore } from '../explore/explorer.js';
import type { Scenario } from '../scenarios/api.js';
import { UsageError } from '../scenarios/index.js';
import { type ExplorationRequest, checkRequest } from './exploration.js';
import { DEFAULTS } from './options.js';
import { runnerFor } from './session.js';
import { specFor } from './spec.js';

export type { SpaceEstimate } from '../explore/estimate.js';

/** The cell and bounds, as an exploration takes them (same defaults), and the number of sampled runs. */
export interface EstimateRequest
  extends Pick<ExplorationRequest, 'variant' | 'config' | 'sets' | 'params' | 'preemptions' | 'faults' | 'seed'> {
  /** Sampled runs. Default 1,000. */
  readonly samples?: number;
}

/** Estimates the leaves of the bounded enumeration tree of a scenario (on this thread). */
export async function estimateSpace(scenario: string | Scenario, req: EstimateRequest = {}): Promise<SpaceEstimate> {
  const samples = req.samples ?? 1000;
  if (!Number.isInteger(samples) || samples < 1) throw new UsageError('samples must be an integer >= 1');
  checkRequest({ ...req, scenario });
  const spec = await specFor(scenario, req.variant, req.config, req.sets ?? [], req.params ?? []);
  const est = new SpaceEstimator({
    seed: req.seed ?? DEFAULTS.seed,
    faults: req.faults ?? DEFAULTS.faults,
    preemptions: req.preemptions ?? DEFAULTS.preemptions,
  });
  explore(est, runnerFor(spec), { scenario: spec.scenario.name, budget: samples });
  return est.estimate();
}
