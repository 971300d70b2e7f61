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
import type { Fingerprint } from './determinism.js';
import { runHook } from './model-error.js';

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
  /** Records what every step did (cli/determinism.ts compares two runs step by step). */
  readonly fingerprint?: Fingerprint;
}

/** One run of the scenario under a strategy. */
export function execute(session: Session, strategy: Strategy, opts: ExecuteOptions = {}): RunResult {
  const { spec } = session;
  const maxSteps = opts.maxSteps ?? spec.scenario.maxSteps ?? 100_000;
  const k = boot(spec.config, { strategy, maxSteps, trace: opts.trace ?? false });
  const m = k.machine;
  for (const o of opts.observers ?? []) m.observers.push(o);
  installCheckers(m, spec.config, session.checks);
  if (opts.fingerprint) opts.fingerprint.install(m);
  const ctx: ScenarioContext = { config: spec.config, variant: spec.variant, knobs: spec.knobs };
  const sc = spec.scenario;
  const finish = sc.finish;
  if (finish) m.endHooks.unshift(() => void runHook(m, sc.name, 'finish', () => finish.call(sc, ctx)));
  // A setup() that throws ends the run before its first step, with the Oops as its report.
  if (!runHook(m, sc.name, 'setup', () => sc.setup(ctx))) m.stop();
  const r = m.run();
  opts.fingerprint?.finish(r);
  return r;
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
