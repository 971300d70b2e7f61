/**
 * Kconfig-like options, one typed object per run. The type is exact: every option is declared
 * here (a model's too, e.g. MMU_NOTIFIER), so a misspelt option such as
 * `makeConfig({ PREEMT_RT: true })` does not compile instead of booting a non-RT kernel.
 */
export interface KernelConfig {
  readonly PREEMPT_RT: boolean;
  readonly DEBUG_ATOMIC_SLEEP: boolean;
  readonly PROVE_LOCKING: boolean;
  /** PROVE_RCU: RCU_LOCKDEP_WARN ("suspicious RCU usage"); follows PROVE_LOCKING in the kernel. */
  readonly PROVE_RCU: boolean;
  /**
   * PROVE_RCU_LIST: the lockdep check of the _rcu/_srcu list walks ("RCU-list traversed in
   * non-reader section!"); needs PROVE_RCU. (The kernel's default is n, behind RCU_EXPERT.)
   */
  readonly PROVE_RCU_LIST: boolean;
  readonly KASAN: boolean;
  /**
   * KCSAN: the data-race detector (check/kcsan.ts). The kernel cannot build it with KASAN; here
   * both observe the same run. Off by default; on in the named configs (scenarios/configs.ts).
   */
  readonly KCSAN: boolean;
  readonly DEBUG_KMEMLEAK: boolean;
  readonly DEBUG_OBJECTS_RCU_HEAD: boolean;
  /** Injected allocation failures (failslab) become explored choices. */
  readonly FAULT_INJECTION: boolean;
  /** failslab's ignore-gfp-wait=N: sleeping (__GFP_DIRECT_RECLAIM) allocations fail too. */
  readonly FAIL_GFP_WAIT: boolean;
  /** CONFIG_MMU_NOTIFIER (selected by KVM): off, the OOM path runs through the !MMU_NOTIFIER stubs. */
  readonly MMU_NOTIFIER: boolean;
  readonly DETECT_HUNG_TASK: boolean;
  readonly NR_CPUS: number;
  readonly HZ: number;
  readonly hung_task_timeout_secs: number;
  /**
   * The srcutree.convert_to_big module parameter (kernel/rcu/srcutree.c): 0 never convert to
   * SRCU_SIZE_BIG, 1 convert at init_srcu_struct() time, 3 (the kernel's default,
   * SRCU_SIZING_AUTO) decide at boot: big when nr_cpu_ids >= srcutree.big_cpu_lim (128), else
   * small (converting on lock contention, which is not modelled). SRCU_SIZE_SMALL queues every
   * callback on the boot CPU's srcu_data; SRCU_SIZE_BIG on the queuing CPU's.
   */
  readonly srcutree_convert_to_big: number;
  /** srcutree.big_cpu_lim: the CPU count from which SRCU_SIZING_AUTO makes domains big. */
  readonly srcutree_big_cpu_lim: number;
}

export const defaultConfig: KernelConfig = {
  PREEMPT_RT: false,
  DEBUG_ATOMIC_SLEEP: true,
  PROVE_LOCKING: true,
  PROVE_RCU: true,
  PROVE_RCU_LIST: true,
  KASAN: true,
  KCSAN: false,
  DEBUG_KMEMLEAK: true,
  DEBUG_OBJECTS_RCU_HEAD: true,
  FAULT_INJECTION: true,
  FAIL_GFP_WAIT: false,
  MMU_NOTIFIER: false,
  DETECT_HUNG_TASK: true,
  NR_CPUS: 2,
  HZ: 1000,
  hung_task_timeout_secs: 120,
  srcutree_convert_to_big: 3,
  srcutree_big_cpu_lim: 128,
};

export function makeConfig(over: Partial<KernelConfig> = {}): KernelConfig {
  return { ...defaultConfig, ...over };
}

/** A config option's name. */
export type KernelOption = keyof KernelConfig;

/** The kernel release string printed in reports. */
export function utsRelease(c: KernelConfig): string {
  return `6.17.0-kernsim${c.PREEMPT_RT ? '-rt' : ''}`;
}

export function utsVersion(c: KernelConfig): string {
  return `#1 ${c.PREEMPT_RT ? 'PREEMPT_RT' : 'PREEMPT(full)'}`;
}
