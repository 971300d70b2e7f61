/**
 * The package as a user gets it: `npm pack`, then an install of the tarball into an empty
 * project in a temporary directory outside the checkout, with no network (`npm ci --offline`
 * from the local npm cache, through a lockfile built from the checkout's: the registry's
 * metadata is not in the cache, the tarballs are). When the cache lacks a dependency, the
 * checkout's node_modules are linked instead, and `note` says so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Installed {
  /** The project directory (kernsim in node_modules). */
  readonly dir: string;
  readonly tarball: string;
  /** Set when the offline install failed and the checkout's node_modules were linked instead. */
  readonly note?: string;
}

interface Lock {
  readonly packages: Record<string, { readonly dev?: boolean } & Record<string, unknown>>;
}

function npm(args: readonly string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    env: { ...process.env, npm_config_fund: 'false' },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Packs the checkout (its `prepack` builds dist/ with declarations) into `into`; returns the tarball. */
export function pack(into: string): string {
  const r = npm(['pack', '--silent', '--pack-destination', into], ROOT);
  if (r.status !== 0) throw new Error(`npm pack failed:\n${r.out}`);
  const name = readdirSync(into).find((f) => f.endsWith('.tgz'));
  if (!name) throw new Error(`npm pack wrote no tarball:\n${r.out}`);
  return join(into, name);
}

/** A lockfile for a project depending on the tarball: kernsim's own entries for its dependencies. */
function lockFor(tarball: string, spec: string): object {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'my-design', dependencies: { kernsim: spec } },
    'node_modules/kernsim': {
      version: pkg.version,
      resolved: spec,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k !== '' && !v.dev) packages[k] = v;
  return { name: 'my-design', lockfileVersion: 3, requires: true, packages };
}

/** Links the checkout's dependencies and unpacks the tarball (when the npm cache cannot serve them). */
function linkInstall(dir: string, tarball: string): void {
  const nm = join(dir, 'node_modules');
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
  mkdirSync(join(nm, 'kernsim'), { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', join(nm, 'kernsim'), '--strip-components', '1']);
  for (const [k, v] of Object.entries(lock.packages)) {
    if (k === '' || v.dev || k.split('node_modules/').length !== 2) continue;
    const name = k.slice('node_modules/'.length);
    try {
      mkdirSync(dirname(join(nm, name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(nm, name));
    } catch {}
  }
  mkdirSync(join(nm, '.bin'), { recursive: true });
  symlinkSync(join(nm, 'kernsim', 'bin', 'kernsim.js'), join(nm, '.bin', 'kernsim'));
}

/** Packs the checkout and installs it into a fresh project `my-design` in a temporary directory. */
export function installPackage(): Installed {
  const base = mkdtempSync(join(tmpdir(), 'kernsim-pkg-'));
  const tarball = pack(base);
  const dir = join(base, 'my-design');
  mkdirSync(dir);
  const spec = `file:${tarball}`;
  // No "type": "module": the scenario files must load as ES modules all the same.
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'my-design', private: true, dependencies: { kernsim: spec } }, null, 2)}\n`,
  );
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lockFor(tarball, spec), null, 2)}\n`);
  const r = npm(['ci', '--offline', '--no-audit', '--no-fund'], dir);
  if (r.status === 0) return { dir, tarball };
  linkInstall(dir, tarball);
  return {
    dir,
    tarball,
    note: `npm ci --offline failed (the npm cache lacks a dependency?); linked the checkout's node_modules instead:\n${r.out.split('\n').slice(0, 3).join('\n')}`,
  };
}

/** Runs `npx kernsim …` (or any command) in a directory of the installed project. */
export function run(
  cmd: string,
  args: readonly string[],
  cwd: string,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', KERNSIM_FROM_SOURCE: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
