/**
 * The public API for scenarios: programs that drive kernel code on the
 * simulated machine. A user writes one in a TypeScript file
 * (`export default defineScenario({...})`) and runs it with
 * `kernsim explore --scenario ./file.ts`, without touching the engine.
 */
import type { KernelConfig } from '../kernel/config.js';

import type { KnobValue, VariantInfo } from '../models/variant.js';

export type { KnobValue, VariantInfo };

export interface ScenarioContext {
  readonly config: KernelConfig;
  /** The selected variant (undefined for scenarios that have none). */
  readonly variant: VariantInfo | undefined;
  /** Effective knob values: the variant's defaults overridden by --set. */
  readonly knobs: Readonly<Record<string, KnobValue>>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Variant names this scenario runs under; empty when it has none. */
  readonly variants: readonly string[];
  /** Named configs (see scenarios/configs.ts) this scenario is meant for. */
  readonly configs: readonly string[];
  /** Step limit per run (a livelock guard); the run is reported incomplete beyond it. */
  readonly maxSteps?: number;
  /** Builds the world on the booted kernel: creates objects and spawns tasks. */
  setup(ctx: ScenarioContext): void;
  /** Runs once every task is done or blocked for good (end-of-run assertions such as WARN_ON). */
  finish?(ctx: ScenarioContext): void;
}

export function defineScenario(s: Scenario): Scenario {
  return s;
}
