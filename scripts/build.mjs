#!/usr/bin/env node
/**
 * Compiles kernsim to JavaScript with esbuild: dist/cli/main.js (the `kernsim` command), the
 * worker threads' entry dist/run/worker.js, and the public entry
 * points (dist/index.js, dist/kernel/index.js, dist/linux.js, dist/run/index.js: package.json
 * "exports"), bundled with their dependencies into shared chunks (one module graph to load
 * instead of ~200 files through tsx, and one copy of each module for all entries).
 * Run by `npm ci` / `npm install` (the `prepare` script); bin/kernsim.js rebuilds it when a file
 * under src/ (or this script, package.json, package-lock.json) changed since the build began, so
 * the CLI always runs current code.
 *
 *   node scripts/build.mjs           build
 *   node scripts/build.mjs --types   build, and the public entry points' declarations (dist/types/)
 *   node scripts/build.mjs --if-stale   build unless dist/ is current
 *   node scripts/build.mjs --check   exit 1 when dist/ is not current (builds nothing)
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const STAMP = 'build-stamp';

// bin/kernsim.js runs isCurrent() before every command: this walk is part of its start-up. Paths
// are joined with a plain '/' (path.join costs more than all the stat calls together here).
// Change times, not modification times: a file put back with an old mtime (cp -p, rsync -t, tar,
// touch -d) still has a new ctime; a directory's ctime moves when a file in it is added, removed
// or renamed.
function newest(dir, t) {
  t = Math.max(t, statSync(dir).ctimeMs);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    t = e.isDirectory() ? newest(p, t) : Math.max(t, statSync(p).ctimeMs);
  }
  return t;
}

/** Newest change time (ms) of the inputs: src/, this script, package.json, package-lock.json. */
export function newestInput() {
  let t = Math.max(statSync(fileURLToPath(import.meta.url)).ctimeMs, statSync(join(root, 'package.json')).ctimeMs);
  const lock = statSync(join(root, 'package-lock.json'), { throwIfNoEntry: false });
  if (lock) t = Math.max(t, lock.ctimeMs);
  return newest(src, t);
}

/**
 * Whether dist/ was built from the current inputs: the stamp holds newestInput() as it was when
 * the build began, so a file changed while esbuild ran makes the build stale, not current.
 */
export function isCurrent() {
  try {
    const built = JSON.parse(readFileSync(join(dist, STAMP), 'utf8')).inputs;
    return typeof built === 'number' && built >= newestInput();
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

/**
 * Built-in modules the command's start-up would load for nothing (`kernsim list` runs neither):
 * commander require()s node:child_process (with node:net, node:dgram, ...) for executable
 * subcommands, which kernsim has none of, and scenarios/api.ts and run/load-scenario.ts hash
 * with node:crypto's createHash. Each resolves to a stand-in that loads the real module at its
 * first use (about 10 ms of `kernsim list` together). An import of another name from
 * node:crypto fails the build.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(child_process|crypto)$/ }, (args) => {
      if (args.namespace === 'lazy-builtin') return { path: args.path, external: true };
      if (
        args.path === 'node:child_process' &&
        args.kind === 'require-call' &&
        /[\\/]commander[\\/]/.test(args.importer)
      )
        return { path: args.path, namespace: 'lazy-builtin' };
      if (args.path === 'node:crypto' && args.kind === 'import-statement')
        return { path: args.path, namespace: 'lazy-builtin' };
      return undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents:
        args.path === 'node:crypto'
          ? [
              "import { createRequire } from 'node:module';",
              'let real;',
              'export function createHash(...a) {',
              "  real ??= createRequire(import.meta.url)('node:crypto');",
              '  return real.createHash(...a);',
              '}',
            ].join('\n')
          : "module.exports = new Proxy({}, { get: (_, k) => require('node:child_process')[k] });",
      loader: 'js',
      resolveDir: root,
    }));
  },
};

/**
 * The build's entries (output path under dist/ → source under src/): the command, the pool's
 * worker threads, and the public entry points (package.json "exports"). They are built in one
 * esbuild call with code splitting, so a scenario file that imports 'kernsim/kernel' and the
 * command that runs it share one copy of every module (one simulated machine).
 */
export const ENTRIES = {
  'cli/main': 'cli/main.ts',
  'run/worker': 'run/worker.ts',
  index: 'index.ts',
  'kernel/index': 'kernel/index.ts',
  linux: 'linux.ts',
  'run/index': 'run/index.ts',
};

/**
 * Modules that find files next to themselves through import.meta.url must sit where their source
 * does: shared code goes to chunks in dist/run/ (beside run/worker.js);
 * the HTML viewer's sources are copied beside every output that may hold report/html.ts.
 */
function checkLayout(out) {
  for (const f of readdirSync(join(out, 'cli')).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(join(out, 'cli', f), 'utf8');
    if (text.includes('"./worker.js"'))
      throw new Error(`dist/cli/${f} holds the pool's code: its workers would be looked for in dist/cli/`);
  }
}

/**
 * keepNames wraps every named function made at run time (a closure inside a model function: a
 * wait-queue callback, a timer's, a checker's) in esbuild's __name(), an Object.defineProperty()
 * per closure made: ~1% of a model cell's time, though the closure almost always has that name
 * already (a `const f = () => ...` is named f by the language). The helper is given a check for
 * that first, written to the same length (the chunk is one line: the source map's columns after it
 * stay right). A helper esbuild writes differently is left as it is.
 */
const NAME_HELPER = 'var __name=(target,value)=>__defProp(target,"name",{value,configurable:!0})';
const NAME_HELPER_CHECKED = 'var __name=(t,v)=>t.name==v?t:__defProp(t,"name",{value:v,configurable:!0})';

function cheaperNameHelper(out) {
  for (const f of readdirSync(out, { recursive: true })) {
    if (!String(f).endsWith('.js')) continue;
    const file = join(out, String(f));
    const text = readFileSync(file, 'utf8');
    if (text.includes(NAME_HELPER)) writeFileSync(file, text.replace(NAME_HELPER, NAME_HELPER_CHECKED));
  }
}

/** Builds into a fresh directory and swaps it in, so a concurrent reader never sees half a build. */
export async function build({ types = false } = {}) {
  const inputs = newestInput();
  const esbuild = await import('esbuild');
  const tmp = join(root, `dist.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([o, i]) => [o, join(src, i)])),
    outdir: tmp,
    chunkNames: 'run/chunk-[hash]',
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
    // lazyPiscina), esbuild (native; the HTML viewer is bundled on demand), tsx (user scenario files),
    // zod (the public JSON schemas, so a user's zod and kernsim's are one).
    external: ['esbuild', 'tsx', 'tsx/*', 'zod'],
    plugins: [lazyPiscina, lazyBuiltins],
    // Some bundled CommonJS packages call require().
    banner: {
      js: "import { createRequire as __kernsimRequire } from 'node:module'; const require = __kernsimRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  checkLayout(tmp);
  cheaperNameHelper(tmp);
  // The HTML viewer's browser code, bundled at first use from next to the module that asks for it.
  for (const d of ['cli', 'run']) cpSync(join(src, 'report', 'viewer'), join(tmp, d, 'viewer'), { recursive: true });
  if (types) await buildTypes(tmp);
  writeFileSync(join(tmp, STAMP), `${JSON.stringify({ built: new Date().toISOString(), inputs })}\n`);
  const old = join(root, `dist.old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  mkdirSync(dirname(dist), { recursive: true });
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
}

/** The public entry points' declarations (dist/types/, package.json "exports" → "types"). */
async function buildTypes(out) {
  // Imported here, not at the top: bin/kernsim.js imports this file at every start-up.
  const { spawnSync } = await import('node:child_process');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(
    process.execPath,
    [
      tsc,
      '-p',
      join(root, 'tsconfig.json'),
      '--emitDeclarationOnly',
      '--declarationMap',
      'false',
      '--outDir',
      join(out, 'types'),
    ],
    { stdio: 'inherit' },
  );
  if (r.status !== 0) throw new Error('tsc could not write the declarations');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) {
    const ok = isCurrent();
    if (!ok) process.stderr.write('dist/ is not current: run `npm run build`\n');
    process.exitCode = ok ? 0 : 1;
  } else if (process.argv.includes('--if-stale') && isCurrent()) {
    // Current (`npm pack` runs `prepare` right after `prepack` built dist/ with its declarations).
  } else {
    const t0 = performance.now();
    await build({ types: process.argv.includes('--types') });
    if (!process.argv.includes('--quiet'))
      process.stderr.write(`kernsim: built dist/ in ${Math.round(performance.now() - t0)} ms\n`);
  }
}
