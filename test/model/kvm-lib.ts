/** Small KVM programs for the kvm-*.test.ts files: a VMM process on a booted kernel, with the checkers. */
import { createCheckState, installCheckers } from '../../src/check/index.js';
import { Dpor } from '../../src/explore/dpor.js';
import { type ExploreResult, explore } from '../../src/explore/explorer.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot } from '../../src/kernel/kernel.js';
import type { KGen, Report, RunResult, SimEvent, Strategy } from '../../src/sim/index.js';
import type { task_struct } from '../../src/models/linux/include/linux/sched.js';
import { select_design } from '../../src/models/linux/variants.js';
import { VARIANTS } from '../../src/models/linux/variants.js';
import { type Vm, simple_kvm_setup, spawn_process } from '../../src/scenarios/oom-kvm-lib.js';

export interface Run {
  result: RunResult;
  events: SimEvent[];
  reports: readonly Report[];
}

/** Boots a kernel (nonrt unless `over` says otherwise), selects `variant`'s design, runs `qemu`. */
export function runVmm(
  strategy: Strategy,
  qemu: (ts: task_struct, vm: Vm) => KGen,
  variant = 'upstream',
  over: Partial<Record<string, boolean | number | string>> = {},
  maxSteps = 4000,
): Run {
  const config = makeConfig({ MMU_NOTIFIER: true, PREEMPT_RT: false, NR_CPUS: 2, ...over });
  const k = boot(config, { strategy, maxSteps });
  installCheckers(k.machine, config, createCheckState());
  const events: SimEvent[] = [];
  k.machine.observers.push((ev) => events.push(ev));
  select_design(
    VARIANTS.find((v) => v.name === variant),
    {},
  );
  spawn_process('qemu', function* (ts) {
    const vm = yield* simple_kvm_setup(ts);
    yield* qemu(ts, vm);
  });
  const result = k.machine.run();
  return { result, events, reports: result.reports };
}

/** DPOR without bounds over a VMM program; `seen` collects what the runs record (outside every footprint). */
export function dporVmm(
  setup: (seen: Set<string>) => (ts: task_struct, vm: Vm) => KGen,
  budget = 3000,
): { seen: string[]; result: ExploreResult } {
  const seen = new Set<string>();
  const result = explore(new Dpor({ preemptions: -1, faults: 0 }), (s: Strategy) => runVmm(s, setup(seen)).result, {
    scenario: 'kvm',
    budget,
  });
  return { seen: [...seen].sort(), result };
}
