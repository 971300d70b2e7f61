/**
 * kernsim/linux: the modelled kernel subsystems (one module per kernel file, kernel names), the
 * model's variants, and the helpers scenarios build on (model_setup, spawn_process,
 * simple_kvm_setup, …: src/scenarios/oom-kvm-lib.ts), and the built-in scenario objects, so a
 * user's file can start from one (`defineScenario({ ...destroyRace, variants: [...] })`).
 */
export * from './models/linux/arch/x86/kvm/mmu/mmu.js';
export * from './models/linux/arch/x86/kvm/mmu/tdp_mmu.js';
export * from './models/linux/drivers/gpu/drm/amd/amdgpu/amdgpu_hmm.js';
export * from './models/linux/drivers/gpu/drm/radeon/radeon_mn.js';
export * from './models/linux/include/linux/mm_types.js';
export * from './models/linux/include/linux/mmu_notifier.js';
export * from './models/linux/include/linux/sched.js';
export * from './models/linux/kernel/exit.js';
export * from './models/linux/kernel/fork.js';
export * from './models/linux/mm/madvise.js';
export * from './models/linux/mm/memory.js';
export * from './models/linux/mm/mmap.js';
export * from './models/linux/mm/mmu_notifier.js';
export * from './models/linux/mm/oom_kill.js';
export * from './models/linux/mm/page_alloc.js';
export * from './models/linux/mm/rmap.js';
export * from './models/linux/mm/vmscan.js';
export * from './models/linux/variants.js';
export * from './models/linux/virt/kvm/kvm_main.js';
export * from './models/linux/virt/kvm/pfncache.js';
export * from './scenarios/oom-kvm-lib.js';

// The built-in scenarios of the model (kernsim list), as defineScenario() objects.
export { destroyRace } from './scenarios/destroy-race.js';
export { itreeReap } from './scenarios/itree-reap.js';
export { memslotRace } from './scenarios/memslot-race.js';
export { mrelease } from './scenarios/mrelease.js';
export { oomKill } from './scenarios/oom-kill.js';
export { radeonReap } from './scenarios/radeon-reap.js';
export { reclaimReap } from './scenarios/reclaim-reap.js';
export { simpleKvmReap } from './scenarios/simple-kvm-reap.js';
export { stress } from './scenarios/stress.js';
