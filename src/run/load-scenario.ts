/**
 * Loading of user scenario files (`--scenario ./file.ts`, and the file a
 * token names). A user scenario is loaded only from a regular .ts/.js/.mjs/
 * .mts file, always as an ES module (whatever package.json sits beside it),
 * and identified by its absolute path and the SHA-256 of its content (what a
 * token stores, so that `replay` runs only the file the token was made from).
 * Load failures are one-line UsageErrors: a syntax error names file:line:col,
 * a top-level await that never settles is reported instead of a silent exit.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { register } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Scenario } from '../scenarios/api.js';
import { UsageError, loadScenario, normalizeScenario } from '../scenarios/index.js';

export const SCENARIO_EXTENSIONS: readonly string[] = ['.ts', '.js', '.mjs', '.mts'];

/** Whether a --scenario value names a file (else a built-in scenario name). */
export function looksLikePath(s: string): boolean {
  return s.includes('/') || s.includes('\\') || SCENARIO_EXTENSIONS.includes(extname(s));
}

export interface LoadedScenario {
  readonly scenario: Scenario;
  /** For a user file: its absolute path and content hash (sha256, hex, first 32 digits). */
  readonly file?: { readonly path: string; readonly hash: string };
}

/** The hash a token stores for a scenario file's content. */
export function contentHash(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 32);
}

/** The public entry points (package.json "exports"), relative to src/ (or dist/ in the build). */
export const ENTRY_POINTS: Readonly<Record<string, string>> = {
  kernsim: 'index',
  'kernsim/kernel': 'kernel/index',
  'kernsim/linux': 'linux',
  'kernsim/explore': 'run/index',
};

/**
 * The files of the running installation that 'kernsim' and 'kernsim/…' name: src/*.ts when this
 * module runs from source (through tsx), dist/*.js in the build (whose modules and chunks sit in
 * dist/ as they do in src/: this module is bundled into a chunk in dist/run/).
 */
export function entryUrls(from = import.meta.url): Record<string, string> {
  const ext = from.endsWith('.ts') ? '.ts' : '.js';
  const root = new URL('../', from);
  return Object.fromEntries(Object.entries(ENTRY_POINTS).map(([k, v]) => [k, new URL(`${v}${ext}`, root).href]));
}

let hooked = false;

/**
 * A module resolve hook for user scenario files: 'kernsim' and 'kernsim/…' resolve to the
 * installation that is running (one module graph, one simulated machine), whether or not the file
 * sits in a package that depends on kernsim; a file imported with `?kernsim-esm=…` loads as an ES
 * module (a .ts beside a CommonJS package.json, or none).
 */
function ensureEsmHook(): void {
  if (hooked) return;
  hooked = true;
  const src = [
    'let map = {};',
    'export function initialize(d) { map = d.map; }',
    'export async function resolve(s, c, next) {',
    '  const to = Object.hasOwn(map, s) ? map[s] : undefined;',
    '  const r = await next(to ?? s, c);',
    "  return r.url.includes('kernsim-esm=') ? { ...r, format: 'module' } : r;",
    '}',
  ].join('\n');
  register(`data:text/javascript,${encodeURIComponent(src)}`, { data: { map: entryUrls() } });
}

let tsxRegistered = false;

/** A .ts/.mts file loaded by the built library (not running under tsx): tsx's hooks, once. */
async function ensureTypeScript(file: string): Promise<void> {
  if (tsxRegistered || import.meta.url.endsWith('.ts') || !['.ts', '.mts'].includes(extname(file))) return;
  tsxRegistered = true;
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
}

/** Checks that `file` is a regular scenario file and reads it (never opens a FIFO, device or directory). */
export function readScenarioFile(file: string, shown: string): Buffer {
  const ext = extname(file);
  if (!SCENARIO_EXTENSIONS.includes(ext))
    throw new UsageError(`scenario file ${shown}: not a ${SCENARIO_EXTENSIONS.join('/')} file`);
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    throw new UsageError(`scenario file ${shown} does not exist`);
  }
  if (!st.isFile()) throw new UsageError(`scenario file ${shown} is not a regular file`);
  if (st.size > 16 * 1024 * 1024) throw new UsageError(`scenario file ${shown} is larger than 16 MiB`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`cannot read scenario file ${shown}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    // The file could have been swapped for something else between the stat and the open.
    if (!fstatSync(fd).isFile()) throw new UsageError(`scenario file ${shown} is not a regular file`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The first line of a load error, with esbuild's "file:line:col: ERROR: message" when there is one. */
export function loadErrorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n');
  const located = lines.find((l) => /:\d+:\d+: ERROR: /.test(l));
  if (located) return located.replace(': ERROR: ', ': error: ');
  const first = lines[0] ?? '';
  return `${e instanceof Error && e.name !== 'Error' ? `${e.name}: ` : ''}${first}`;
}

/** One import per module URL: every subtree task of an in-process exploration resolves the spec again. */
const imports = new Map<string, Promise<{ default?: unknown }>>();

function importOnce(url: string, shown: string): Promise<{ default?: unknown }> {
  let p = imports.get(url);
  if (!p) {
    p = importWatched(url, shown);
    imports.set(url, p);
  }
  return p;
}

async function importWatched(url: string, shown: string): Promise<{ default?: unknown }> {
  // A top-level await that never settles leaves nothing for the event loop to do: Node would
  // exit (status 13) without a word. 'beforeExit' fires first: report it as a bad scenario file.
  const onBeforeExit = () => {
    process.stderr.write(
      `kernsim: scenario file ${shown} never finished loading (a top-level await that never settles)\n`,
    );
    process.exit(2);
  };
  process.on('beforeExit', onBeforeExit);
  try {
    return (await import(url)) as { default?: unknown };
  } finally {
    process.off('beforeExit', onBeforeExit);
  }
}

/**
 * A user scenario file. `expectHash`: the content hash a token recorded (the file is refused when
 * its content differs).
 */
export async function loadScenarioFile(path: string, shown = path, expectHash?: string): Promise<LoadedScenario> {
  const file = resolve(path);
  const data = readScenarioFile(file, shown);
  const hash = contentHash(data);
  if (expectHash !== undefined && hash !== expectHash)
    throw new UsageError(
      `refusing to run ${file}: its content (sha256 ${hash}) is not the file the token was made from (${expectHash}); give the scenario with --scenario FILE`,
    );
  await ensureTypeScript(file);
  ensureEsmHook();
  let mod: { default?: unknown };
  try {
    // A plain import: tsx is registered process-wide (bin/kernsim.js, or node --import tsx), so the
    // file and the engine share one module graph. The hash in the URL loads a changed file afresh.
    mod = await importOnce(`${pathToFileURL(file).href}?kernsim-esm=${hash}`, shown);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot load scenario file ${shown}: ${loadErrorLine(e)}`);
  }
  const s = (mod.default ?? mod) as Partial<Scenario> | null;
  if (!s || typeof s !== 'object' || typeof s.name !== 'string' || typeof s.setup !== 'function')
    throw new UsageError(`scenario file ${shown} has no default export made with defineScenario()`);
  return {
    // defineScenario() has made it whole already; a plain object is checked the same way.
    scenario: normalizeScenario(s, `scenario file ${shown}`),
    file: { path: file, hash },
  };
}

/** A built-in scenario by name, or a user scenario file. */
export async function loadAnyScenario(nameOrPath: string): Promise<LoadedScenario> {
  if (!looksLikePath(nameOrPath)) return { scenario: await loadScenario(nameOrPath) };
  return loadScenarioFile(nameOrPath);
}
