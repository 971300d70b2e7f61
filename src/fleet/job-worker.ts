/**
 * Piscina worker of `kernsim fleet work --jobs N` (fleet.ts): one check cell of a fleet check.
 * (A fleet exploration's subtree tasks run on the pool's worker, through run/executor.ts.)
 */
import type { ResultJson } from '../report/json.js';
import { type ExplorationRequest, runExploration } from '../run/exploration.js';

export interface PoolJob {
  readonly kind: 'cell';
  readonly req: ExplorationRequest;
}

export async function runJob(j: PoolJob): Promise<ResultJson> {
  return runExploration({ ...j.req, jobs: 1 });
}

export default runJob;
