/**
 * What there is to run: the scenarios (built-in, or one: a user file's), the variants with their knobs
 * and the allowed values, and the configs with their options — `kernsim list` and
 * `kernsim list --json`. Every entry is an object, so fields can be added without breaking a
 * reader: a scenario's `params` (declared scenario parameters) is a list, empty until a scenario
 * declares some. A scenario's own variants (defineVariant: base, knobs, patches) and configs carry
 * the name of the scenario that defines them. The schema, CatalogJsonSchema, is report/json.ts'
 * (it loads zod, which `kernsim list` does not need).
 */
import { makeConfig } from '../kernel/config.js';
import type { CatalogJson } from '../report/json.js';
import { type NamedConfig, configs } from '../scenarios/configs.js';
import { scenarios, variants } from '../scenarios/index.js';
import type { ParamDecl, Scenario, VariantInfo } from '../scenarios/api.js';
import { loadAnyScenario } from './load-scenario.js';
import '../scenarios/builtin.js';

type Entry = CatalogJson['scenarios'][number]['params'][number];

/** A declared parameter or knob (scenarios/params.ts' declarations) as a catalog entry. */
function declEntry(name: string, d: ParamDecl): Entry {
  return {
    name,
    type: d.type,
    default: d.default,
    ...(d.type === 'enum' ? { choices: [...d.choices] } : {}),
    ...(d.type === 'int' && d.min !== undefined ? { min: d.min } : {}),
    ...(d.type === 'int' && d.max !== undefined ? { max: d.max } : {}),
    ...(d.description !== undefined ? { description: d.description } : {}),
  };
}

/** The parameters a scenario declares. */
function paramsOf(s: Scenario): Entry[] {
  return Object.entries(s.params ?? {}).map(([name, d]) => declEntry(name, d));
}

type VariantJson = CatalogJson['variants'][number];
type ConfigJson = CatalogJson['configs'][number];

function variantJson(v: VariantInfo, scenario?: string): VariantJson {
  return {
    name: v.name,
    description: v.description,
    knobs: Object.entries(v.knobs).map(([name, d]) => {
      const declared = v.knobTypes && Object.hasOwn(v.knobTypes, name) ? v.knobTypes[name] : undefined;
      if (declared) return declEntry(name, declared);
      const ch = v.choices && Object.hasOwn(v.choices, name) ? v.choices[name] : undefined;
      return { name, type: typeof d, default: d, ...(ch ? { choices: [...ch] } : {}) };
    }),
    ...(scenario !== undefined ? { scenario } : {}),
    ...(v.base !== undefined ? { base: v.base } : {}),
    ...(v.patches && v.patches.length > 0
      ? { patches: v.patches.map((p) => ({ name: p.name, function: p.function, description: p.description })) }
      : {}),
  };
}

/** What a scenario may define for itself (variants, configs), read without depending on its shape. */
function ownDefs(s: Scenario): { variants: VariantInfo[]; configs: NamedConfig[] } {
  const o = s as { readonly variantDefs?: unknown; readonly configDefs?: unknown };
  return {
    variants: Array.isArray(o.variantDefs) ? (o.variantDefs as VariantInfo[]) : [],
    configs: Array.isArray(o.configDefs) ? (o.configDefs as NamedConfig[]) : [],
  };
}

/**
 * The catalog. `scenario`: one scenario (a built-in name or a user file) instead of all of them,
 * with the variants and configs it defines itself beside the built-in ones.
 */
export async function catalog(scenario?: string): Promise<CatalogJson> {
  const one = scenario !== undefined ? await loadAnyScenario(scenario) : undefined;
  const all: { s: Scenario; file: string | null }[] = one
    ? [{ s: one.scenario, file: one.file?.path ?? null }]
    : scenarios().map((s) => ({ s, file: null }));
  const own = one ? ownDefs(one.scenario) : { variants: [], configs: [] };
  const vs: VariantJson[] = variants().map((v) => variantJson(v));
  for (const v of own.variants) if (!vs.some((x) => x.name === v.name)) vs.push(variantJson(v, one?.scenario.name));
  const cs: ConfigJson[] = [
    { name: 'default', description: 'all sanitizers, !PREEMPT_RT (self-tests)', options: { ...makeConfig() } },
    ...configs.map((c) => ({ name: c.name, description: c.description, options: { ...c.config } })),
  ];
  for (const c of own.configs)
    if (!cs.some((x) => x.name === c.name))
      cs.push({
        name: c.name,
        description: c.description,
        options: { ...c.config },
        scenario: one?.scenario.name ?? '',
      });
  return {
    version: 1,
    scenarios: all.map(({ s, file }) => ({
      name: s.name,
      description: s.description,
      file,
      variants: [...s.variants],
      configs: [...s.configs],
      params: paramsOf(s),
    })),
    variants: vs,
    configs: cs,
  };
}
