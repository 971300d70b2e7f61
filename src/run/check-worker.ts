/** Piscina worker for `kernsim check`: one matrix cell, explored on one thread (beating on the cell's heartbeat). */
import { type ExplorationRequest, type ResultJson, runExploration } from './exploration.js';
import { adoptHeartbeat } from './heartbeat.js';

export default async function runCell(
  req: ExplorationRequest & { heartbeat?: SharedArrayBuffer },
): Promise<ResultJson> {
  const { heartbeat, ...cell } = req;
  const restore = adoptHeartbeat(heartbeat);
  try {
    return await runExploration({ ...cell, jobs: 1 });
  } finally {
    restore();
  }
}
