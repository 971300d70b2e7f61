/** Piscina worker for `kernsim check`: one matrix cell, explored on one thread. */
import { type ExplorationRequest, type ResultJson, runExploration } from './exploration.js';

export default async function runCell(req: ExplorationRequest): Promise<ResultJson> {
  return runExploration({ ...req, jobs: 1 });
}
