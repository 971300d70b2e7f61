/**
 * What there is to run: the scenarios (built-in, or one: a user file's), the variants with their knobs
 * and the allowed values, and the configs with their options — `kernsim list` and
 * `kernsim list --json`. Every entry is an object, so fields can be added without breaking a
 * reader: a scenario's `params` (declared scenario parameters) is a list, empty until a scenario
 * declares some. A scenario's own variants (defineVariant: base, knobs, patches) and configs carry
 * the name of the scenario that defines them.
 */
import { z } from 'zod';
import { makeConfig } from '../kernel/config.js';
import { type NamedConfig, configs } from '../scenarios/configs.js';
import { scenarios, variants } from '../scenarios/index.js';
import type { ParamDecl, Scenario, VariantInfo } from '../scenarios/api.js';
import { loadAnyScenario } from './load-scenario.js';
import '../scenarios/builtin.js';

const Value = z.union([z.string(), z.number(), z.boolean()]);

export const CatalogJsonSchema = z
  .object({
    version: z.literal(1),
    scenarios: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        /** The scenario file (absolute path) for a user scenario; null for a built-in one. */
        file: z.string().nullable(),
        variants: z.array(z.string()),
        configs: z.array(z.string()),
        /** Scenario parameters (`--param name=value`): name, type, default, allowed values. */
        params: z.array(
          z.object({
            name: z.string(),
            type: z.string(),
            default: Value,
            choices: z.array(Value).optional(),
            min: z.number().optional(),
            max: z.number().optional(),
            description: z.string().optional(),
          }),
        ),
      }),
    ),
    variants: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        knobs: z.array(
          z.object({
            name: z.string(),
            type: z.string(),
            default: Value,
            choices: z.array(Value).optional(),
            min: z.number().optional(),
            max: z.number().optional(),
            description: z.string().optional(),
          }),
        ),
        /** A scenario's own variant (defineVariant): that scenario; absent for a built-in one. */
        scenario: z.string().optional(),
        /** The variant it is based on. */
        base: z.string().optional(),
        /** The model functions it replaces (definePatch). */
        patches: z.array(z.object({ name: z.string(), function: z.string(), description: z.string() })).optional(),
      }),
    ),
    configs: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        options: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])),
        /** A config a scenario defines: that scenario; absent for a named one. */
        scenario: z.string().optional(),
      }),
    ),
  })
  .readonly();
export type CatalogJson = z.infer<typeof CatalogJsonSchema>;

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
