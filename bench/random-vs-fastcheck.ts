/**
 * kernsim's random strategy and fast-check's scheduler (bench/fastcheck-peers.ts) on one self-test,
 * side by side in one process that has run nothing else (as `kernsim explore --strategy random`
 * runs a scenario: the model cells bench/table.bench.ts measures first would leave their type
 * feedback in the engine's shared code, and the small program would run on code optimised for
 * them). Run by table.bench.ts as a child process:
 *   node --import tsx bench/random-vs-fastcheck.ts SCENARIO
 * prints one JSON object: executions/s and schedules/s at 10,000 runs (after a 1,000-run warm-up
 * of each), at 100,000 runs, and both warm (the median of the last 4 of 8 alternated 10,000-run
 * explorations).
 */
import { explore } from '../src/explore/explorer.js';
import { RandomSearch } from '../src/explore/random.js';
import { runnerFor } from '../src/run/session.js';
import { specFor } from '../src/run/spec.js';
import { fastCheckRate, lostUpdate, mutexCounter } from './fastcheck-peers.js';

export interface Pair {
  readonly kernsim: number;
  readonly fastCheck: number;
}

export interface Comparison {
  readonly scenario: string;
  readonly cold10k: Pair;
  readonly cold100k: Pair;
  readonly warm10k: Pair;
}

const peers = { 'selftest-lost-update': lostUpdate, 'selftest-mutex-counter': mutexCounter } as const;

async function randomRate(scenario: string, runs: number): Promise<number> {
  const spec = await specFor(scenario, undefined, undefined, []);
  const t0 = performance.now();
  const r = explore(new RandomSearch({ seed: 1, faults: 1 }), runnerFor(spec), {
    scenario,
    budget: runs,
    fresh: () => runnerFor(spec),
  });
  return (r.executions / (performance.now() - t0)) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function compare(scenario: keyof typeof peers): Promise<Comparison> {
  const peer = peers[scenario];
  await randomRate(scenario, 1000);
  await fastCheckRate(peer, 1000);
  const pair = async (runs: number): Promise<Pair> => ({
    kernsim: await randomRate(scenario, runs),
    fastCheck: (await fastCheckRate(peer, runs)).perSecond,
  });
  const cold10k = await pair(10_000);
  const cold100k = await pair(100_000);
  const ks: number[] = [];
  const fs: number[] = [];
  for (let i = 0; i < 8; i++) {
    const p = await pair(10_000);
    ks.push(p.kernsim);
    fs.push(p.fastCheck);
  }
  return { scenario, cold10k, cold100k, warm10k: { kernsim: median(ks.slice(4)), fastCheck: median(fs.slice(4)) } };
}

const arg = process.argv[2] ?? '';
if (!Object.hasOwn(peers, arg)) {
  process.stderr.write(`random-vs-fastcheck: no fast-check peer for '${arg}' (${Object.keys(peers).join(', ')})\n`);
  process.exit(2);
}
console.log(JSON.stringify(await compare(arg as keyof typeof peers)));
