/** Piscina worker of `kernsim fleet work --jobs N` (fleet.ts): one fleet job (a subtree task or a check cell). */
import type { ResultJson } from '../report/json.js';
import { type ExplorationRequest, runExploration } from '../run/exploration.js';
import { type WorkerResult, type WorkerTask, runTask } from '../run/worker.js';

export type PoolJob =
  | { readonly kind: 'task'; readonly task: WorkerTask }
  | { readonly kind: 'cell'; readonly req: ExplorationRequest };

export async function runJob(j: PoolJob): Promise<WorkerResult | ResultJson> {
  return j.kind === 'task' ? runTask(j.task) : runExploration({ ...j.req, jobs: 1 });
}

export default runJob;
