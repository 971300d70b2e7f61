/**
 * The figures of issue 11's table, each beside its target. Timings are wall time unless marked CPU;
 * on a shared machine compare ratios measured back to back (the jobs and fast-check rows are).
 * BENCH_FULL=1 adds --jobs 2 against --jobs 1 on a long cell (destroy-race/v3/nonrt, 111k executions),
 * the full `kernsim check` (wall, --jobs 1 against the default, their ratio, peak memory) and
 * two minutes of the stress scenario at bound 0 (complete or not, and how many executions).
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analysisFigure } from './dpor-analysis.bench.js';
import { spaceText, stressCells, stressSpace } from './space.bench.js';
import type { Comparison } from './random-vs-fastcheck.js';
import type { FloorFigure } from './floor.js';
import { measureModel } from './model-steps.bench.js';
import { measure as measureSteps } from './steps.bench.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rows: [string, string, string][] = [];
const row = (what: string, measured: string, target: string): void => {
  rows.push([what, measured, target]);
  console.log(`  ${what}: ${measured}   (target: ${target})`);
};
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0 && r.status !== 1 && r.status !== 3) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

export default async function main(): Promise<void> {
  // Start-up: the built CLI (bin/kernsim.js builds dist/ first if a source is newer).
  wallMs(['bin/kernsim.js', 'list']);
  const bare = median([0, 1, 2, 3, 4].map(() => wallMs(['-e', '0'])));
  const list = median([0, 1, 2, 3, 4, 5, 6].map(() => wallMs(['bin/kernsim.js', 'list'])));
  row('start-up, kernsim list (median of 7)', `${fmt(list)} ms (node -e 0: ${fmt(bare)} ms)`, '<= 150 ms');

  // Model cell throughput, sequential DPOR in this process (after a warm-up run).
  await measureModel('mrelease', 'v2', 'rt');
  const mr = await measureModel('mrelease', 'v2', 'rt');
  const cpuS = mr.cpuMs / 1000;
  row(
    'mrelease/v2/rt throughput (CPU time)',
    `${fmt(mr.executions / cpuS)} executions/s, ${fmt(mr.steps / cpuS)} steps/s (${mr.executions} executions, ${fmt(mr.steps / mr.executions)} steps each)`,
    '>= 15,000 executions/s and >= 1,000,000 steps/s',
  );

  // The floor under that figure: random runs of the same cell (no race analysis), with its
  // sanitizers and with none, in a process of its own (bench/floor.ts says why).
  const fr = spawnSync(process.execPath, [...process.execArgv, 'bench/floor.ts', 'mrelease', 'v2', 'rt', '3000'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (fr.status !== 0) throw new Error(`floor: ${fr.stderr}`);
  const fl = JSON.parse(fr.stdout) as FloorFigure;
  const perSec = (f: { steps: number; cpuMs: number }): number => f.steps / (f.cpuMs / 1000);
  row(
    'mrelease/v2/rt without DPOR (3,000 random runs, CPU time): every sanitizer / none',
    `${fmt(perSec(fl.sanitized))} / ${fmt(perSec(fl.bare))} steps/s (${((1e6 * fl.bare.cpuMs) / 1000 / fl.bare.steps).toFixed(2)} µs a step with no checker and no explorer)`,
    '(the ceiling of the 1,000,000 steps/s row for this way of running a model)',
  );

  const st = measureSteps(2000, 1);
  row(
    'bench/steps.bench.ts workload',
    `${(((st.steps / st.ms) * 1000) / 1e6).toFixed(2)} M steps/s`,
    'kept (2.9 M steps/s before)',
  );

  const an = analysisFigure();
  row(
    'DPOR race analysis of a 10,000-step run',
    `${an.median.toFixed(1)} ms (median of 15; best ${an.best.toFixed(1)} ms)`,
    '<= 10 ms',
  );

  // Random strategy against fast-check's scheduler, each self-test in a process of its own that has
  // run nothing else (bench/random-vs-fastcheck.ts says why), the two side by side in it.
  for (const scenario of ['selftest-lost-update', 'selftest-mutex-counter']) {
    const r = spawnSync(process.execPath, [...process.execArgv, 'bench/random-vs-fastcheck.ts', scenario], {
      cwd: root,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`random-vs-fastcheck ${scenario}: ${r.stderr}`);
    const c = JSON.parse(r.stdout) as Comparison;
    // At 10,000 runs the figure still holds much of kernsim's JIT warm-up (its run is a whole booted
    // kernel: more code to optimise than the peer's); at 100,000 runs and both warm, the rate an
    // exploration runs at.
    for (const [what, p] of [
      ['10,000 runs each', c.cold10k],
      ['100,000 runs each', c.cold100k],
      ['both warm (median of the last 4 of 8 alternated 10,000-run explorations)', c.warm10k],
    ] as const)
      row(
        `random strategy vs fast-check's scheduler, ${scenario}, ${what}`,
        `kernsim ${fmt(p.kernsim)} executions/s, fast-check ${fmt(p.fastCheck)} schedules/s: ${(p.kernsim / p.fastCheck).toFixed(2)}x`,
        '>= 3x',
      );
  }

  // Through the built CLI, as a user runs it (its workers load the precompiled JavaScript).
  const cliArgs = (jobs: number, cell = 'mrelease v2 rt'): string[] => {
    const [scenario, variant, config] = cell.split(' ') as [string, string, string];
    return `bin/kernsim.js explore --scenario ${scenario} --variant ${variant} --config ${config} --jobs ${jobs} --no-shrink --json`.split(
      ' ',
    );
  };
  const cli = (jobs: number, cell?: string): { executions: number; elapsed_ms: number } => {
    const r = spawnSync(process.execPath, cliArgs(jobs, cell), {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    return (JSON.parse(r.stdout) as { results: { executions: number; elapsed_ms: number }[] }).results[0] as {
      executions: number;
      elapsed_ms: number;
    };
  };
  const j1 = cli(1);
  const j2 = cli(2);
  row(
    '--jobs 2 against --jobs 1, mrelease/v2/rt (kernsim explore)',
    `${fmt(j2.elapsed_ms)} ms against ${fmt(j1.elapsed_ms)} ms: ${(j1.elapsed_ms / j2.elapsed_ms).toFixed(2)}x (executions ${j2.executions} / ${j1.executions})`,
    '>= 1.8x',
  );
  // The machine's own ceiling for two threads: two independent --jobs 1 processes side by side
  // (nothing shared, no coordination) against one alone. On a VM whose two vCPUs slow each other
  // down (caches, memory bandwidth, and the GC/JIT threads that use the second core of a lone
  // process), this is below 2x, and no --jobs 2 can beat it.
  const wall = (): Promise<number> =>
    new Promise((done, fail) => {
      const t0 = performance.now();
      const c = spawn(process.execPath, cliArgs(1), { cwd: root, stdio: 'ignore' });
      c.on('error', fail).on('exit', () => done(performance.now() - t0));
    });
  const alone = await wall();
  const pair = await Promise.all([wall(), wall()]);
  const pairMs = Math.max(...pair);
  row(
    "the machine's ceiling for --jobs 2: two --jobs 1 processes side by side against one, mrelease/v2/rt",
    `one alone ${fmt(alone)} ms, two together ${fmt(pair[0] as number)} / ${fmt(pair[1] as number)} ms: ${((2 * alone) / pairMs).toFixed(2)}x the work per second`,
    '(the bound on the --jobs 2 row on this machine)',
  );
  row(
    'partitioned DPOR executions against sequential, mrelease/v2/rt',
    `${j1.executions} against ${mr.executions}: ${(j1.executions / mr.executions).toFixed(3)}x`,
    '<= 1.05x',
  );

  if (process.env.BENCH_FULL === '1') {
    // A long cell: each thread's JIT warm-up, paid once, weighs less than in mrelease/v2/rt's 8 s.
    const long = 'destroy-race v3 nonrt';
    const l1 = cli(1, long);
    const l2 = cli(2, long);
    row(
      '--jobs 2 against --jobs 1, destroy-race/v3/nonrt (kernsim explore)',
      `${fmt(l2.elapsed_ms)} ms against ${fmt(l1.elapsed_ms)} ms: ${(l1.elapsed_ms / l2.elapsed_ms).toFixed(2)}x (executions ${l2.executions} / ${l1.executions})`,
      '>= 1.8x',
    );
    const wallS: number[] = [];
    for (const jobs of [undefined, '1']) {
      const args = ['bench/rss-child.mjs', 'check', ...(jobs ? ['--jobs', jobs] : [])];
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = performance.now() - t0;
      wallS.push(ms / 1000);
      const rss = Number(/maxrss-kb (\d+)/.exec(String(r.stderr))?.[1] ?? 0) / 1024;
      row(
        `kernsim check${jobs ? ' --jobs 1' : ''} (exit ${r.status})`,
        `${(ms / 1000).toFixed(1)} s wall, peak ${fmt(rss)} MB`,
        '<= 30 s; <= 500 MB',
      );
    }
    const [jd, j1s] = wallS as [number, number];
    row('kernsim check, the default --jobs against --jobs 1', `${(j1s / jd).toFixed(2)}x`, '>= 1.8x');
    // The stress cells: the seed's 20 iterations at bound 0 (the least any cell of it explores).
    const args = ['bin/kernsim.js', 'explore', '--scenario', 'stress', '--variant', 'upstream', '--config', 'nomn'];
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [...args, '--preemptions', '0', '--faults', '0', '--time', '120', '--jobs', '1', '--no-shrink', '--json'],
      { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const s = (JSON.parse(r.stdout) as { results: { executions: number; complete: boolean }[] }).results[0];
    row(
      'stress/upstream/nomn at bound 0, fault budget 0 (--time 120)',
      `${s?.complete ? 'complete' : 'not complete'} after ${fmt(s?.executions ?? 0)} executions, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      'explored completely at its bound',
    );
  } else {
    row('kernsim check, full matrix', 'not run (BENCH_FULL=1 runs it)', '<= 30 s wall, <= 500 MB');
    row('stress explored at its bound', 'not run (BENCH_FULL=1 runs it)', 'explored completely at its bound');
  }
  // Why stress is not explored completely: the size of its space (bench/space.bench.ts).
  for (const [v, c, p, f] of stressCells.filter(([, , p]) => p === 0)) {
    const fig = await stressSpace(v, c, p, f, 200);
    row(`size of ${fig.cell}`, spaceText(fig), 'say how large, if too large to explore');
  }

  console.log('\n| what | measured | target |\n|---|---|---|');
  for (const [w, m, t] of rows) console.log(`| ${w} | ${m} | ${t} |`);
}
