/**
 * Shared kernel-style formatting for the sanitizers: dump_stack(), held-lock
 * lists, taint flags, die headers and fake but deterministic addresses.
 *
 * One RunLog exists per exploration (made by installCheckers at its first run, reset by begin()
 * at every run); it carries the per-run state every checker shares: the running machine, the
 * taint flags (W after a WARN, B after KASAN, D after an Oops), lockdep's debug_locks switch and
 * the die counter. Nothing here depends on the host: addresses derive from object ids
 * assigned in run order, so the same choices give byte-identical text.
 */
import { type KernelConfig, utsRelease, utsVersion } from '../kernel/config.js';
import type { LockClass } from '../kernel/events.js';
import type { HeldLock, Machine, Observer, SimEvent, Task } from '../sim/index.js';

/** Taint flags in the kernel's order (kernel/panic.c taint_flags[]); the first prints 'G' when clear. */
const TAINT_ORDER = 'PFSRMBUDAWCIOELKXTNJ';

export class RunLog {
  /** The running machine (set by begin()). */
  m: Machine;
  readonly config: KernelConfig;
  private readonly taints = new Set<string>();
  /** lockdep's debug_locks: cleared after the first lockdep splat of the run. */
  debugLocks = true;
  dieCounter = 0;
  /** Made at the first report that needs it (a WeakMap per run costs every run, and the GC). */
  private staticAddrs: WeakMap<object, number> | null = null;
  private nextStatic = 0;

  /** Event handlers of every checker, by event type: one machine observer dispatches them all. */
  readonly handlers: Record<string, ((ev: SimEvent) => void)[]> = Object.create(null);
  /** The observer dispatching them (made once: observer()). */
  private dispatch: Observer | null = null;

  constructor(m: Machine, config: KernelConfig) {
    this.m = m;
    this.config = config;
  }

  /** A run starts on `m`: the state of the run before is forgotten. */
  begin(m: Machine): void {
    this.m = m;
    if (this.taints.size > 0) this.taints.clear();
    this.debugLocks = true;
    this.dieCounter = 0;
    this.staticAddrs = null;
    this.nextStatic = 0;
  }

  /** Registers a checker's handler for one event type. */
  on<E extends SimEvent>(type: string, fn: (ev: E) => void): void {
    const hs = this.handlers[type];
    if (hs) hs.push(fn as (ev: SimEvent) => void);
    else this.handlers[type] = [fn as (ev: SimEvent) => void];
  }

  /** The single observer installed on each run's machine. */
  observer(): Observer {
    if (this.dispatch !== null) return this.dispatch;
    const handlers = this.handlers;
    const dispatch = (ev: SimEvent): void => {
      const hs = handlers[ev.type];
      if (hs === undefined) return;
      for (let i = 0; i < hs.length; i++) (hs[i] as (ev: SimEvent) => void)(ev);
    };
    // The machine builds an event only if some observer wants its type (Machine.wants()).
    this.dispatch = Object.assign(dispatch, { wants: (type: string): boolean => handlers[type] !== undefined });
    return this.dispatch;
  }

  taint(flag: string): void {
    this.taints.add(flag);
  }

  /** test_taint(): whether the kernel carries the taint flag. */
  tainted_by(flag: string): boolean {
    return this.taints.has(flag);
  }

  /** "Not tainted" or "Tainted: G        W           " as print_tainted() writes it. */
  tainted(): string {
    if (this.taints.size === 0) return 'Not tainted';
    let s = 'Tainted: ';
    for (let i = 0; i < TAINT_ORDER.length; i++) {
      const c = TAINT_ORDER[i] as string;
      s += this.taints.has(c) ? c : i === 0 ? 'G' : ' ';
    }
    return s;
  }

  /** "<release> <version> Not tainted" (the ident line of lockdep splats). */
  ident(): string {
    return `${utsRelease(this.config)} ${utsVersion(this.config)} ${this.tainted()}`;
  }

  /** The CPU/PID/Comm line and "Hardware name:" of dump_stack() and show_regs(). */
  header(t: Task): string {
    return (
      `CPU: ${t.cpu} UID: 0 PID: ${t.pid} Comm: ${t.comm} ${this.tainted()} ${utsRelease(this.config)} ${utsVersion(this.config)}\n` +
      'Hardware name: kernsim virtual machine'
    );
  }

  /** dump_stack(): header then the call trace, innermost first; `top` are machinery frames printed above. */
  dumpStack(t: Task, top: readonly string[] = [], frames: readonly string[] = t.frames): string {
    return `${this.header(t)}\nCall Trace:\n${taskTrace(frames, top)}`;
  }

  /** The die header line: "Oops: 0000 [#1] PREEMPT SMP KASAN". */
  die(str: string, err: number): string {
    this.dieCounter++;
    const preempt = this.config.PREEMPT_RT ? ' PREEMPT_RT' : ' PREEMPT';
    const kasan = this.config.KASAN ? ' KASAN' : '';
    return `${str}: ${err.toString(16).padStart(4, '0')} [#${this.dieCounter}]${preempt} SMP${kasan}`;
  }

  /** Address of a lock object as lockdep prints it. */
  lockAddr(lock: object): string {
    const id = (lock as { id?: unknown }).id;
    if (typeof id === 'number') return `ffff8880${(0x10000000 + id * 0x40).toString(16).padStart(8, '0')}`;
    if (this.staticAddrs === null) this.staticAddrs = new WeakMap<object, number>();
    let n = this.staticAddrs.get(lock);
    if (n === undefined) this.staticAddrs.set(lock, (n = this.nextStatic++));
    return `ffffffff${(0x8e000000 + n * 0x40).toString(16).padStart(8, '0')}`;
  }

  /** One held-lock line: " #i: <addr> (<name>){....}-{x:y}, at: FUNC". */
  heldLine(i: number, h: HeldLock): string {
    return ` #${i}: ${this.lockAddr(h.lock)} (${h.name}){....}-${waitOf(h.lock)}, at: ${h.at}`;
  }

  /** lockdep_print_held_locks(): "N locks held by comm/pid:" and one line per lock. */
  heldLocks(t: Task, held: readonly HeldLock[] = t.held): string {
    const n = held.length;
    if (n === 0) return `no locks held by ${t.comm}/${t.pid}.`;
    const lines = [`${n} lock${n > 1 ? 's' : ''} held by ${t.comm}/${t.pid}:`];
    for (let i = 0; i < n; i++) lines.push(this.heldLine(i, held[i] as HeldLock));
    return lines.join('\n');
  }

  /** debug_show_held_locks(): the held locks, or the lockdep-off notice. */
  showHeldLocks(t: Task): string | null {
    if (!this.config.PROVE_LOCKING) return null;
    if (!this.debugLocks) return 'INFO: lockdep is turned off.';
    return this.heldLocks(t);
  }
}

/** The "{x:y}" wait-type pair of a lock (its lockdep class), or {0:0}. */
export function waitOf(lock: object): string {
  const cls = (lock as { cls?: LockClass }).cls;
  return cls?.wait ?? '{0:0}';
}

/** " <TASK>", frames innermost first (task frames are outermost first), " </TASK>". */
export function taskTrace(frames: readonly string[], top: readonly string[] = []): string {
  const lines = [' <TASK>'];
  for (const f of top) lines.push(` ${f}`);
  for (let i = frames.length - 1; i >= 0; i--) {
    lines.push(` ${frames[i] as string}`);
  }
  lines.push(' </TASK>');
  return lines.join('\n');
}

/** A stack trace without the <TASK> markers, innermost first, with the given indent. */
export function plainTrace(frames: readonly string[], indent: string, top: readonly string[] = []): string {
  const lines: string[] = [];
  for (const f of top) lines.push(`${indent}${f}`);
  for (let i = frames.length - 1; i >= 0; i--) lines.push(`${indent}${frames[i] as string}`);
  return lines.join('\n');
}

/** A simulated memory address as the kernel prints it with %px (16 hex digits). */
export function hexAddr(a: number): string {
  if (a >= 2 ** 48) return a.toString(16).padStart(16, '0');
  return `ffff${a.toString(16).padStart(12, '0')}`;
}

/** kmalloc size classes (mm/slab_common.c kmalloc_info[]). */
const KMALLOC_SIZES = [8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192];

export function kmallocSize(size: number): number {
  for (const s of KMALLOC_SIZES) if (size <= s) return s;
  let s = 16384;
  while (s < size) s *= 2;
  return s;
}
