/**
 * A run's specification: which scenario (a built-in name or a user file),
 * variant, config and knobs. resolveSpec() turns user input into a RunSpec,
 * rejecting bad input with a one-line UsageError; specFor() also loads the
 * scenario (run/tokens.ts: the spec a token names).
 */
import type { KernelConfig } from '../kernel/config.js';
import { makeConfig } from '../kernel/config.js';
import type { KnobValue, Scenario, VariantInfo } from '../scenarios/api.js';
import {
  UsageError,
  checkPatches,
  normalizeScenario,
  resolveKnobs,
  resolveParams,
  scenarioConfig,
  scenarioVariant,
} from '../scenarios/index.js';
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
  /** Scenario parameters given with --param (only these go into tokens). */
  readonly paramOverrides: Readonly<Record<string, KnobValue>>;
  /** Every declared parameter's value (ctx.params). */
  readonly params: Readonly<Record<string, KnobValue>>;
}

/** Resolves --variant, --config, --set and --param into a RunSpec, rejecting bad input with a UsageError. */
export function resolveSpec(
  scenario: Scenario,
  scenarioRef: string,
  variantName: string | undefined,
  configName: string | undefined,
  sets: readonly string[],
  file?: { readonly path: string; readonly hash: string },
  params: readonly string[] = [],
): RunSpec {
  let variant: VariantInfo | undefined;
  if (variantName !== undefined) {
    if (scenario.variants.length === 0)
      throw new UsageError(`scenario '${scenario.name}' has no variants: --variant '${variantName}' does not apply`);
    if (!scenario.variants.includes(variantName)) {
      if (!scenarioVariant(scenario, variantName))
        throw new UsageError(`unknown variant '${variantName}' (see 'kernsim list')`);
      throw new UsageError(`scenario '${scenario.name}' does not run under variant '${variantName}'`);
    }
    variant = scenarioVariant(scenario, variantName);
    if (!variant) throw new UsageError(`unknown variant '${variantName}' (see 'kernsim list')`);
  } else if (scenario.variants.length > 0) {
    variant = scenarioVariant(scenario, scenario.variants[0] as string);
    if (!variant)
      throw new UsageError(`scenario '${scenario.name}' names an unknown variant '${scenario.variants[0]}'`);
  }
  checkPatches(variant);
  const cname = configName ?? scenario.configs[0] ?? 'default';
  let config: KernelConfig;
  if (cname === 'default') config = makeConfig();
  else {
    const c = scenarioConfig(scenario, cname);
    if (!c) throw new UsageError(`unknown config '${cname}' (see 'kernsim list')`);
    config = c.config;
  }
  const over = resolveKnobs(scenario, variant, sets);
  const par = resolveParams(scenario, params);
  return {
    scenario,
    scenarioRef,
    file,
    variant,
    configName: cname,
    config,
    overrides: over,
    knobs: { ...(variant?.knobs ?? {}), ...over },
    paramOverrides: par.given,
    params: par.values,
  };
}

/** The RunSpec of a scenario given by name, by file path, or as a defineScenario() object. */
export async function specFor(
  scenario: string | Scenario,
  variant: string | undefined,
  config: string | undefined,
  sets: readonly string[],
  params: readonly string[] = [],
): Promise<RunSpec> {
  if (typeof scenario !== 'string') {
    // From a library caller, anything (an options object given as the scenario, a scenario
    // written without defineScenario()): checked as defineScenario() checks it, one line if not.
    const sc = normalizeScenario(scenario, `scenario '${String((scenario as { name?: unknown } | null)?.name)}'`);
    return resolveSpec(sc, sc.name, variant, config, sets, undefined, params);
  }
  const sc = await loadAnyScenario(scenario);
  return resolveSpec(sc.scenario, scenario, variant, config, sets, sc.file, params);
}
