/**
 * One run of a scenario: boots a kernel with the spec's config, installs the
 * sanitizers, builds the scenario's world and runs it under a strategy.
 * explore/ calls the run function (runnerFor) with its strategies and never
 * sees the model.
 */
import type { RunFn } from '../explore/common.js';
import { type CheckState, createCheckState, installCheckers } from '../check/index.js';
import { boot } from '../kernel/kernel.js';
import type { ScenarioContext } from '../scenarios/api.js';
import { installVariant } from '../scenarios/index.js';
import type { Observer, RunResult, Strategy } from '../sim/index.js';
import type { Fingerprint } from './fingerprint.js';
import { beating, runUnderWay } from './heartbeat.js';
import { runHook } from './model-error.js';
import type { RunSpec } from './spec.js';

export type { RunSpec } from './spec.js';

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
  /** Records what every step did (run/determinism.ts compares two runs step by step). */
  readonly fingerprint?: Fingerprint;
}

const NO_OPTIONS: ExecuteOptions = {};

/** One run of the scenario under a strategy (beating on the thread's heartbeat, if any: run/heartbeat.ts). */
export function execute(session: Session, strategy: Strategy, opts: ExecuteOptions = NO_OPTIONS): RunResult {
  runUnderWay(true);
  try {
    return executeRun(session, beating(strategy), opts);
  } finally {
    runUnderWay(false);
  }
}

function executeRun(session: Session, strategy: Strategy, opts: ExecuteOptions): RunResult {
  const { spec } = session;
  const maxSteps = opts.maxSteps ?? spec.scenario.maxSteps ?? 100_000;
  const k = boot(spec.config, { strategy, maxSteps, trace: opts.trace ?? false });
  const m = k.machine;
  const obs = opts.observers;
  if (obs !== undefined) for (let i = 0; i < obs.length; i++) m.observers.push(obs[i] as Observer);
  installCheckers(m, spec.config, session.checks);
  // The variant's patches replace model functions by name on this machine, for every task.
  installVariant(m, spec.variant, spec.knobs);
  if (opts.fingerprint) opts.fingerprint.install(m);
  const ctx: ScenarioContext = { config: spec.config, variant: spec.variant, knobs: spec.knobs, params: spec.params };
  const sc = spec.scenario;
  const finish = sc.finish;
  if (finish) m.endHooks.unshift(() => void runHook(m, sc.name, 'finish', () => finish.call(sc, ctx)));
  // A setup() that throws ends the run before its first step, with the Oops as its report.
  if (!runHook(m, sc.name, 'setup', () => sc.setup(ctx))) m.stop();
  const r = m.run();
  opts.fingerprint?.finish(r);
  return r;
}

/** A run function over a fresh session (fresh cross-run checker state). */
export function runnerFor(spec: RunSpec): RunFn {
  const session = createSession(spec);
  return (s: Strategy) => execute(session, s);
}
