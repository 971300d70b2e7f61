/**
 * The fleet (`npm run bench -- fleet`): executions/s of one DPOR exploration on this machine with
 * 1 and 2 `kernsim fleet work --jobs 1` processes against the same exploration in one process
 * (--jobs 1), the queue's overhead per subtree (the fleet's extra wall time with one worker, per
 * task), and a BullMQ round trip of an empty job. Needs redis-server (scripts/ensure-redis.sh);
 * started on a free port and stopped afterwards. Timings vary with the machine's load: repeats.
 *
 *   KERNSIM_FLEET_CELL=scenario/variant/config  the cell (default destroy-race/upstream/nonrt)
 *   KERNSIM_FLEET_REPEATS=n                     repeats (default 2)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { fleetExplore } from '../src/fleet/fleet.js';
import { runExploration } from '../src/run/exploration.js';
import { skip, startRedis } from '../test/fleet/helpers.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../bin/kernsim.js');

function workers(url: string, n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    spawn(process.execPath, [BIN, 'fleet', 'work', '--redis', url, '--jobs', '1'], { stdio: 'ignore' }),
  );
}

async function stop(ws: ChildProcess[]): Promise<void> {
  await Promise.all(
    ws.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.once('exit', () => resolve());
          w.kill('SIGTERM');
        }),
    ),
  );
}

export default async function main(): Promise<void> {
  if (skip) {
    console.log(`fleet: skipped: ${skip}`);
    return;
  }
  const [scenario, variant, config] = (process.env.KERNSIM_FLEET_CELL ?? 'destroy-race/upstream/nonrt').split('/');
  const repeats = Number(process.env.KERNSIM_FLEET_REPEATS ?? 2);
  const req = { scenario: scenario as string, variant, config, shrink: false };
  const redis = await startRedis();
  const conn = () => {
    const c = new Redis(redis.url, { maxRetriesPerRequest: null });
    c.on('error', () => {});
    return c;
  };
  const admin = new Queue('kernsim', { connection: conn() });
  try {
    const rows: string[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const one = await runExploration({ ...req, jobs: 1 });
      rows.push(
        `one process, --jobs 1: ${one.executions} executions in ${(one.elapsed_ms / 1000).toFixed(2)} s = ${Math.round(one.executions / (one.elapsed_ms / 1000))} exec/s`,
      );
      for (const n of [1, 2]) {
        await admin.obliterate({ force: true });
        const ws = workers(redis.url, n);
        while ((await admin.getWorkersCount()) < n) await new Promise((r) => setTimeout(r, 50));
        const t0 = performance.now();
        // A fresh run id each time (the seed is not used by dpor but is part of the request): no cached results.
        const r = await fleetExplore({ ...req, seed: 1000 + rep * 10 + n }, { redis: redis.url });
        const s = (performance.now() - t0) / 1000;
        const tasks = await admin.getCompletedCount();
        await stop(ws);
        rows.push(
          `fleet, ${n} worker${n > 1 ? 's' : ''} (--jobs 1 each): ${r.executions} executions, ${tasks} subtrees in ${s.toFixed(2)} s = ${Math.round(r.executions / s)} exec/s` +
            (n === 1
              ? `; queue overhead ${(((s - one.elapsed_ms / 1000) / tasks) * 1000).toFixed(1)} ms per subtree (against one process)`
              : ''),
        );
      }
    }
    // An empty job's round trip (add, a worker takes it, the result comes back), one at a time.
    await admin.obliterate({ force: true });
    const events = new QueueEvents('rtt', { connection: conn() });
    const q = new Queue('rtt', { connection: conn() });
    const w = new Worker('rtt', async () => 1, { connection: conn() });
    await events.waitUntilReady();
    const k = 200;
    const t0 = performance.now();
    for (let i = 0; i < k; i++) await (await q.add('x', {})).waitUntilFinished(events);
    rows.push(`BullMQ round trip of an empty job: ${((performance.now() - t0) / k).toFixed(2)} ms`);
    await w.close();
    await q.close();
    await events.close();
    console.log(`fleet on ${scenario}/${variant}/${config} (dpor, preemptions 2, faults 1, no shrinking):`);
    for (const r of rows) console.log(`  ${r}`);
  } finally {
    await admin.close();
    await redis.stop();
  }
}
