/**
 * The shapes of the scenario API (scenarios/api.ts re-exports them): a scenario, what
 * defineScenario() takes, the context setup() gets, a config a scenario defines.
 */
import type { KernelConfig } from '../kernel/config.js';
import type { KnobValue, ParamDecl, ParamValues, VariantInfo } from '../models/variant.js';
import type { NamedConfig } from './configs.js';

export interface ScenarioContext<P = Readonly<Record<string, KnobValue>>> {
  readonly config: KernelConfig;
  /** The selected variant (undefined for scenarios that have none). */
  readonly variant: VariantInfo | undefined;
  /** Effective knob values: the variant's defaults overridden by --set. */
  readonly knobs: Readonly<Record<string, KnobValue>>;
  /** Effective scenario parameters: the declared defaults overridden by --param. */
  readonly params: P;
}

/** A kernel config a scenario defines: a named config (or the defaults) with options changed. */
export interface ConfigDefinition {
  readonly name: string;
  readonly description: string;
  /** The named config it starts from ('rt', 'nonrt', ...); absent: the defaults (`default`). */
  readonly base?: string;
  /** Kconfig options over the base's (checked by name and type when the file loads). */
  readonly options: Readonly<Partial<KernelConfig>>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Variant names this scenario runs under; empty when it has none. */
  readonly variants: readonly string[];
  /** Variants the scenario's file defines (defineVariant), by name; the others are built-in. */
  readonly variantDefs?: readonly VariantInfo[];
  /** Named configs (see scenarios/configs.ts, or configDefs) this scenario is meant for. */
  readonly configs: readonly string[];
  /** Configs the scenario defines (resolved against the named ones). */
  readonly configDefs?: readonly NamedConfig[];
  /** Declared parameters (`--param name=value`): type, default, range, description. */
  readonly params?: Readonly<Record<string, ParamDecl>>;
  /** Step limit per run (a livelock guard); the run is reported incomplete beyond it. */
  readonly maxSteps?: number;
  /** Builds the world on the booted kernel: creates objects and spawns tasks. */
  setup(ctx: ScenarioContext): void;
  /** Runs once every task is done or blocked for good (end-of-run assertions such as WARN_ON). */
  finish?(ctx: ScenarioContext): void;
}

/** What defineScenario() takes: variants and configs may be given as names or as definitions. */
export interface ScenarioDefinition<P extends Readonly<Record<string, ParamDecl>>> {
  readonly name: string;
  readonly description?: string;
  /** Variant names (built-in) or variants made with defineVariant(); the first is the default. */
  readonly variants?: readonly (string | VariantInfo)[];
  readonly variantDefs?: readonly VariantInfo[];
  /** Config names, or configs of the scenario's own (ConfigDefinition); the first is the default. */
  readonly configs?: readonly (string | ConfigDefinition | NamedConfig)[];
  readonly configDefs?: readonly NamedConfig[];
  readonly params?: P;
  readonly maxSteps?: number;
  setup(ctx: ScenarioContext<ParamValues<P>>): void;
  finish?(ctx: ScenarioContext<ParamValues<P>>): void;
}
