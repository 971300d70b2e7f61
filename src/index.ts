/**
 * kernsim: the public face for scenario files and scripts.
 *
 *   import { defineScenario, kfunc, spawn_user } from 'kernsim';
 *   import { mutex_init, mutex_lock, mutex_unlock, READ_ONCE, WRITE_ONCE } from 'kernsim/kernel';
 *   import { model_setup, spawn_process, simple_kvm_setup } from 'kernsim/linux';
 *   import { explore, replay, check } from 'kernsim/explore';
 *
 * A scenario file and the engine must load the same modules (one simulated machine per thread):
 * `kernsim explore --scenario FILE` resolves 'kernsim' and 'kernsim/…' in FILE to the
 * installation that runs it (run/load-scenario.ts).
 */

import type * as Run from './run/index.js';

// Scenarios: defineScenario and its types. Designs from a user's file (defineVariant,
// definePatch, scenario parameters) are declared in scenarios/api.ts and exported from here
// through this same line.
export * from './scenarios/api.js';
export { inFrame } from './scenarios/frame.js';
export { type NamedConfig, configs, findConfig } from './scenarios/configs.js';
export { type KernelConfig, defaultConfig, makeConfig } from './kernel/config.js';

// Task bodies: kfunc names a function in call traces ("WARNING in name"); tasks are generators.
export { current, kfunc, markInternal } from './sim/index.js';
export type { KGen, Task, TaskBody } from './sim/index.js';
export { kthread_create, kthread_run, kthread_should_stop, kthread_stop } from './kernel/kthread.js';
export { spawn_user, spawn_user_thread } from './kernel/sched/core.js';

// Running: the same functions as kernsim/explore. explore() and check() load kernsim/explore's
// module at their first call: it holds the JSON schemas (zod, about 70 ms to load), which every
// scenario file that imports this entry (in the command and in each worker thread) would load
// for nothing.
export { replay } from './run/replay-json.js';
export const explore: typeof Run.explore = async (...args) => (await import('./run/index.js')).explore(...args);
export const check: typeof Run.check = async (...args) => (await import('./run/index.js')).check(...args);
