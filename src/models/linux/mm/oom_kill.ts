/**
 * mm/oom_kill.c (≈ v6.17, Kingxukai/linux mirror): out_of_memory() under
 * oom_lock, oom_kill_process()/__oom_kill_process() with the locks they
 * really hold (reference §3.2), queue_oom_reaper() with its 2 s timer, the
 * oom_reaper kthread, oom_reap_task()/oom_reap_task_mm()/__oom_reap_task_mm(),
 * process_mrelease(), and the seed's CONFIG_DEBUG_VM debugfs trigger
 * /sys/kernel/debug/oom_reap_task (test-only, not part of the submission).
 *
 * The designs' hooks: v1 calls mmu_notifier_oom_enter() from
 * __oom_kill_process(); v2 and v3 from __oom_reap_task_mm(). v3 also leaves
 * the memory alone while detached subscriptions still have cleanup in flight.
 */
import { ACCESS_READ, ACCESS_WRITE, type KGen, kfunc } from '../../../sim/index.js';
import { pr_err, pr_info } from '../../../kernel/bug.js';
import { HZ, jiffies } from '../../../kernel/kernel.js';
import { type mutex, mutex_init, mutex_trylock, mutex_unlock } from '../../../kernel/locking/mutex.js';
import { onBoot } from '../../../kernel/kernel.js';
import {
  type spinlock_t,
  spin_lock_init,
  spin_lock_irq,
  spin_lock_irqsave,
  spin_unlock_irq,
  spin_unlock_irqrestore,
} from '../../../kernel/locking/spinlock.js';
import { DEFINE_STATIC } from '../../../kernel/mm/slab.js';
import { rcu_read_lock, rcu_read_unlock } from '../../../kernel/rcu/update.js';
import { kthread_run, schedule_timeout_idle, schedule_timeout_uninterruptible } from '../../../kernel/sched/core.js';
import {
  DECLARE_WAIT_QUEUE_HEAD,
  type wait_queue_head_t,
  wait_event_freezable,
  wake_up,
} from '../../../kernel/sched/wait.js';
import { add_timer, from_timer, type timer_list, timer_setup } from '../../../kernel/time/timer.js';
import {
  MMF_OOM_REAP_QUEUED,
  MMF_OOM_SKIP,
  MMF_UNSTABLE,
  type mm_struct,
  VM_HUGETLB,
  VM_PFNMAP,
  VM_SHARED,
  get_mm_rss,
  mm_set_bit,
  mm_test_and_set_bit,
  mm_test_bit,
  mmap_read_lock_killable,
  mmap_read_trylock,
  mmap_read_unlock,
  vma_is_anonymous,
} from '../include/linux/mm_types.js';
import {
  MMU_NOTIFY_UNMAP,
  mmu_notifier_invalidate_range_end,
  mmu_notifier_invalidate_range_start_nonblock,
  mmu_notifier_oom_enter,
  mmu_notifier_range_init,
} from '../include/linux/mmu_notifier.js';
import {
  PF_EXITING,
  PF_KTHREAD,
  type signal_struct,
  type task_struct,
  current_ts,
  do_send_sig_info_sigkill,
  find_task_by_vpid,
  get_task_struct,
  processes,
  put_task_struct,
  signal_footprint,
  task_footprint,
  task_lock,
  task_unlock,
} from '../include/linux/sched.js';
import { mmdrop, mmget_not_zero, mmgrab, mmput } from '../kernel/fork.js';
import { design, model_stats } from '../variants.js';
import { tlb_finish_mmu, tlb_gather_mmu, unmap_page_range } from './memory.js';

export const MAX_OOM_REAP_RETRIES = 10;
const OOM_REAPER_DELAY = () => 2 * HZ();

const EINVAL = 22;
const ESRCH = 3;
const EINTR = 4;
const EAGAIN = 11;

/** struct oom_control (the parts used). */
export interface oom_control {
  gfp_mask: number;
  order: number;
  chosen: task_struct | null | -1;
  totalpages: number;
}

let oom_lock: mutex;
let oom_reaper_lock: spinlock_t;
let oom_reaper_wait: wait_queue_head_t;
let oom_reaper_list: task_struct | null = null;
onBoot(() => {
  oom_lock = mutex_init('oom_lock');
  oom_reaper_lock = spin_lock_init('oom_reaper_lock');
  oom_reaper_wait = DEFINE_STATIC(() => DECLARE_WAIT_QUEUE_HEAD(), 'oom_reaper_wait');
  oom_reaper_list = null;
});

/** find_lock_task_mm(p): a thread of p with an mm, returned with task_lock held (RCU released). */
export const find_lock_task_mm = kfunc(function* find_lock_task_mm(p: task_struct): KGen<task_struct | null> {
  rcu_read_lock();
  for (const t of [...p.signal.threads]) {
    yield* task_lock(t);
    if (t.mm) {
      rcu_read_unlock();
      return t;
    }
    yield* task_unlock(t);
  }
  rcu_read_unlock();
  return null;
});

/** __task_will_free_mem(): the whole group is exiting. */
function __task_will_free_mem(task: task_struct): boolean {
  signal_footprint(task.signal, ACCESS_READ);
  task_footprint(task, ACCESS_READ);
  return task.signal.group_exit || (task.flags & PF_EXITING) !== 0;
}

/** task_will_free_mem(task): caller holds task_lock(task). */
function task_will_free_mem(task: task_struct): boolean {
  const mm = task.mm;
  if (!mm) return false;
  if (!__task_will_free_mem(task)) return false;
  /* This task has already been drained by the oom reaper. */
  if (mm_test_bit(mm, MMF_OOM_SKIP)) return false;
  return true;
}

/** process_shares_mm(p, mm): the first thread of p that still has an mm decides (READ_ONCE(t->mm)). */
function process_shares_mm(p: signal_struct, mm: mm_struct): boolean {
  for (const t of p.threads) {
    const t_mm = t.mm;
    if (t_mm) return t_mm === mm;
  }
  return false;
}

/** is_global_init(tsk): the init process (pid 1). */
function is_global_init(tsk: task_struct): boolean {
  return tsk.pid === 1;
}

/** tsk_is_oom_victim() */
function tsk_is_oom_victim(tsk: task_struct): boolean {
  signal_footprint(tsk.signal, ACCESS_READ);
  return tsk.signal.oom_mm !== null;
}

/** mark_oom_victim(tsk): TIF_MEMDIE and signal->oom_mm (mmgrab'd once). */
function mark_oom_victim(tsk: task_struct): void {
  const mm = tsk.mm as mm_struct;
  task_footprint(tsk, ACCESS_WRITE); /* test_and_set_tsk_thread_flag(tsk, TIF_MEMDIE) */
  if (tsk.memdie) return;
  tsk.memdie = true;
  /* oom_mm is bound to the signal struct life time. */
  signal_footprint(tsk.signal, ACCESS_WRITE); /* cmpxchg(&tsk->signal->oom_mm, NULL, mm) */
  if (!tsk.signal.oom_mm) {
    tsk.signal.oom_mm = mm;
    mmgrab(mm);
  }
}

// ------------------------------------------------------------------ reaper

/**
 * __oom_reap_task_mm(mm): caller holds mmap_lock for read (reference §3.4).
 * v2/v3: mmu_notifier_oom_enter() first; v3 returns false (retry) while a
 * detached subscription's cleanup is still in flight.
 */
export const __oom_reap_task_mm = kfunc(function* __oom_reap_task_mm(mm: mm_struct): KGen<boolean> {
  let ret = true;
  const hook = design().oom_hook;
  /* v2 (seed) and v3: detach subscriptions that implement after_oom_unregister first. */
  if ((hook === 'v2' || hook === 'v3') && (yield* mmu_notifier_oom_enter(mm))) return false;
  /*
   * Tell all users of get_user/copy_from_user etc... that the content
   * is no longer stable. No barriers really needed because unmapping
   * should imply barriers already and the reader would hit a page fault
   * if it stumbled over a reaped memory.
   */
  mm_set_bit(mm, MMF_UNSTABLE);
  for (const vma of [...mm.vmas]) {
    if (vma.vm_flags & (VM_HUGETLB | VM_PFNMAP)) continue;
    /*
     * Only anonymous pages have a good chance to be dropped
     * without additional steps which we cannot afford as we
     * are OOM already.
     */
    if (vma_is_anonymous(vma) || !(vma.vm_flags & VM_SHARED)) {
      const range = mmu_notifier_range_init(MMU_NOTIFY_UNMAP, 0, mm, vma.vm_start, vma.vm_end);
      const tlb = tlb_gather_mmu(mm);
      if (yield* mmu_notifier_invalidate_range_start_nonblock(range)) {
        tlb_finish_mmu(tlb);
        ret = false;
        continue;
      }
      yield* unmap_page_range(tlb, vma, range.start, range.end);
      yield* mmu_notifier_invalidate_range_end(range);
      tlb_finish_mmu(tlb);
    }
  }
  if (ret) model_stats().reaped++;
  return ret;
});

/** oom_reap_task_mm(tsk, mm): reaps the address space of the given task (reference §3.4). */
const oom_reap_task_mm = kfunc(function* oom_reap_task_mm(tsk: task_struct, mm: mm_struct): KGen<boolean> {
  let ret = true;
  if (!(yield* mmap_read_trylock(mm))) {
    // trace_skip_task_reaping(tsk->pid);
    return false;
  }
  /*
   * MMF_OOM_SKIP is set by exit_mmap when the OOM reaper can't
   * work on the mm anymore. The check for MMF_OOM_SKIP must run
   * under mmap_lock for reading because it serializes against the
   * mmap_write_lock();mmap_write_unlock() cycle in exit_mmap().
   */
  if (mm_test_bit(mm, MMF_OOM_SKIP)) {
    // trace_skip_task_reaping(tsk->pid);
    yield* mmap_read_unlock(mm);
    return ret;
  }
  // trace_start_task_reaping(tsk->pid);
  /* failed to reap part of the address space. Try again later */
  ret = yield* __oom_reap_task_mm(mm);
  if (ret)
    pr_info(`oom_reaper: reaped process ${tsk.pid} (${tsk.comm}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`);
  // trace_finish_task_reaping(tsk->pid);
  yield* mmap_read_unlock(mm);
  return ret;
});

/** oom_reap_task(tsk) */
const oom_reap_task = kfunc(function* oom_reap_task(tsk: task_struct): KGen {
  let attempts = 0;
  const mm = tsk.signal.oom_mm as mm_struct;
  /* Retry the mmap_read_trylock(mm) a few times */
  while (attempts++ < MAX_OOM_REAP_RETRIES && !(yield* oom_reap_task_mm(tsk, mm)))
    yield* schedule_timeout_idle(HZ() / 10);
  if (attempts <= MAX_OOM_REAP_RETRIES || mm_test_bit(mm, MMF_OOM_SKIP)) {
    // done
  } else {
    pr_info(`oom_reaper: unable to reap pid:${tsk.pid} (${tsk.comm})`);
  }
  tsk.oom_reaper_list = null;
  /*
   * Hide this mm from OOM killer because it has been either reaped or
   * somebody can't call mmap_write_unlock(mm).
   */
  mm_set_bit(mm, MMF_OOM_SKIP);
  /* Drop a reference taken by queue_oom_reaper */
  yield* put_task_struct(tsk);
});

/** oom_reaper(): the "oom_reaper" kthread. */
const oom_reaper = kfunc(function* oom_reaper(): KGen {
  // set_freezable();
  for (;;) {
    let tsk: task_struct | null = null;
    yield* wait_event_freezable(oom_reaper_wait, () => oom_reaper_list !== null);
    yield* spin_lock_irq(oom_reaper_lock);
    if (oom_reaper_list !== null) {
      tsk = oom_reaper_list;
      oom_reaper_list = tsk.oom_reaper_list;
    }
    yield* spin_unlock_irq(oom_reaper_lock);
    if (tsk) yield* oom_reap_task(tsk);
  }
});

/** wake_oom_reaper(timer): the oom_reaper_timer callback (timer context). */
function* wake_oom_reaper_fn(timer: timer_list): KGen {
  const tsk = from_timer<task_struct>(timer, 'oom_reaper_timer');
  const mm = tsk.signal.oom_mm as mm_struct;
  /* The victim managed to terminate on its own - see exit_mmap */
  if (mm_test_bit(mm, MMF_OOM_SKIP)) {
    yield* put_task_struct(tsk);
    return;
  }
  const flags = yield* spin_lock_irqsave(oom_reaper_lock);
  tsk.oom_reaper_list = oom_reaper_list;
  oom_reaper_list = tsk;
  yield* spin_unlock_irqrestore(oom_reaper_lock, flags);
  // trace_wake_reaper(tsk->pid);
  yield* wake_up(oom_reaper_wait);
}
const wake_oom_reaper = kfunc(wake_oom_reaper_fn, 'wake_oom_reaper');

/**
 * queue_oom_reaper(tsk): give the OOM victim time to exit naturally before
 * invoking the oom_reaping. The timers timeout is arbitrary...
 */
const queue_oom_reaper = kfunc(function* queue_oom_reaper(tsk: task_struct): KGen {
  /* mm is already queued? */
  if (mm_test_and_set_bit(tsk.signal.oom_mm as mm_struct, MMF_OOM_REAP_QUEUED)) return;
  get_task_struct(tsk);
  timer_setup(tsk.oom_reaper_timer, wake_oom_reaper, 0, '&tsk->oom_reaper_timer');
  tsk.oom_reaper_timer.expires = jiffies() + OOM_REAPER_DELAY();
  yield* add_timer(tsk.oom_reaper_timer);
});

/** oom_init(): subsys_initcall — starts the oom_reaper kthread. */
export function oom_init(): void {
  kthread_run(oom_reaper, 'oom_reaper');
}

// ------------------------------------------------------------------ killer

/** __oom_kill_process(victim, message): lock context per reference §3.2. */
const __oom_kill_process = kfunc(function* __oom_kill_process(victim: task_struct, message: string): KGen {
  let can_oom_reap = true;
  const d = design();
  const p = yield* find_lock_task_mm(victim);
  if (!p) {
    pr_info(`${message}: OOM victim ${victim.pid} (${victim.comm}) is already exiting. Skip killing the task`);
    yield* put_task_struct(victim);
    return;
  }
  victim = p;
  /* Get a reference to safely compare mm after task_unlock(victim) */
  const mm = victim.mm as mm_struct;
  mmgrab(mm);
  /*
   * We should send SIGKILL before granting access to memory reserves
   * in order to prevent the OOM victim from depleting the memory
   * reserves from the user space under its control.
   */
  yield* do_send_sig_info_sigkill(victim);
  mark_oom_victim(victim);
  pr_err(
    `${message}: Killed process ${victim.pid} (${victim.comm}) total-vm:${4 * get_mm_rss(mm)}kB, anon-rss:${4 * get_mm_rss(mm)}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0`,
  );
  if (d.oom_hook === 'v1' && d.v1_call_site === 'under_task_lock') yield* mmu_notifier_oom_enter(mm);
  yield* task_unlock(victim);
  /* v1 (reference §7.2, Mar 25): "before any invalidations". */
  if (d.oom_hook === 'v1' && d.v1_call_site === 'after_task_unlock') yield* mmu_notifier_oom_enter(mm);

  /*
   * Kill all user processes sharing victim->mm in other thread groups, if
   * any.  They don't get access to memory reserves, though, to avoid
   * depletion of all memory.  This prevents mm->mmap_lock livelock when an
   * oom killed thread cannot exit because it requires the semaphore and
   * its contended by another thread trying to allocate memory itself.
   * That thread will now get access to memory reserves since it has a
   * pending fatal signal.
   */
  rcu_read_lock();
  for (const sig of processes()) {
    const p = sig.threads[0];
    if (!p || !process_shares_mm(sig, mm)) continue;
    if (sig === victim.signal) continue; /* same_thread_group(p, victim) */
    if (is_global_init(p)) {
      can_oom_reap = false;
      mm_set_bit(mm, MMF_OOM_SKIP);
      pr_info(`oom killer ${victim.pid} (${victim.comm}) has mm pinned by ${p.pid} (${p.comm})`);
      continue;
    }
    /*
     * No kthread_use_mm() user needs to read from the userspace so
     * we are ok to reap it.
     */
    if (p.flags & PF_KTHREAD) continue;
    yield* do_send_sig_info_sigkill(p); /* do_send_sig_info(SIGKILL, SEND_SIG_PRIV, p, PIDTYPE_TGID) */
  }
  rcu_read_unlock();

  if (can_oom_reap) yield* queue_oom_reaper(victim);
  yield* mmdrop(mm);
  yield* put_task_struct(victim);
});

/** oom_kill_process(oc, message) */
const oom_kill_process = kfunc(function* oom_kill_process(oc: oom_control, message: string): KGen {
  const victim = oc.chosen as task_struct;
  /*
   * If the task is already exiting, don't alarm the sysadmin or kill
   * its children or threads, just give it access to memory reserves
   * so it can die quickly
   */
  yield* task_lock(victim);
  if (task_will_free_mem(victim)) {
    mark_oom_victim(victim);
    yield* queue_oom_reaper(victim);
    yield* task_unlock(victim);
    yield* put_task_struct(victim);
    return;
  }
  yield* task_unlock(victim);
  yield* __oom_kill_process(victim, message);
});

/** select_bad_process(oc): the largest-RSS killable process (oom_badness without oom_score_adj). */
function* select_bad_process(oc: oom_control): KGen {
  let best = -1;
  rcu_read_lock();
  for (const sig of processes()) {
    const t = sig.threads[0];
    if (!t || t.flags & PF_KTHREAD || !t.mm) continue;
    /* oom_evaluate_task(): an existing victim still holding memory aborts the selection */
    if (tsk_is_oom_victim(t)) {
      if (mm_test_bit(sig.oom_mm as mm_struct, MMF_OOM_SKIP)) continue;
      oc.chosen = -1;
      break;
    }
    const points = get_mm_rss(t.mm);
    if (points > best) {
      best = points;
      if (oc.chosen && oc.chosen !== -1) yield* put_task_struct(oc.chosen);
      oc.chosen = get_task_struct(t);
    }
  }
  rcu_read_unlock();
  yield undefined;
}

/** out_of_memory(oc): caller holds oom_lock. Returns whether progress was made. */
export const out_of_memory = kfunc(function* out_of_memory(oc: oom_control): KGen<boolean> {
  const cur = current_ts();
  /*
   * If current has a pending SIGKILL or is exiting, then automatically
   * select it.  The goal is to allow it to allocate so that it may
   * quickly exit and free its memory.
   */
  if (cur.mm) {
    yield* task_lock(cur);
    const free = task_will_free_mem(cur);
    if (free) {
      mark_oom_victim(cur);
      yield* queue_oom_reaper(cur);
    }
    yield* task_unlock(cur);
    if (free) return true;
  }
  pr_info(`${cur.comm} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=${oc.order}, oom_score_adj=0`);
  yield* select_bad_process(oc);
  /* Found nothing?!?! */
  if (!oc.chosen) {
    pr_err('Out of memory and no killable processes...');
    return false;
  }
  if (oc.chosen !== -1) yield* oom_kill_process(oc, 'Out of memory');
  return Boolean(oc.chosen);
});

/**
 * __alloc_pages_may_oom() (mm/page_alloc.c): the allocation that invokes the
 * OOM killer. Returns whether it made progress.
 */
export const __alloc_pages_may_oom = kfunc(function* __alloc_pages_may_oom(
  gfp_mask: number,
  order: number,
): KGen<boolean> {
  /*
   * Acquire the oom lock.  If that fails, somebody else is
   * making progress for us.
   */
  if (!(yield* mutex_trylock(oom_lock))) {
    yield* schedule_timeout_uninterruptible(1);
    return false;
  }
  const oc: oom_control = { gfp_mask, order, chosen: null, totalpages: 0 };
  const did_some_progress = yield* out_of_memory(oc);
  yield* mutex_unlock(oom_lock);
  return did_some_progress;
});

// --------------------------------------------------------- process_mrelease

/** process_mrelease(pidfd, flags) (reference §3.5); the pidfd is the pid here. */
export const process_mrelease = kfunc(function* process_mrelease(pid: number, flags: number): KGen<number> {
  let ret = 0;
  if (flags) return -EINVAL;
  const task = find_task_by_vpid(pid);
  if (!task) return -ESRCH;
  /*
   * Make sure to choose a thread which still has a reference to mm
   * during the group exit
   */
  const p = yield* find_lock_task_mm(task);
  if (!p) return -ESRCH;
  const mm = p.mm as mm_struct;
  mmgrab(mm);
  const reap = task_will_free_mem(p);
  if (!reap) {
    /* Error only if the work has not been done already */
    if (!mm_test_bit(mm, MMF_OOM_SKIP)) ret = -EINVAL;
  }
  yield* task_unlock(p);
  if (!reap) {
    yield* mmdrop(mm);
    return ret;
  }
  if (yield* mmap_read_lock_killable(mm)) {
    yield* mmdrop(mm);
    return -EINTR;
  }
  /*
   * Check MMF_OOM_SKIP again under mmap_read_lock protection to ensure
   * possible change in exit_mmap is seen
   */
  if (!mm_test_bit(mm, MMF_OOM_SKIP) && !(yield* __oom_reap_task_mm(mm))) ret = -EAGAIN;
  yield* mmap_read_unlock(mm);
  yield* mmdrop(mm);
  return ret;
});

// ------------------------------------------------- the seed's debugfs trigger

/**
 * write() to /sys/kernel/debug/oom_reap_task (the seed's CONFIG_DEBUG_VM-only
 * test interface, "not part of this submission"): find the task, pin its mm,
 * and run __oom_reap_task_mm() on it under mmap_read_lock.
 */
export const oom_reap_task_write = kfunc(function* oom_reap_task_write(pid: number): KGen<number> {
  const task = find_task_by_vpid(pid);
  if (!task) return -ESRCH;
  const p = yield* find_lock_task_mm(task);
  if (!p) return -ESRCH;
  const mm = p.mm as mm_struct;
  const pinned = mmget_not_zero(mm);
  yield* task_unlock(p);
  if (!pinned) return -ESRCH;
  yield* mmap_read_lock_killable(mm);
  const ok = yield* __oom_reap_task_mm(mm);
  yield* mmap_read_unlock(mm);
  yield* mmput(mm);
  return ok ? 0 : -EAGAIN;
});
