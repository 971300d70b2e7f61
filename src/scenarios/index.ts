/** Built-in scenarios and model variants, and loading of user scenario files. */
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Scenario, VariantInfo } from './api.js';

const builtins: Scenario[] = [];
const knownVariants: VariantInfo[] = [];

/** Adds scenarios to the built-in registry (called by the modules that define them). */
export function registerScenarios(list: readonly Scenario[]): void {
  for (const s of list) if (!builtins.some((b) => b.name === s.name)) builtins.push(s);
}

export function registerVariants(list: readonly VariantInfo[]): void {
  for (const v of list) if (!knownVariants.some((k) => k.name === v.name)) knownVariants.push(v);
}

export function scenarios(): readonly Scenario[] {
  return builtins;
}

export function variants(): readonly VariantInfo[] {
  return knownVariants;
}

export function findVariant(name: string): VariantInfo | undefined {
  return knownVariants.find((v) => v.name === name);
}

function looksLikePath(s: string): boolean {
  return s.includes('/') || s.endsWith('.ts') || s.endsWith('.js');
}

/** A built-in scenario by name, or a user scenario file (its default export). */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  if (!looksLikePath(nameOrPath)) {
    const s = builtins.find((b) => b.name === nameOrPath);
    if (!s) throw new UsageError(`unknown scenario '${nameOrPath}' (see 'kernsim list')`);
    return s;
  }
  const file = resolve(nameOrPath);
  if (!existsSync(file)) throw new UsageError(`scenario file ${nameOrPath} does not exist`);
  let mod: { default?: unknown };
  try {
    // A plain import: tsx is registered process-wide (bin/kernsim.js, or node --import tsx), so the
    // file and the engine share one module graph. (tsImport would give the file its own copy of sim/.)
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`cannot load scenario file ${nameOrPath}: ${(e as Error).message.split('\n')[0]}`);
  }
  const s = (mod.default ?? mod) as Partial<Scenario>;
  if (!s || typeof s.name !== 'string' || typeof s.setup !== 'function')
    throw new UsageError(`scenario file ${nameOrPath} has no default export made with defineScenario()`);
  return { variants: [], configs: [], description: '', ...s } as Scenario;
}

/** Bad input from the user: reported as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
