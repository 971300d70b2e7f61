/**
 * The designs on the table, as one shared model with explicit differences.
 *
 * A variant is a set of design parameters; the model code reads them (through
 * design()) exactly where the designs differ. Knobs listed in a variant's
 * VariantInfo are user-settable with `--set knob=value`; the rest of the
 * design is fixed per variant. Nothing in the model tests a variant's *name*:
 * every difference is a named parameter below. A user variant (defineVariant, based on
 * one of these) changes the same parameters by name.
 */
import { machine, RunSlot } from '../../sim/index.js';
import { kernel } from '../../kernel/kernel.js';
import { PATCH_RT_NONBLOCK_SLEEPING_LOCKS } from '../../kernel/sched/core.js';
import type { KnobValue, VariantInfo } from '../variant.js';

export interface Design {
  /** kvm->mn_invalidate_lock is a raw_spinlock_t (Feb 2026 patch) instead of spinlock_t. */
  readonly mn_invalidate_lock_raw: boolean;
  /** rawlock knob: also make kvm->gpc_lock raw (not in the patch): where does the splat go next? */
  readonly raw_gpc_lock: boolean;
  /**
   * Which OOM hook mmu_notifier has: none (mainline), 'v1' (ops->oom_enter called
   * synchronously under srcu from __oom_kill_process), 'v2' (detach + call_srcu with a
   * GFP_ATOMIC-allocated work item, from __oom_reap_task_mm), 'v3' (ours).
   */
  readonly oom_hook: 'none' | 'v1' | 'v2' | 'v3';
  /** Sebastian's scheduler fix: RT sleeping spinlocks allowed inside non_block sections. */
  readonly rt_nonblock_sleeping_locks: boolean;
  // ---- v1 knobs
  /** Where __oom_kill_process calls mmu_notifier_oom_enter(). */
  readonly v1_call_site: 'after_task_unlock' | 'under_task_lock';
  // ---- v2 knobs (reference §7.3 open questions)
  /**
   * GFP_ATOMIC failure: leave the node on the stack oom_list (F-V2-6; the default: the cover
   * letter's "cleanup still occurs later via the normal unregister path" needs a node that
   * stays hashed, and v2's order is detach first, then allocate and queue), detach without
   * callback (F-V2-1), or stay attached (F-V2-2).
   */
  readonly alloc_fail: 'detach_no_cb' | 'stay_attached' | 'stale_oom_list';
  /** kvm_destroy_vm reads hlist_unhashed() under subscriptions->lock. */
  readonly destroy_check_locked: boolean;
  /** Detach walks the list under subscriptions->lock (idempotent) instead of an SRCU walk + unlocked re-detach. */
  readonly idempotent_detach: boolean;
  /** KVM's after_oom_unregister wakes mn_memslots_update_rcuwait after clearing the count. */
  readonly wake_rcuwait: boolean;
  /** KVM's after_oom_unregister also zaps all SPTEs (kvm_flush_shadow_all). */
  readonly zap_in_callback: boolean;
  /** KVM's after_oom_unregister also clears mmu_invalidate_in_progress. */
  readonly reset_in_progress: boolean;
  /** Primitive used to take the subscription off the live list. */
  readonly detach_primitive: 'hlist_del_init_rcu' | 'hlist_del_init';
  // ---- v3 knobs
  /**
   * Where v3 runs after_oom_unregister: from a work item the SRCU callback queues (process
   * context: the default), or in the SRCU callback itself (BH disabled: the earlier v3).
   */
  readonly oom_cleanup_context: 'work' | 'srcu_callback';
  /**
   * Whether v3's cleanup also invalidates KVM's gfn_to_pfn_caches and refuses their refresh
   * (true: the default). false is the earlier v3, whose callback left the kvm-clock cache mapping
   * a page the reaper then freed.
   */
  readonly invalidate_gpc: boolean;
}

/** The mainline design: every parameter's value when no variant changes it. */
export const BASE_DESIGN: Design = {
  mn_invalidate_lock_raw: false,
  raw_gpc_lock: false,
  oom_hook: 'none',
  rt_nonblock_sleeping_locks: false,
  v1_call_site: 'after_task_unlock',
  alloc_fail: 'stale_oom_list',
  destroy_check_locked: false,
  idempotent_detach: true,
  wake_rcuwait: false,
  zap_in_callback: false,
  reset_in_progress: false,
  detach_primitive: 'hlist_del_init_rcu',
  oom_cleanup_context: 'work',
  invalidate_gpc: true,
};

interface VariantDef extends VariantInfo {
  readonly design: Partial<Design>;
}

const v2knobs = {
  alloc_fail: 'stale_oom_list',
  destroy_check_locked: false,
  idempotent_detach: true,
  wake_rcuwait: false,
  zap_in_callback: false,
  reset_in_progress: false,
  detach_primitive: 'hlist_del_init_rcu',
} as const;

export const VARIANTS: readonly VariantDef[] = [
  {
    name: 'upstream',
    description: 'mainline ≈ v6.17: the reaper calls KVM non-blockably inside non_block_start()',
    knobs: {},
    design: {},
  },
  {
    name: 'rawlock',
    description: 'Feb 2026 patch (NAKed): kvm->mn_invalidate_lock as raw_spinlock_t',
    knobs: { raw_gpc_lock: false },
    design: { mn_invalidate_lock_raw: true },
  },
  {
    name: 'v1',
    description:
      'mmu_notifier_oom_enter() from __oom_kill_process; KVM detaches via mmu_notifier_unregister under srcu',
    knobs: { v1_call_site: 'after_task_unlock' },
    choices: { v1_call_site: ['after_task_unlock', 'under_task_lock'] },
    design: { oom_hook: 'v1' },
  },
  {
    name: 'v2',
    description:
      'the seed: detach + call_srcu(GFP_ATOMIC work) + after_oom_unregister from __oom_reap_task_mm; mmu_notifier_barrier in kvm_destroy_vm',
    knobs: v2knobs,
    choices: {
      alloc_fail: ['stale_oom_list', 'detach_no_cb', 'stay_attached'],
      detach_primitive: ['hlist_del_init_rcu', 'hlist_del_init'],
    },
    design: { oom_hook: 'v2' },
  },
  {
    name: 'rt-nonblock',
    description: "Sebastian's sched fix: RT sleeping spinlocks allowed within non_block_start()/end(); KVM unchanged",
    knobs: {},
    design: { rt_nonblock_sleeping_locks: true },
  },
  {
    name: 'v3',
    description:
      'ours: detach under the lock using the rcu_head embedded in struct mmu_notifier (no allocation), reaper and exit_mmap wait for the callback, unregister handles both paths',
    knobs: { oom_cleanup_context: 'work', invalidate_gpc: true },
    choices: { oom_cleanup_context: ['work', 'srcu_callback'] },
    design: { oom_hook: 'v3' },
  },
];

const DESIGN = new RunSlot<Design>('models.linux.design');

/** Selects the design for this run (called by a scenario's setup). */
export function select_design(variant: VariantInfo | undefined, knobs: Readonly<Record<string, KnobValue>>): Design {
  // A user variant (defineVariant) carries its base's design with its own over it.
  const fixed = variant?.design ?? VARIANTS.find((v) => v.name === variant?.name)?.design ?? {};
  const d = { ...BASE_DESIGN, ...fixed, ...(variant ? knobs : {}) } as Design;
  machine().ext.set(DESIGN, d);
  // The scheduler patch itself (kernel/sched/core.ts: __might_resched's sleeping_lock).
  if (d.rt_nonblock_sleeping_locks) kernel().patches.add(PATCH_RT_NONBLOCK_SLEEPING_LOCKS);
  return d;
}

/** The design of the running model (mainline when no scenario selected one). */
export function design(): Design {
  return machine().ext.get(DESIGN) ?? BASE_DESIGN;
}

/** Counters the tests read to see which paths a run took (not kernel state). */
export interface ModelStats {
  /** !CONFIG_MMU_NOTIFIER stub calls by name. */
  readonly stub_calls: Record<string, number>;
  /** after_oom_unregister invocations. */
  after_oom_unregister: number;
  /** __oom_reap_task_mm() completions that unmapped memory. */
  reaped: number;
  /** kvm_destroy_vm() completions. */
  vm_destroyed: number;
  /** mmu_notifier_oom_enter() detaches. */
  detached: number;
  /** -EAGAIN from a non-blockable start: hlist (mn_hlist_invalidate_range_start) and itree (mn_itree_invalidate). */
  eagain_hlist: number;
  eagain_itree: number;
  /** invalidate_range_end calls of mn_hlist_invalidate_range_start's -EAGAIN unwind. */
  unwind_end: number;
  /** ->invalidate calls of interval notifiers. */
  itree_invalidate: number;
  /** mmu_notifier_free_rcu() (the SRCU free of a get/put subscription). */
  notifier_freed: number;
}

const STATS = new RunSlot(
  'models.linux.stats',
  (): ModelStats => ({
    stub_calls: {},
    after_oom_unregister: 0,
    reaped: 0,
    vm_destroyed: 0,
    detached: 0,
    eagain_hlist: 0,
    eagain_itree: 0,
    unwind_end: 0,
    itree_invalidate: 0,
    notifier_freed: 0,
  }),
);

export function model_stats(): ModelStats {
  return machine().ext.of(STATS);
}
