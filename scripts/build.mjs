#!/usr/bin/env node
/**
 * Compiles the CLI to JavaScript with esbuild: dist/cli/main.js (the `kernsim` command) and the
 * worker threads' entries dist/cli/worker.js and dist/cli/check-worker.js (src/run/), bundled with their
 * dependencies into shared chunks (one module graph to load instead of ~200 files through tsx).
 * Run by `npm ci` / `npm install` (the `prepare` script); bin/kernsim.js rebuilds it when a file
 * under src/ is newer than the build, so the CLI always runs current code.
 *
 *   node scripts/build.mjs           build
 *   node scripts/build.mjs --check   exit 1 when dist/ is not current (builds nothing)
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const STAMP = 'build-stamp';

function newest(dir, t) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = e.isDirectory() ? newest(p, t) : Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/** Newest modification time (ms) of the inputs: src/, this script, package.json. */
export function newestInput() {
  const t = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, statSync(join(root, 'package.json')).mtimeMs);
  return newest(src, t);
}

/** Whether dist/ was built from the current inputs. */
export function isCurrent() {
  try {
    return statSync(join(dist, STAMP)).mtimeMs >= newestInput();
  } catch {
    return false;
  }
}

/**
 * piscina (worker pools) is loaded from node_modules when the first pool is made, not at start-up:
 * `import { Piscina } from 'piscina'` resolves to this stand-in, whose constructor require()s the
 * real class (about 30 ms of module loading that `kernsim list`, `replay` and single-threaded
 * explorations never need). Only `new Piscina(options)` is used by the CLI.
 */
const lazyPiscina = {
  name: 'lazy-piscina',
  setup(b) {
    b.onResolve({ filter: /^piscina$/ }, (args) =>
      args.namespace === 'lazy-piscina'
        ? { path: 'piscina', external: true }
        : { path: 'piscina', namespace: 'lazy-piscina' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-piscina' }, () => ({
      contents: [
        "import { createRequire } from 'node:module';",
        'let Real;',
        'export class Piscina {',
        '  constructor(options) {',
        "    Real ??= createRequire(import.meta.url)('piscina').Piscina;",
        '    return new Real(options);',
        '  }',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/** Builds into a fresh directory and swaps it in, so a concurrent reader never sees half a build. */
export async function build() {
  const esbuild = await import('esbuild');
  const tmp = join(root, `dist.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const out = join(tmp, 'cli');
  await esbuild.build({
    // The pool's workers (src/run/) are entries beside main.js: the bundled pool code asks for
    // ./worker.js and ./check-worker.js next to the chunk it lives in (and the fleet's, ./job-worker.js).
    entryPoints: [
      join(src, 'cli', 'main.ts'),
      join(src, 'run', 'worker.ts'),
      join(src, 'run', 'check-worker.ts'),
      join(src, 'fleet', 'job-worker.ts'),
    ],
    outdir: out,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Function names are part of the model's output (frames, work and callback names).
    keepNames: true,
    minifySyntax: true,
    minifyWhitespace: true,
    // Loaded at run time from node_modules: piscina (worker threads, at the first pool: see
    // lazyPiscina), esbuild (native; the HTML viewer is bundled on demand), tsx (user scenario files).
    external: ['esbuild', 'tsx', 'tsx/*'],
    plugins: [lazyPiscina],
    // Some bundled CommonJS packages call require().
    banner: {
      js: "import { createRequire as __kernsimRequire } from 'node:module'; const require = __kernsimRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  // The HTML viewer's browser code, bundled at first use from next to the module that asks for it.
  cpSync(join(src, 'report', 'viewer'), join(out, 'viewer'), { recursive: true });
  writeFileSync(join(tmp, STAMP), `${new Date().toISOString()}\n`);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  mkdirSync(dirname(dist), { recursive: true });
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const ok = isCurrent();
    if (!ok) process.stderr.write('dist/ is not current: run `npm run build`\n');
    process.exitCode = ok ? 0 : 1;
  } else {
    const t0 = performance.now();
    await build();
    if (!process.argv.includes('--quiet'))
      process.stderr.write(`kernsim: built dist/ in ${Math.round(performance.now() - t0)} ms\n`);
  }
}
