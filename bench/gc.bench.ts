/**
 * Young-generation GC: how much of what runs allocate survives scavenges (docs/architecture.md,
 * "What keeps a finished run alive"). Sums `node --trace-gc-nvp` over every scavenge of a child
 * process: the CLI on mrelease/v2/rt (DPOR, one worker), and microbenchmarks of the three patterns
 * that kept finished runs alive, each beside the form kernsim uses instead.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Scavenges {
  readonly count: number;
  readonly allocatedMb: number;
  readonly survivedMb: number;
  readonly promotedMb: number;
  readonly pauseMs: number;
}

/** The scavenges of `node --trace-gc-nvp ARGS` (the trace goes to stdout, with the program's own output). */
function scavenges(args: readonly string[]): Scavenges {
  const r = spawnSync(process.execPath, ['--trace-gc-nvp', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  let count = 0;
  let allocated = 0;
  let survived = 0;
  let promoted = 0;
  let pause = 0;
  for (const line of r.stdout.split('\n')) {
    if (!line.includes('gc=s ')) continue;
    const f = Object.fromEntries(line.split(' ').map((kv) => kv.split('=') as [string, string]));
    count++;
    allocated += Number(f.allocated ?? 0);
    survived += Number(f.new_space_survived ?? 0);
    promoted += Number(f.promoted ?? 0);
    pause += Number(f.pause ?? 0);
  }
  return {
    count,
    allocatedMb: allocated / 1e6,
    survivedMb: survived / 1e6,
    promotedMb: promoted / 1e6,
    pauseMs: pause,
  };
}

function show(what: string, s: Scavenges): void {
  const pct = s.allocatedMb > 0 ? (100 * s.survivedMb) / s.allocatedMb : 0;
  console.log(
    `gc: ${what.padEnd(58)} ${s.count} scavenges, ${s.allocatedMb.toFixed(0)} MB allocated, ` +
      `${s.survivedMb.toFixed(1)} MB survived (${pct.toFixed(1)}%), ${s.promotedMb.toFixed(1)} MB promoted, ${s.pauseMs.toFixed(0)} ms`,
  );
}

/** A loop making a 100-object world per iteration, with `per` done to it (`world` in scope). */
function micro(per: string, prelude = ''): string[] {
  return [
    '-e',
    `${prelude}
let sink = 0;
function* gen(w) { yield w.length; }
for (let r = 0; r < 100000; r++) {
  const world = [];
  for (let i = 0; i < 100; i++) world.push({ i, next: world[i - 1] ?? null, pad: [i, i, i] });
  ${per}
}
if (sink < 0) console.log(sink);`,
  ];
}

export default function main(): void {
  show(
    'kernsim explore mrelease/v2/rt (DPOR, --jobs 1)',
    scavenges([
      'bin/kernsim.js',
      'explore',
      '--scenario',
      'mrelease',
      '--variant',
      'v2',
      '--config',
      'rt',
      '--jobs',
      '1',
      '--json',
    ]),
  );
  show(
    'a generator function made and called per world',
    scavenges(micro('sink += (function* () { yield world.length; })().next().value;')),
  );
  show(
    'an arrow over a module-level generator, per world',
    scavenges(micro('sink += (() => gen(world))().next().value;')),
  );
  show(
    'a module-level WeakMap entry per world',
    scavenges(micro('wm.set({ r }, world);', 'const wm = new WeakMap();')),
  );
  show(
    'the same value as a symbol-keyed property (sim/slot.ts)',
    scavenges(micro('Object.defineProperty({ r }, K, { value: world });', "const K = Symbol('k');")),
  );
  show(
    'a Map kept for the loop and cleared per world',
    scavenges(
      micro('m.set(world[0], world); m.clear();', 'const m = new Map(); for (let i = 0; i < 1e5; i++) m.set(i, i);'),
    ),
  );
  show('a Map made per world', scavenges(micro('const m = new Map(); m.set(world[0], world);')));
}
