/**
 * Built-in scenarios and model variants, the checks that make a scenario definition whole
 * (its own variants, configs and parameters), and the installation of a variant's patches on a
 * run's machine.
 */
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type KernelConfig, makeConfig } from '../kernel/config.js';
import { VARIANTS } from '../models/linux/variants.js';
import type { KernelPatch, KnobValue, VariantInfo } from '../models/variant.js';
import {
  type KfuncOverride,
  type Machine,
  isKfuncName,
  kfuncNameList,
  machine,
  setKfuncOverrides,
  RunSlot,
} from '../sim/index.js';
import type { ConfigDefinition, Scenario } from './types.js';
import { type NamedConfig, findConfig } from './configs.js';
import { knobDecl } from '../models/variant.js';

export { knobDecl };
import { checkDecls, parseAssignments } from './params.js';

const builtins: Scenario[] = [];
const knownVariants: VariantInfo[] = [];

/** Adds scenarios to the built-in registry (called by the modules that define them). */
export function registerScenarios(list: readonly Scenario[]): void {
  for (const s of list) if (!builtins.some((b) => b.name === s.name)) builtins.push(s);
}

/** Adds variants to the built-in registry (the model's own: models/linux/variants.ts). */
export function registerVariants(list: readonly VariantInfo[]): void {
  for (const v of list) if (!knownVariants.some((k) => k.name === v.name)) knownVariants.push(v);
}

registerVariants(VARIANTS);

export function scenarios(): readonly Scenario[] {
  return builtins;
}

/** The built-in variants. */
export function variants(): readonly VariantInfo[] {
  return knownVariants;
}

/** A built-in variant by name. */
export function findVariant(name: string): VariantInfo | undefined {
  return knownVariants.find((v) => v.name === name);
}

/** A variant a scenario runs under: one its file defines, else a built-in one. */
export function scenarioVariant(s: Scenario, name: string): VariantInfo | undefined {
  return s.variantDefs?.find((v) => v.name === name) ?? findVariant(name);
}

/** A config a scenario names: one it defines, else a named one (undefined for 'default'). */
export function scenarioConfig(s: Scenario, name: string): NamedConfig | undefined {
  return s.configDefs?.find((c) => c.name === name) ?? findConfig(name);
}

/** The variants a scenario runs under, resolved (unknown names are left out). */
export function scenarioVariants(s: Scenario): VariantInfo[] {
  return s.variants.map((n) => scenarioVariant(s, n)).filter((v): v is VariantInfo => v !== undefined);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function configOf(c: ConfigDefinition | NamedConfig, where: string): NamedConfig {
  if (typeof c.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(c.name))
    throw new UsageError(`${where}: a config's name must be a word (letters, digits, '.', '_', '-')`);
  if (c.name === 'default' || findConfig(c.name))
    throw new UsageError(`${where}: config '${c.name}' is already a named config (see 'kernsim list')`);
  if (typeof c.description !== 'string') throw new UsageError(`${where}: config '${c.name}' needs a description`);
  if ('config' in c && isObject(c.config)) return { name: c.name, description: c.description, config: c.config };
  const d = c as ConfigDefinition;
  if (!isObject(d.options)) throw new UsageError(`${where}: config '${c.name}' needs options (Kconfig values)`);
  let baseConfig = makeConfig();
  if (d.base !== undefined && d.base !== 'default') {
    const b = findConfig(String(d.base));
    if (!b) throw new UsageError(`${where}: config '${c.name}': unknown base config '${String(d.base)}'`);
    baseConfig = b.config;
  }
  const known = baseConfig as unknown as Readonly<Record<string, unknown>>;
  for (const [k, v] of Object.entries(d.options)) {
    if (!Object.hasOwn(known, k))
      throw new UsageError(`${where}: config '${c.name}': '${k}' is not a Kconfig option (kernel/config.ts)`);
    if (typeof v !== typeof known[k])
      throw new UsageError(`${where}: config '${c.name}': ${k} takes a ${typeof known[k]}; got ${JSON.stringify(v)}`);
  }
  return {
    name: c.name,
    description: c.description,
    config: makeConfig({ ...baseConfig, ...(d.options as Partial<KernelConfig>) }),
  };
}

/**
 * A scenario definition made whole (defineScenario, and a user file's default export):
 * variants and configs given as definitions become names plus variantDefs/configDefs,
 * parameter declarations are checked. Throws a one-line UsageError (`where` starts it).
 */
export function normalizeScenario(input: unknown, where: string): Scenario {
  if (!isObject(input)) throw new UsageError(`${where}: a scenario definition is an object`);
  const s = input as Record<string, unknown>;
  if (typeof s.name !== 'string' || s.name === '') throw new UsageError(`${where}: name must be a non-empty string`);
  if (typeof s.setup !== 'function') throw new UsageError(`${where}: setup must be a function`);
  const variantNames: string[] = [];
  const variantDefs: VariantInfo[] = [];
  const addVariant = (v: VariantInfo): void => {
    const have = variantDefs.find((d) => d.name === v.name);
    if (have && have !== v) throw new UsageError(`${where}: two variants are named '${v.name}'`);
    if (!have) variantDefs.push(v);
  };
  for (const v of Array.isArray(s.variantDefs) ? s.variantDefs : []) addVariant(v as VariantInfo);
  if (s.variants !== undefined && !Array.isArray(s.variants))
    throw new UsageError(`${where}: variants must be a list of names or defineVariant() variants`);
  for (const v of (s.variants as unknown[] | undefined) ?? []) {
    if (typeof v === 'string') variantNames.push(v);
    else if (isObject(v) && typeof v.name === 'string' && isObject(v.knobs)) {
      addVariant(v as unknown as VariantInfo);
      variantNames.push(v.name);
    } else throw new UsageError(`${where}: variants must be a list of names or defineVariant() variants`);
  }
  const configNames: string[] = [];
  const configDefs: NamedConfig[] = [...((Array.isArray(s.configDefs) ? s.configDefs : []) as NamedConfig[])];
  if (s.configs !== undefined && !Array.isArray(s.configs))
    throw new UsageError(`${where}: configs must be a list of names or config definitions`);
  for (const c of (s.configs as unknown[] | undefined) ?? []) {
    if (typeof c === 'string') configNames.push(c);
    else if (isObject(c)) {
      const nc = configOf(c as unknown as ConfigDefinition, where);
      const have = configDefs.find((d) => d.name === nc.name);
      if (have && JSON.stringify(have.config) !== JSON.stringify(nc.config))
        throw new UsageError(`${where}: two configs are named '${nc.name}'`);
      if (!have) configDefs.push(nc);
      configNames.push(nc.name);
    } else throw new UsageError(`${where}: configs must be a list of names or config definitions`);
  }
  const params = checkDecls(s.params, `${where}: param`);
  if (!params.ok) throw new UsageError(params.message);
  if (s.description !== undefined && typeof s.description !== 'string')
    throw new UsageError(`${where}: description must be a string`);
  return {
    ...(s as unknown as Scenario),
    description: (s.description as string | undefined) ?? '',
    variants: variantNames,
    configs: configNames,
    ...(variantDefs.length > 0 ? { variantDefs } : {}),
    ...(configDefs.length > 0 ? { configDefs } : {}),
    ...(Object.keys(params.decls).length > 0 ? { params: params.decls } : {}),
  };
}

/** Levenshtein distance (for "did you mean"). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * Checks that every patch of a variant names an existing model function (a kfunc created by a
 * loaded module): a UsageError (one line) names the patch and the function.
 */
export function checkPatches(v: VariantInfo | undefined): void {
  for (const p of v?.patches ?? []) {
    if (isKfuncName(p.function)) continue;
    const close = kfuncNameList()
      .map((n) => [n, distance(n, p.function)] as const)
      .filter(([, d]) => d <= 2)
      .sort((a, b) => a[1] - b[1])
      .map(([n]) => n);
    throw new UsageError(
      `patch '${p.name}' of variant '${v?.name}' replaces '${p.function}', but no model function has that name${close.length > 0 ? ` (did you mean ${close.slice(0, 3).join(', ')}?)` : ''}`,
    );
  }
}

/** The override table of a variant's patches: patches of one function compose, the later wrapping the earlier. */
export function patchTable(patches: readonly KernelPatch[]): Map<string, KfuncOverride> {
  const table = new Map<string, KfuncOverride>();
  for (const p of patches) {
    const earlier = table.get(p.function);
    const body = p.body as unknown as KfuncOverride;
    table.set(
      p.function,
      earlier === undefined
        ? body
        : (((original: (...a: never[]) => Generator<unknown, unknown, unknown>, ...args: never[]) =>
            (body as (...x: unknown[]) => Generator<unknown, unknown, unknown>)(
              (...a: never[]) => (earlier as (...x: unknown[]) => Generator<unknown, unknown, unknown>)(original, ...a),
              ...args,
            )) as unknown as KfuncOverride),
    );
  }
  return table;
}

const installed = new WeakMap<readonly KernelPatch[], Map<string, KfuncOverride>>();

/** Installs a variant's patches on a run's machine (before the scenario's setup). */
export function installPatches(m: Machine, v: VariantInfo | undefined): void {
  const ps = v?.patches;
  if (!ps || ps.length === 0) return;
  let t = installed.get(ps);
  if (!t) installed.set(ps, (t = patchTable(ps)));
  setKfuncOverrides(m, t);
}

const KNOBS = new RunSlot<Readonly<Record<string, KnobValue>>>('scenarios.variant-knobs');

/** Installs a variant's patches on a run's machine and records its knobs for the patch bodies (before setup()). */
export function installVariant(
  m: Machine,
  v: VariantInfo | undefined,
  knobs: Readonly<Record<string, KnobValue>>,
): void {
  installPatches(m, v);
  if (v) m.ext.set(KNOBS, knobs);
}

/** The running variant's effective knobs (api.ts variantKnobs()). */
export function runKnobs(): Readonly<Record<string, KnobValue>> {
  return machine().ext.get(KNOBS) ?? {};
}

/** The effective knob values of a variant: defaults with `overrides` over them. */
export function effectiveKnobs(
  v: VariantInfo | undefined,
  overrides: Readonly<Record<string, KnobValue>>,
): Record<string, KnobValue> {
  return { ...(v?.knobs ?? {}), ...overrides };
}

/**
 * `--set knob=value` for a scenario's selected variant: the given values (what tokens store),
 * parsed against the knobs' declarations. A one-line UsageError for a knob the variant does
 * not have, a value that does not fit, a knob given twice.
 */
export function resolveKnobs(
  s: Scenario,
  v: VariantInfo | undefined,
  sets: readonly string[],
): Record<string, KnobValue> {
  if (sets.length === 0) return {};
  if (!v) {
    const first = sets[0] as string;
    const key = first.includes('=') ? first.slice(0, first.indexOf('=')) : first;
    throw new UsageError(`scenario '${s.name}' has no variants: --set ${key} does not apply (no knobs)`);
  }
  const r = parseAssignments(
    sets,
    (k) => knobDecl(v, k),
    '--set',
    `variant '${v.name}'`,
    (k) => `unknown knob '${k}' for variant '${v.name}' (see 'kernsim list')`,
  );
  if (!r.ok) throw new UsageError(r.message);
  return r.values;
}

/**
 * `--param name=value` for a scenario: the given values (what tokens store) and the effective
 * ones (every declared parameter, defaults for those not given). One-line UsageErrors.
 */
export function resolveParams(
  s: Scenario,
  params: readonly string[],
): { readonly given: Record<string, KnobValue>; readonly values: Record<string, KnobValue> } {
  const decls = s.params ?? {};
  const r = parseAssignments(
    params,
    (k) => (Object.hasOwn(decls, k) ? decls[k] : undefined),
    '--param',
    `scenario '${s.name}'`,
    (k) =>
      Object.keys(decls).length === 0
        ? `scenario '${s.name}' has no parameters: --param ${k} does not apply`
        : `unknown parameter '${k}' for scenario '${s.name}' (it takes ${Object.keys(decls).join(', ')}; see 'kernsim list')`,
  );
  if (!r.ok) throw new UsageError(r.message);
  const values: Record<string, KnobValue> = {};
  for (const [k, d] of Object.entries(decls))
    values[k] = Object.hasOwn(r.values, k) ? (r.values[k] as KnobValue) : d.default;
  return { given: r.values, values };
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
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot load scenario file ${nameOrPath}: ${(e as Error).message.split('\n')[0]}`);
  }
  const s = (mod.default ?? mod) as Partial<Scenario>;
  if (!s || typeof s.name !== 'string' || typeof s.setup !== 'function')
    throw new UsageError(`scenario file ${nameOrPath} has no default export made with defineScenario()`);
  return normalizeScenario(s, `scenario file ${nameOrPath}`);
}

/** Bad input from the user: reported as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
