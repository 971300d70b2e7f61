/** Named kernel configurations. */
import { type KernelConfig, makeConfig } from '../kernel/config.js';

export interface NamedConfig {
  readonly name: string;
  readonly description: string;
  readonly config: KernelConfig;
}

export const configs: readonly NamedConfig[] = [
  {
    name: 'rt',
    description: 'PREEMPT_RT + DEBUG_ATOMIC_SLEEP + PROVE_LOCKING + KASAN + KCSAN',
    config: makeConfig({ PREEMPT_RT: true, MMU_NOTIFIER: true, KCSAN: true }),
  },
  {
    name: 'nonrt',
    description: 'DEBUG_ATOMIC_SLEEP + PROVE_LOCKING + KASAN + KCSAN, without PREEMPT_RT',
    config: makeConfig({ PREEMPT_RT: false, MMU_NOTIFIER: true, KCSAN: true }),
  },
  {
    name: 'nomn',
    description: 'rt without MMU_NOTIFIER: the OOM path runs through the !CONFIG_MMU_NOTIFIER stubs',
    config: makeConfig({ PREEMPT_RT: true, MMU_NOTIFIER: false, KCSAN: true }),
  },
];

export function findConfig(name: string): NamedConfig | undefined {
  return configs.find((c) => c.name === name);
}
