/** --jobs N: parallel exploration (placeholder: runs the same exploration inline until the pool lands). */
import { explore, type ExploreResult } from '../explore/explorer.js';
import type { RunSpec } from './harness.js';
import { type ExplorationRequest, makeSearch, runnerFor } from './run-exploration.js';

export async function exploreParallel(spec: RunSpec, req: ExplorationRequest, _jobs: number): Promise<ExploreResult> {
  return explore(makeSearch(req), runnerFor(spec), {
    scenario: spec.scenario.name,
    ...(req.budget !== undefined ? { budget: req.budget } : {}),
    ...(req.timeSeconds !== undefined ? { timeMs: req.timeSeconds * 1000 } : {}),
    fresh: () => runnerFor(spec),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
  });
}
