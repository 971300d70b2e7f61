/**
 * The fleet (kernsim fleet run / fleet work on BullMQ + Redis): its result is the single-machine
 * run's, byte for byte (elapsed time aside); a worker SIGKILLed mid-job has its job run again
 * once the lock expires, with nothing lost or counted twice; a Redis that goes away ends the run
 * with one line and a state file from which the same command resumes; bad URLs and a stopped
 * Redis are one line and exit 2. Each test starts its own redis-server (test/fleet/helpers.ts).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { tmp } from '../cli/helpers.js';
import { readShardFile } from '../../src/fleet/format.js';
import { type ProxiedConnection, freePort, sameJson, skip, startKernsim, startProxy, startRedis } from './helpers.js';

const start = (args: readonly string[]) => startKernsim(args);

const kernsim = (args: readonly string[]) => start(args).done;

const worker = (url: string, ...more: string[]) =>
  start(['fleet', 'work', '--redis', url, '--jobs', '1', '--idle', '60', ...more]);

async function until(what: string, f: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await f())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The fleet's queue, seen from the test (closed with its connection). */
function queueOf(url: string): Queue & { shut(): Promise<void> } {
  const c = new Redis(url, { maxRetriesPerRequest: null });
  c.on('error', () => {});
  const q = new Queue('kernsim', { connection: c });
  q.on('error', () => {});
  return Object.assign(q, {
    async shut() {
      await q.close();
      c.disconnect();
    },
  });
}

const V2 = ['--scenario', 'simple-kvm-reap', '--variant', 'v2', '--config', 'rt'];

/** The run the Redis-going-away tests start (small: random, 4,000 runs) and its state file. */
const LOST_ARGS = ['--scenario', 'selftest-lost-update', '--strategy', 'random', '--budget', '4000', '--json'];
const stateFile = (): string => join(tmp('kernsim-fleet-'), 'state.ndjson');

/**
 * How `fleet run` must end once Redis is gone: exit 2 (null: killed, it hung), nothing on stdout,
 * the one line, and the state file holding the subtrees the line counts.
 */
function assertLostRun(r: { code: number | null; stdout: string; stderr: string }, state: string): void {
  assert.equal(r.code, 2, `exit ${r.code} (null: killed, it hung): ${r.stderr}`);
  const said = r.stderr.match(
    /^kernsim: fleet: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); (\d+) subtrees were done, saved in .*state\.ndjson: run the same command with --state .* to resume\n$/,
  );
  assert.ok(said, r.stderr);
  assert.equal(r.stdout, '');
  assert.equal(readShardFile(state, 'fleet').tasks.length, Number(said[1]));
}

/** `fleet work`'s one line once Redis is gone (exit 2). */
function assertLostWorker(r: { code: number | null; stderr: string }): void {
  assert.equal(r.code, 2, `exit ${r.code} (null: killed, it hung): ${r.stderr}`);
  assert.match(
    r.stderr,
    /^kernsim: fleet work: lost the connection to Redis at redis:\/\/127\.0\.0\.1:\d+ \(.*\); the jobs it held go back to the queue when their locks expire\n$/,
  );
}

test('a fleet run gives the single-machine result (explore, pct, check)', { skip }, async () => {
  const redis = await startRedis();
  const ws = [worker(redis.url), worker(redis.url)];
  try {
    const [f, one] = await Promise.all([
      kernsim(['fleet', 'run', '--redis', redis.url, ...V2, '--json']),
      kernsim(['explore', ...V2, '--json']),
    ]);
    assert.equal(f.code, one.code, f.stderr);
    assert.equal(sameJson(JSON.parse(f.stdout)), sameJson(JSON.parse(one.stdout)));
    // The text form too (the elapsed time aside), on the chunks of a sampling strategy.
    const pct = ['--scenario', 'selftest-lost-update', '--strategy', 'pct', '--budget', '800'];
    const [ft, onet] = await Promise.all([
      kernsim(['fleet', 'run', '--redis', redis.url, ...pct]),
      kernsim(['explore', ...pct]),
    ]);
    assert.equal(ft.code, onet.code, ft.stderr);
    const noTime = (s: string) => s.replace(/, [0-9.]+ s(;|$)/m, '$1');
    assert.equal(noTime(ft.stdout), noTime(onet.stdout));
    const cells = ['--scenario', 'simple-kvm-reap', '--variant', 'upstream'];
    const [fc, onec] = await Promise.all([
      kernsim(['fleet', 'run', '--redis', redis.url, '--check', ...cells, '--json']),
      kernsim(['check', ...cells, '--json']),
    ]);
    assert.equal(fc.code, onec.code, fc.stderr);
    assert.equal(sameJson(JSON.parse(fc.stdout)), sameJson(JSON.parse(onec.stdout)));
  } finally {
    for (const w of ws) w.child.kill('SIGTERM');
    await Promise.all(ws.map((w) => w.done));
    await redis.stop();
  }
});

test('a worker SIGKILLed mid-job: the job is run again after its lock expires, nothing lost or doubled', {
  skip,
}, async () => {
  const redis = await startRedis();
  const q = queueOf(redis.url);
  const a = worker(redis.url, '--lock-ms', '1000');
  let b: ReturnType<typeof worker> | undefined;
  try {
    const run = kernsim(['fleet', 'run', '--redis', redis.url, ...V2, '--json']);
    // Frozen (SIGSTOP) while it holds a job, so that the job read is the one it dies with.
    let killed: Awaited<ReturnType<Queue['getActive']>>[number] | undefined;
    await until('the first worker to hold a job', async () => {
      a.child.kill('SIGSTOP');
      killed = (await q.getActive())[0];
      if (!killed) a.child.kill('SIGCONT');
      return killed !== undefined;
    });
    a.child.kill('SIGKILL');
    assert.ok(killed?.id, 'the killed worker held a job');
    b = worker(redis.url, '--lock-ms', '1000');
    const [f, one] = await Promise.all([run, kernsim(['explore', ...V2, '--json'])]);
    assert.equal(f.code, one.code, f.stderr);
    const fr = JSON.parse(f.stdout);
    assert.equal(fr.results[0].executions, JSON.parse(one.stdout).results[0].executions, 'nothing lost or doubled');
    assert.equal(sameJson(fr), sameJson(JSON.parse(one.stdout)));
    // The job the killed worker held was run again (BullMQ found it stalled once its lock expired).
    const again = await q.getJob(killed.id);
    assert.equal(await again?.getState(), 'completed');
    assert.ok((again?.stalledCounter ?? 0) >= 1 || (again?.attemptsMade ?? 0) >= 1, 'the job was retried');
  } finally {
    b?.child.kill('SIGTERM');
    await b?.done;
    await q.shut();
    await redis.stop();
  }
});

test('Redis going away: one line, exit 2, a state file; the same command resumes from it', { skip }, async () => {
  const redis = await startRedis();
  const q = queueOf(redis.url);
  const state = stateFile();
  const w = worker(redis.url);
  const run = kernsim(['fleet', 'run', '--redis', redis.url, ...LOST_ARGS, '--state', state]);
  await until('some jobs to complete', async () => (await q.getCompletedCount()) >= 3);
  await q.shut();
  await redis.stop();
  const [r, wr] = await Promise.all([run, w.done]);
  assertLostRun(r, state);
  assertLostWorker(wr);
  // A fresh Redis (nothing of the first run in it): the state file has what was done.
  const again = await startRedis(redis.port);
  const w2 = worker(again.url);
  try {
    const [f, one] = await Promise.all([
      kernsim(['fleet', 'run', '--redis', again.url, ...LOST_ARGS, '--state', state]),
      kernsim(['explore', ...LOST_ARGS]),
    ]);
    assert.equal(f.code, one.code, f.stderr);
    assert.match(f.stderr, /resuming from .*state\.ndjson: [1-9]\d* subtrees done/);
    assert.equal(sameJson(JSON.parse(f.stdout)), sameJson(JSON.parse(one.stdout)));
  } finally {
    w2.child.kill('SIGTERM');
    await w2.done;
    await again.stop();
  }
});

test('Redis going away while a connection is between reconnection attempts: still one line, exit 2, a state file', {
  skip,
}, async () => {
  // Each kernsim connection retries on its own for a few seconds before it gives up (src/fleet/
  // redis.ts). The queue-events connection (the one that reads events: XREAD) and the worker's
  // blocking one (BZPOPMIN) are cut a while after the others, so that when the coordinator and the
  // worker learn Redis is gone they are still waiting to retry: closing such a connection used to
  // wait for an end that never comes, with nothing left to keep the process alive (exit 13,
  // nothing said).
  const redis = await startRedis();
  const proxy = await startProxy(redis.port);
  const q = queueOf(redis.url);
  const state = stateFile();
  const w = worker(proxy.url);
  const c = start(['fleet', 'run', '--redis', proxy.url, ...LOST_ARGS, '--state', state]);
  try {
    await until('some jobs to complete', async () => (await q.getCompletedCount()) >= 3);
    proxy.refuse();
    const late = (x: ProxiedConnection) => /xread|bzpopmin/i.test(x.sent());
    for (const p of proxy.connections) if (!late(p)) p.cut();
    // 1.5 s: out of step with the others' retries (200 ms, 400 ms, 800 ms, then 1 s apart).
    await new Promise((r) => setTimeout(r, 1500));
    for (const p of proxy.connections) p.cut();
    const [r, wr] = await Promise.all([c.done, w.done]);
    assertLostRun(r, state);
    assertLostWorker(wr);
  } finally {
    for (const p of proxy.connections) p.cut();
    c.child.kill('SIGKILL');
    w.child.kill('SIGKILL');
    await Promise.all([c.done, w.done]);
    await q.shut();
    await redis.stop();
  }
});

/**
 * Kills `child` (SIGKILL) if it has not exited after `ms`: a hang then fails the test (exit code
 * null) instead of holding the test process forever. A safety net, not a timing asserted.
 */
function killAfter(child: ReturnType<typeof start>['child'], ms: number): () => void {
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  return () => clearTimeout(t);
}

test('only the queue-events connection lost for good (the others still up): one line, exit 2, a state file', {
  skip,
}, async () => {
  // BullMQ's QueueEvents reads the 'completed'/'failed' events (XREAD) on its own duplicate of
  // the coordinator's client. A proxy (or NAT) that drops that long-lived connection and refuses
  // new ones, while the coordinator's other connections stay up: the coordinator must still say
  // the connection is lost (it would otherwise wait for job events that never come).
  const redis = await startRedis();
  const proxy = await startProxy(redis.port);
  const q = queueOf(redis.url);
  const state = stateFile();
  // The worker goes straight to Redis: only the coordinator's connections pass the proxy.
  const w = worker(redis.url);
  const c = start(['fleet', 'run', '--redis', proxy.url, ...LOST_ARGS, '--state', state]);
  const unguard = killAfter(c.child, 60_000);
  try {
    await until('some jobs to complete', async () => (await q.getCompletedCount()) >= 3);
    proxy.refuse();
    const xread = proxy.connections.filter((p) => /xread/i.test(p.sent()));
    assert.equal(xread.length, 1, 'one connection reads the events');
    for (const p of xread) p.cut();
    assertLostRun(await c.done, state);
  } finally {
    unguard();
    for (const p of proxy.connections) p.cut();
    c.child.kill('SIGKILL');
    w.child.kill('SIGKILL');
    await Promise.all([c.done, w.done]);
    await q.shut();
    await redis.stop();
  }
});

test("only a worker's blocking connection lost for good (its other one still up): one line, exit 2", {
  skip,
}, async () => {
  // The worker takes jobs (BZPOPMIN) on BullMQ's duplicate of its client: lost for good, the
  // worker can never take a job again, and must say so rather than wait forever.
  const redis = await startRedis();
  const proxy = await startProxy(redis.port);
  const w = start(['fleet', 'work', '--redis', proxy.url, '--jobs', '1']);
  const unguard = killAfter(w.child, 60_000);
  try {
    await until('the worker to wait for jobs', async () => proxy.connections.some((p) => /bzpopmin/i.test(p.sent())));
    proxy.refuse();
    const blocking = proxy.connections.filter((p) => /bzpopmin/i.test(p.sent()));
    assert.equal(blocking.length, 1, 'one connection takes jobs');
    for (const p of blocking) p.cut();
    assertLostWorker(await w.done);
  } finally {
    unguard();
    for (const p of proxy.connections) p.cut();
    w.child.kill('SIGKILL');
    await w.done;
    await redis.stop();
  }
});

test('bad URLs and a stopped Redis: one line, exit 2', { skip }, async () => {
  const stopped = `redis://127.0.0.1:${await freePort()}`;
  const cases: [string[], RegExp][] = [
    [
      ['fleet', 'run', '--redis', 'localhost:6379', ...V2],
      /--redis: 'localhost:6379' is not a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [['fleet', 'run', '--redis', 'not a url', ...V2], /--redis: 'not a url' is not a URL/],
    [['fleet', 'work', '--redis', 'http://127.0.0.1:6379'], /is not a redis:\/\/ or rediss:\/\/ URL/],
    [
      ['fleet', 'run', '--redis', stopped, ...V2],
      /^kernsim: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    ],
    [
      ['fleet', 'work', '--redis', stopped],
      /^kernsim: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await kernsim(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trim(), re);
    assert.equal(r.stdout, '');
  }
});
