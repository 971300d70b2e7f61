/** Helpers for CLI tests: run bin/kernsim.js as a child process, write scenario files to a temp dir. */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/kernsim.js');
/** The URL scenario files import the API from (they live outside the checkout). */
export const API = pathToFileURL(join(ROOT, 'src/scenarios/api.ts')).href;
export const SIM = pathToFileURL(join(ROOT, 'src/sim/index.ts')).href;
export const KERNEL = pathToFileURL(join(ROOT, 'src/kernel')).href;

export function tmp(prefix = 'kernsim-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cli(args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? ROOT,
    timeout: opts.timeout ?? 60_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

/** Writes a scenario file whose setup()/finish() bodies are given (a no-task scenario by default). */
export function scenarioFile(dir: string, name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import { defineScenario } from '${API}';\nexport default defineScenario({\n  name: '${name.replace(/\.\w+$/, '')}', description: 'test', variants: [], configs: ['default'],\n${body}\n} as never);\n`,
  );
  return file;
}

/** Files in a directory (to show that nothing was half-written). */
export function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

/** The last non-empty stderr line. */
export function lastLine(s: string): string {
  const ls = s.split('\n').filter((l) => l.trim() !== '');
  return ls[ls.length - 1] ?? '';
}
