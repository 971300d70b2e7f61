/**
 * Inter-processor interrupts (kernel/smp.c smp_call_function_many_cond / csd_lock_wait /
 * flush_smp_call_function_queue, kernel/sched/core.c kick_process / smp_send_reschedule, ≈ v6.17).
 *
 * Each CPU has an interrupt-pending flag (its local APIC's request register) and a call-function
 * slot (the csd). A sender sets them; the CPU takes the interrupt the next time it runs with
 * interrupts enabled, which is code that says so: handle_pending_ipis() stands for the interrupt
 * entry that runs when a CPU re-enables interrupts (or was running with them enabled). Code that
 * runs with interrupts disabled — a vCPU in guest mode is the one that matters — sees the pending
 * flag with arch_irq_pending() (VMX: an external interrupt causes a VM exit).
 *
 * Footprints: the pending flag is a marked field of a per-CPU static object (READ/WRITE). The csd
 * is lock-like on its own object id: the sender's csd_lock() is ACCESS_ACQUIRE, the target's
 * csd_unlock() after running the function ACCESS_RELEASE, the target's look at its queue
 * ACCESS_ACQUIRE (whether it found the call races with the send), and a waiting sender spins
 * (a non-sleeping Acquirable) until the csd is unlocked, then records ACCESS_ACQUIRE.
 */
import {
  type Acquirable,
  type KGen,
  type Task,
  ACCESS_ACQUIRE,
  ACCESS_RELEASE,
  current,
  machine,
  markedRead,
  markedWrite,
  track,
  RunSlot,
} from '../sim/index.js';

interface cpu_irq {
  /** An interrupt (reschedule or call-function IPI) is pending on this CPU. */
  pending: boolean;
}

class call_single_data implements Acquirable {
  readonly id: number;
  readonly cpu: number;
  /** CSD_FLAG_LOCK: queued and not yet run by the target. */
  locked = false;
  func: (() => void) | null = null;
  /** The task that was on the target CPU when the call was queued (for wait-for diagnostics). */
  target: Task | null = null;
  readonly shared = false;
  readonly sleeping = false;
  constructor(cpu: number) {
    this.id = machine().newId();
    this.cpu = cpu;
  }
  canAcquire(): boolean {
    return !this.locked;
  }
  owners(): readonly Task[] {
    return this.target ? [this.target] : [];
  }
  describe(): string {
    return `csd_lock_wait (CPU ${this.cpu})`;
  }
}

interface SmpState {
  readonly irq: cpu_irq[];
  readonly csd: call_single_data[];
}

const SMP = new RunSlot<SmpState>('kernel.smp');

function smp(): SmpState {
  const m = machine();
  let s = m.ext.get(SMP);
  if (!s) {
    s = { irq: [], csd: [] };
    for (let cpu = 0; cpu < m.nrCpus; cpu++) {
      s.irq.push(track({ pending: false }, 'static', `per_cpu(irq_stat, ${cpu})`));
      s.csd.push(new call_single_data(cpu));
    }
    m.ext.set(SMP, s);
  }
  return s;
}

/** smp_processor_id() */
export function smp_processor_id(): number {
  return current().cpu;
}

/** task_cpu(p) */
export function task_cpu(p: Task): number {
  return p.cpu;
}

/** smp_send_reschedule(cpu): the reschedule IPI (arch: apic->send_IPI(cpu, RESCHEDULE_VECTOR)). */
export function smp_send_reschedule(cpu: number): void {
  markedWrite(smp().irq[cpu] as cpu_irq, 'pending', true);
}

/** Whether an interrupt is pending on `cpu` (what VMX's external-interrupt exiting reacts to). */
export function arch_irq_pending(cpu: number): boolean {
  return markedRead(smp().irq[cpu] as cpu_irq, 'pending');
}

/**
 * The current CPU takes its pending interrupts: scheduler_ipi() for a reschedule IPI (nothing the
 * model needs: signals and need_resched are checked where the code checks them) and
 * flush_smp_call_function_queue() for a call-function IPI: run the function, csd_unlock().
 * Called where a CPU runs with interrupts enabled after having had them disabled.
 */
export function handle_pending_ipis(): void {
  const s = smp();
  const cpu = smp_processor_id();
  const irq = s.irq[cpu] as cpu_irq;
  if (markedRead(irq, 'pending')) markedWrite(irq, 'pending', false);
  const csd = s.csd[cpu] as call_single_data;
  const m = machine();
  m.access(csd.id, ACCESS_ACQUIRE);
  if (csd.locked) {
    const fn = csd.func;
    if (fn) fn();
    csd.func = null;
    csd.target = null;
    csd.locked = false;
  }
  m.access(csd.id, ACCESS_RELEASE);
}

/**
 * kick_process(p) (kernel/sched/core.c): "kick a running thread to enter/exit the kernel":
 *   preempt_disable(); cpu = task_cpu(p); if (cpu != smp_processor_id() && task_curr(p))
 *   smp_send_reschedule(cpu); preempt_enable();
 * The model has no per-CPU curr: task_curr(p) is taken as "p is not sleeping" (an IPI to a CPU
 * that runs something else only makes it check for rescheduling, which the model needs nothing for).
 */
export function kick_process(p: Task): void {
  const cpu = task_cpu(p);
  if (cpu !== smp_processor_id() && !p.blocked && !p.dead) smp_send_reschedule(cpu);
}

/**
 * smp_call_function_many(mask, func, NULL, wait) (kernel/smp.c smp_call_function_many_cond): the
 * caller has preemption disabled. Queues func on every CPU of `cpus` other than this one
 * (csd_lock()), sends the IPIs, and with `wait` spins in csd_lock_wait() until each target ran it.
 * `targets` names the task each CPU was running (diagnostics only).
 */
export function* smp_call_function_many(
  cpus: readonly number[],
  func: () => void,
  wait: boolean,
  targets: readonly (Task | null)[] = [],
): KGen {
  const s = smp();
  const me = smp_processor_id();
  const m = machine();
  const queued: call_single_data[] = [];
  cpus.forEach((cpu, i) => {
    if (cpu === me) return;
    const csd = s.csd[cpu] as call_single_data;
    m.access(csd.id, ACCESS_ACQUIRE);
    // One csd per target CPU (the kernel has one per sender and target): a call already queued
    // there by another sender is waited for, as ours would be (its function is ack_kick too).
    if (!csd.locked) {
      csd.locked = true;
      csd.func = func;
      csd.target = targets[i] ?? null;
      smp_send_reschedule(cpu); // arch_send_call_function_ipi_mask()
    }
    queued.push(csd);
  });
  if (!wait) return;
  const t = current();
  for (const csd of queued) {
    t.frames.push('csd_lock_wait');
    yield csd;
    m.access(csd.id, ACCESS_ACQUIRE);
    t.frames.pop();
  }
}
