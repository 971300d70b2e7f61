/**
 * Wires the layers together for one exploration: boots a kernel with the
 * chosen config, installs the sanitizers, builds the scenario's world and
 * runs it under a strategy. explore/ calls execute() with its strategies and
 * never sees the model.
 */
import { type CheckState, createCheckState, installCheckers } from '../check/index.js';
import type { KernelConfig } from '../kernel/config.js';
import { boot } from '../kernel/kernel.js';
import type { KnobValue, Scenario, ScenarioContext, VariantInfo } from '../scenarios/api.js';
import { findConfig } from '../scenarios/configs.js';
import { UsageError, findVariant } from '../scenarios/index.js';
import { makeConfig } from '../kernel/config.js';
import type { Observer, RunResult, Strategy } from '../sim/index.js';

export interface RunSpec {
  readonly scenario: Scenario;
  /** Scenario name or file path, as given (goes into tokens). */
  readonly scenarioRef: string;
  readonly variant: VariantInfo | undefined;
  readonly configName: string;
  readonly config: KernelConfig;
  /** Knob overrides given with --set (only these go into tokens). */
  readonly overrides: Readonly<Record<string, KnobValue>>;
  readonly knobs: Readonly<Record<string, KnobValue>>;
}

/** An exploration's state shared by all its runs (the sanitizers' cross-run memory). */
export interface Session {
  readonly spec: RunSpec;
  readonly checks: CheckState;
}

export function createSession(spec: RunSpec): Session {
  return { spec, checks: createCheckState() };
}

export interface ExecuteOptions {
  readonly trace?: boolean;
  readonly maxSteps?: number;
  readonly observers?: readonly Observer[];
}

/** One run of the scenario under a strategy. */
export function execute(session: Session, strategy: Strategy, opts: ExecuteOptions = {}): RunResult {
  const { spec } = session;
  const maxSteps = opts.maxSteps ?? spec.scenario.maxSteps ?? 100_000;
  const k = boot(spec.config, { strategy, maxSteps, trace: opts.trace ?? false });
  const m = k.machine;
  for (const o of opts.observers ?? []) m.observers.push(o);
  installCheckers(m, spec.config, session.checks);
  const ctx: ScenarioContext = { config: spec.config, variant: spec.variant, knobs: spec.knobs };
  const finish = spec.scenario.finish;
  if (finish) m.endHooks.unshift(() => finish(ctx));
  spec.scenario.setup(ctx);
  return m.run();
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
): RunSpec {
  let variant: VariantInfo | undefined;
  if (variantName !== undefined) {
    variant = findVariant(variantName);
    if (!variant) throw new UsageError(`unknown variant '${variantName}' (see 'kernsim list')`);
    if (scenario.variants.length > 0 && !scenario.variants.includes(variantName))
      throw new UsageError(`scenario '${scenario.name}' does not run under variant '${variantName}'`);
  } else if (scenario.variants.length > 0) {
    variant = findVariant(scenario.variants[0] as string);
  }
  const cname = configName ?? scenario.configs[0] ?? 'default';
  let config: KernelConfig;
  if (cname === 'default') config = makeConfig();
  else {
    const c = findConfig(cname);
    if (!c) throw new UsageError(`unknown config '${cname}' (see 'kernsim list')`);
    config = c.config;
  }
  const overrides: Record<string, KnobValue> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects knob=value, got '${s}'`);
    const key = s.slice(0, eq);
    const value = parseKnob(s.slice(eq + 1));
    if (!variant || !(key in variant.knobs))
      throw new UsageError(
        `unknown knob '${key}'${variant ? ` for variant '${variant.name}'` : ' (no variant selected)'}`,
      );
    const allowed = variant.choices?.[key];
    if (allowed && !allowed.includes(value))
      throw new UsageError(`knob '${key}' takes one of ${allowed.join(', ')}; got '${String(value)}'`);
    if (!allowed && typeof value !== typeof variant.knobs[key])
      throw new UsageError(`knob '${key}' takes a ${typeof variant.knobs[key]}; got '${String(value)}'`);
    overrides[key] = value;
  }
  return {
    scenario,
    scenarioRef,
    variant,
    configName: cname,
    config,
    overrides,
    knobs: { ...(variant?.knobs ?? {}), ...overrides },
  };
}
