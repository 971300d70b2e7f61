#!/usr/bin/env node
// Runs the precompiled CLI (dist/cli/main.js, built by scripts/build.mjs: `npm ci` runs it as the
// `prepare` script, and it is rebuilt here whenever a file under src/ changed since the build:
// scripts/build.mjs isCurrent()).
// A user's scenario file (--scenario PATH, or a replay token that names one) may import src/
// modules itself (or 'kernsim', which run/load-scenario.ts resolves to src/ then), so then the CLI
// runs from src/ through tsx, in one module graph with the file.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// No allocation-site pretenuring: V8 may decide (by timing, so in some processes and not others) to
// allocate a run's objects straight into the old generation, where, dead after the run, they keep
// the young rest of that run's world alive through every scavenge. On mrelease/v2/rt, 7.7% of the
// allocation survived scavenges in every process with this, and 6.6% or 19% without it (twice the
// GC time). The flag is process-wide, so the worker threads have it too.
setFlagsFromString('--no-allocation-site-pretenuring');
// The old generation grows by half its live size between full collections, not by up to 4x (V8's
// default for a thread that allocates slowly). The thread that walks `kernsim check`'s plans
// allocates little, mostly task results that live while their subtrees run (so are promoted) and
// are garbage soon after: with the default it held up to ~300 MB of that garbage before a full
// GC. Measured on the full check --jobs 2: peak RSS 967 -> 812 MB, CPU 717 -> 706 s; the mrelease
// cells alone 677 -> 498 MB; mrelease/v2/rt --jobs 1 no slower (9.2-10.0 s -> 8.6-9.3 s).
setFlagsFromString('--heap-growing-percent=50');

const argv = process.argv.slice(2);
const looksLikePath = (s) => s.includes('/') || s.endsWith('.ts') || s.endsWith('.js') || s.endsWith('.mts');

function tokenScenario(t) {
  if (!t.startsWith('ks1-')) return undefined;
  try {
    return JSON.parse(Buffer.from(t.slice(4), 'base64url').toString('utf8')).s;
  } catch {
    return undefined;
  }
}

function userScenarioFile() {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--scenario' && argv[i + 1] !== undefined && looksLikePath(argv[i + 1])) return true;
    if (a.startsWith('--scenario=') && looksLikePath(a.slice('--scenario='.length))) return true;
    const s = tokenScenario(a);
    if (typeof s === 'string' && looksLikePath(s)) return true;
  }
  return false;
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}

// An installed package ships dist/ built (no scripts/): it is current by construction, and a user
// file's 'kernsim' imports resolve to dist/ (run/load-scenario.ts).
const checkout = existsSync(fileURLToPath(new URL('../scripts/build.mjs', import.meta.url)));

if ((checkout && userScenarioFile()) || process.env.KERNSIM_FROM_SOURCE === '1') await fromSource();
else {
  const dist = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
  let ready = true;
  if (checkout) {
    const b = await import('../scripts/build.mjs');
    if (!b.isCurrent()) {
      try {
        await b.build();
      } catch (e) {
        // Another kernsim process may have swapped in the same build meanwhile.
        ready = b.isCurrent();
        if (!ready) process.stderr.write(`kernsim: could not build dist/ (${e?.message ?? e}); running from source\n`);
      }
    }
  }
  if (ready && existsSync(dist)) await import('../dist/cli/main.js');
  else await fromSource();
}
