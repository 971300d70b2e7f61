/**
 * A run's specification: which scenario (a built-in name or a user file),
 * variant, config and knobs. resolveSpec() turns user input into a RunSpec,
 * rejecting bad input with a one-line UsageError; specFor() also loads the
 * scenario (run/tokens.ts: the spec a token names).
 */
import type { KernelConfig } from '../kernel/config.js';
import { makeConfig } from '../kernel/config.js';
import type { KnobValue, Scenario, VariantInfo } from '../scenarios/api.js';
import { findConfig } from '../scenarios/configs.js';
import { UsageError, findVariant } from '../scenarios/index.js';
import { loadAnyScenario } from './load-scenario.js';
import '../scenarios/builtin.js';

export interface RunSpec {
  readonly scenario: Scenario;
  /** Scenario name or file path, as given (shown in results). */
  readonly scenarioRef: string;
  /** A user scenario file: its absolute path and content hash (what tokens store). */
  readonly file?: { readonly path: string; readonly hash: string } | undefined;
  readonly variant: VariantInfo | undefined;
  readonly configName: string;
  readonly config: KernelConfig;
  /** Knob overrides given with --set (only these go into tokens). */
  readonly overrides: Readonly<Record<string, KnobValue>>;
  readonly knobs: Readonly<Record<string, KnobValue>>;
}

function parseKnob(v: string): KnobValue {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^-?\d+$/.test(v)) return Number(v);
  return v;
}

/** Resolves --variant, --config and --set into a RunSpec, rejecting bad input with a UsageError. */
export function resolveSpec(
  scenario: Scenario,
  scenarioRef: string,
  variantName: string | undefined,
  configName: string | undefined,
  sets: readonly string[],
  file?: { readonly path: string; readonly hash: string },
): RunSpec {
  let variant: VariantInfo | undefined;
  if (variantName !== undefined) {
    if (scenario.variants.length === 0)
      throw new UsageError(`scenario '${scenario.name}' has no variants: --variant '${variantName}' does not apply`);
    if (!scenario.variants.includes(variantName)) {
      if (!findVariant(variantName)) throw new UsageError(`unknown variant '${variantName}' (see 'kernsim list')`);
      throw new UsageError(`scenario '${scenario.name}' does not run under variant '${variantName}'`);
    }
    variant = findVariant(variantName);
    if (!variant) throw new UsageError(`unknown variant '${variantName}' (see 'kernsim list')`);
  } else if (scenario.variants.length > 0) {
    variant = findVariant(scenario.variants[0] as string);
    if (!variant)
      throw new UsageError(`scenario '${scenario.name}' names an unknown variant '${scenario.variants[0]}'`);
  }
  const cname = configName ?? scenario.configs[0] ?? 'default';
  let config: KernelConfig;
  if (cname === 'default') config = makeConfig();
  else {
    const c = findConfig(cname);
    if (!c) throw new UsageError(`unknown config '${cname}' (see 'kernsim list')`);
    config = c.config;
  }
  // Knob names are user input: own properties only (never 'constructor', 'toString', '__proto__').
  const overrides = new Map<string, KnobValue>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects knob=value, got '${s}'`);
    const key = s.slice(0, eq);
    const value = parseKnob(s.slice(eq + 1));
    if (!variant)
      throw new UsageError(`scenario '${scenario.name}' has no variants: --set ${key} does not apply (no knobs)`);
    if (!Object.hasOwn(variant.knobs, key))
      throw new UsageError(`unknown knob '${key}' for variant '${variant.name}' (see 'kernsim list')`);
    if (overrides.has(key)) throw new UsageError(`--set ${key} given twice`);
    const allowed = variant.choices && Object.hasOwn(variant.choices, key) ? variant.choices[key] : undefined;
    const dflt = variant.knobs[key];
    if (allowed && !allowed.includes(value))
      throw new UsageError(`knob '${key}' takes one of ${allowed.join(', ')}; got '${String(value)}'`);
    if (!allowed && typeof value !== typeof dflt)
      throw new UsageError(`knob '${key}' takes a ${typeof dflt}; got '${String(value)}'`);
    overrides.set(key, value);
  }
  const over = Object.fromEntries(overrides) as Record<string, KnobValue>;
  return {
    scenario,
    scenarioRef,
    file,
    variant,
    configName: cname,
    config,
    overrides: over,
    knobs: { ...(variant?.knobs ?? {}), ...over },
  };
}

/** The RunSpec of a scenario given by name, by file path, or as a defineScenario() object. */
export async function specFor(
  scenario: string | Scenario,
  variant: string | undefined,
  config: string | undefined,
  sets: readonly string[],
): Promise<RunSpec> {
  if (typeof scenario !== 'string') return resolveSpec(scenario, scenario.name, variant, config, sets);
  const sc = await loadAnyScenario(scenario);
  return resolveSpec(sc.scenario, scenario, variant, config, sets, sc.file);
}
