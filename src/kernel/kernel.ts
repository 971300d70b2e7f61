/**
 * The booted kernel: a machine plus its configuration.
 * One kernel runs per thread at a time, so the state is module-level (like the kernel's own globals).
 */
import { Machine, type MachineOptions, SOFTIRQ_OFFSET, current, type Task } from '../sim/index.js';
import type { KernelConfig, KernelOption } from './config.js';

export interface Kernel {
  readonly config: KernelConfig;
  readonly machine: Machine;
  /**
   * Kernel patches applied to this boot, by name (a design variant that changes core kernel
   * behaviour, e.g. the scheduler's sleep check, applies its patch in its scenario's setup).
   */
  readonly patches: Set<string>;
}

let booted: Kernel | null = null;
const bootHooks: ((k: Kernel) => void)[] = [];

/** Registers per-boot initialisation (static objects of kernel subsystems). */
export function onBoot(hook: (k: Kernel) => void): void {
  bootHooks.push(hook);
}

export function boot(config: KernelConfig, opts: Omit<MachineOptions, 'nrCpus'>): Kernel {
  // Timer callbacks run in the timer softirq on !PREEMPT_RT, in a preemptible thread on PREEMPT_RT.
  const timerPreemptOffset = config.PREEMPT_RT ? 0 : SOFTIRQ_OFFSET;
  const machine = new Machine({
    strategy: opts.strategy,
    maxSteps: opts.maxSteps,
    trace: opts.trace,
    nrCpus: config.NR_CPUS,
    timerPreemptOffset,
  }).activate();
  booted = { config, machine, patches: new Set() };
  for (const h of bootHooks) h(booted);
  return booted;
}

export function kernel(): Kernel {
  if (!booted) throw new Error('kernel not booted');
  return booted;
}

export function kconfig(): KernelConfig {
  return kernel().config;
}

export function IS_ENABLED(option: KernelOption): boolean {
  return Boolean(kernel().config[option]);
}

export { current };
export type { Task };

/** jiffies at the current virtual time. */
export function jiffies(): number {
  const k = kernel();
  return Math.floor(k.machine.clock() / (1e9 / k.config.HZ));
}

export function jiffiesToNs(j: number): number {
  return (j * 1e9) / kernel().config.HZ;
}

export function HZ(): number {
  return kernel().config.HZ;
}
