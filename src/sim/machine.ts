/**
 * The deterministic machine: tasks, CPUs, virtual time, timers and choices.
 *
 * Every decision with more than one outcome goes through the Strategy and is
 * recorded; feeding the recorded choices back reproduces the run exactly.
 * Nothing here knows about Linux subsystems.
 */
import { removeAt } from './array.js';
import { RunSlots } from './slot.js';
import type { ChoicePoint, HeldCpu, StepRecord, Strategy } from './strategy.js';
import { ACCESS_ACQUIRE, ACCESS_ACQUIRE_SHARED, ACCESS_READ, ACCESS_RELEASE, ACCESS_WRITE } from './strategy.js';
import { type Pending, type TaskBody, type Waitable, Task, TASK_RUNNING, TASK_DEAD } from './task.js';

export interface Report {
  /** might_sleep, lockdep, kasan, hung_task, deadlock, kmemleak, warn, oops, ... */
  readonly kind: string;
  /** syzbot-style title, used to deduplicate findings. */
  readonly title: string;
  /** The full kernel-style report. */
  readonly text: string;
  readonly step: number;
  readonly pid: number;
  /**
   * Earlier runs (their choice sequences) this finding also depends on, e.g.
   * a lockdep cycle closed with a dependency recorded in another run. A
   * replay runs them first, in the same checker state.
   */
  readonly prelude?: readonly (readonly number[])[];
}

export interface SimEvent {
  readonly type: string;
}

/**
 * Sees the machine's events. One with `wants` sees only the types it answers true for: an event
 * no observer wants is not built (Machine.wants()).
 */
export type Observer = ((ev: SimEvent) => void) & { readonly wants?: (type: string) => boolean };

export interface MachineOptions {
  readonly strategy: Strategy;
  readonly nrCpus?: number;
  /** Steps after which the run stops as incomplete (a livelock guard). */
  readonly maxSteps?: number;
  /** Record trace events (function entry/exit and the like) for visualisation. */
  readonly trace?: boolean;
  /**
   * Added to the timer task's preempt_count while it runs a timer callback: the context timers
   * run in (the kernel layer passes its softirq count on !PREEMPT_RT, 0 where timers run in a
   * preemptible thread).
   */
  readonly timerPreemptOffset?: number;
}

/**
 * How a run ended: 'done' (nothing can run any more), 'step-limit' (cut at maxSteps: never a pass;
 * a liveness checker may have classified it, see RunResult.cut), 'stopped' (stop()).
 */
export type RunEnd = 'done' | 'step-limit' | 'stopped';

export interface RunResult {
  readonly end: RunEnd;
  readonly steps: number;
  readonly choices: readonly number[];
  readonly reports: readonly Report[];
  /** Hash of the executed schedule and footprints: equal runs have equal digests. */
  readonly digest: string;
  readonly timeNs: number;
  /**
   * The run was cut at maxSteps and no liveness checker explained why (an RCU stall, a livelock):
   * whatever it did after the cut is unknown, so an exploration with such a run is incomplete.
   */
  readonly cut: boolean;
}

/**
 * A finished run's RunResult. Its digest's text is made when first read: most runs' digest is never
 * read (a token or a replay check reads it), and a uint32's toString(16) takes V8's slow path for
 * numbers that are not small integers (about half a microsecond a run, 4% of a small program's).
 */
class Outcome implements RunResult {
  readonly end: RunEnd;
  readonly steps: number;
  readonly choices: readonly number[];
  readonly reports: readonly Report[];
  readonly timeNs: number;
  readonly cut: boolean;
  readonly #a: number;
  readonly #b: number;
  #digest: string | null = null;
  constructor(
    end: RunEnd,
    steps: number,
    choices: readonly number[],
    reports: readonly Report[],
    a: number,
    b: number,
    timeNs: number,
    cut: boolean,
  ) {
    this.end = end;
    this.steps = steps;
    this.choices = choices;
    this.reports = reports;
    this.#a = a;
    this.#b = b;
    this.timeNs = timeNs;
    this.cut = cut;
  }
  get digest(): string {
    if (this.#digest === null)
      this.#digest = this.#a.toString(16).padStart(8, '0') + this.#b.toString(16).padStart(8, '0');
    return this.#digest;
  }
}

/** What the machine knows about a run cut at maxSteps (for liveness checkers). */
export interface StepLimitEvent extends SimEvent {
  readonly type: 'step_limit';
  /** The window examined: the last `window` steps. */
  readonly window: number;
  /** Steps each pid ran in the window. */
  readonly stepsByPid: ReadonlyMap<number, number>;
  /**
   * Whether anything in the window changed which tasks exist or may run: a task created, exited,
   * blocked or woken. False for a retry loop, a spinning task, two tasks chasing each other.
   */
  readonly progress: boolean;
}

interface Timer {
  readonly expires: number;
  readonly seq: number;
  /** The CPU whose timer base it is queued on: the callback runs there. */
  readonly cpu: number;
  readonly fn: () => Generator<Pending, void, undefined>;
  cancelled: boolean;
}

/** Raised inside a task to end it (after a BUG or Oops has been reported). */
export class TaskKilled extends Error {
  constructor() {
    super('task killed');
  }
}

let active: Machine | null = null;

/** The machine currently running (there is one per thread). */
export function machine(): Machine {
  if (!active) throw new Error('no simulated machine is running');
  return active;
}

/** The task executing the current step (Linux's `current`). */
export function current(): Task {
  return machine().current;
}

/** Hook that turns an exception thrown by task code into a report (set by the kernel layer). */
export type ExceptionHandler = (task: Task, err: unknown) => Report;

/** The run digest's two halves with v mixed in (Machine.mix()): FNV-1a-like, and a x31 sum. */
function mixA(a: number, v: number): number {
  return Math.imul(a ^ v, 0x01000193) >>> 0;
}

function mixB(b: number, v: number): number {
  return (Math.imul(b, 31) + v) >>> 0;
}

/**
 * By length: arrays reused by every step on this thread (valid until the next step, and runs on a
 * thread never interleave), so that a list a step hands on has exactly its length without cutting
 * one array at every step (a runtime call; V8 also frees the store of an array cut to under half its
 * size, to grow it again at the next long one):
 *  - footprints: a step's footprint for its consumers (StepRecord.accesses, the step hooks' argument);
 *  - enabledLists, unstartedLists: a schedule point's enabled and unstarted pids.
 */
const footprints: number[][] = [];
const enabledLists: number[][] = [];
const unstartedLists: number[][] = [];

/** src[0..n) in the thread's reused array of length n from lists. */
function sized(lists: number[][], src: readonly number[], n: number): number[] {
  let out = lists[n];
  if (out === undefined) {
    out = [];
    for (let i = 0; i < n; i++) out.push(src[i] as number);
    lists[n] = out;
  } else for (let i = 0; i < n; i++) out[i] = src[i] as number;
  return out;
}

export class Machine {
  readonly nrCpus: number;
  readonly maxSteps: number;
  readonly trace: boolean;
  private readonly timerPreemptOffset: number;
  readonly tasks: Task[] = [];
  readonly reports: Report[] = [];
  readonly choices: number[] = [];
  readonly observers: Observer[] = [];
  readonly endHooks: (() => void)[] = [];
  /**
   * Called after every step with the step's task and footprint (access codes, objectId * 8 + kind),
   * for checkers that need the dependency order (KCSAN's happens-before). The footprint array is
   * the machine's, reused by the next step: valid during the call only.
   */
  readonly stepHooks: ((pid: number, accesses: readonly number[]) => void)[] = [];
  /**
   * Called when a fair run reaches maxSteps, before the 'step_limit' event: upper layers report
   * what keeps the run from ending (an RCU stall) through report().
   */
  readonly limitHooks: (() => void)[] = [];
  /** Per-run data slots for upper layers, keyed by a RunSlot each owns (sim/slot.ts). */
  readonly ext = new RunSlots();
  onException: ExceptionHandler | null = null;

  /** Virtual time in nanoseconds. */
  now = 0;
  stepIndex = 0;
  current: Task;
  private nextId = 1;
  private nextPid = 1;
  /**
   * The running step's access codes: footprint[0..fpLen). One array for the whole run, written in
   * place (a fresh array per step was ~150 bytes per step) and never cut: the step's consumers get
   * a copy in sized() (cutting this one to fpLen at every step was a runtime call, and V8
   * frees the store of an array cut to under half its size, to grow it again at the next big step).
   */
  private readonly footprint: number[] = [];
  private fpLen = 0;
  /** Timers armed and neither fired nor cancelled. */
  private liveTimers = 0;
  private readonly timers: Timer[] = [];
  private timerSeq = 0;
  private timerBusy = false;
  private readonly timerTask: Task;
  private readonly strategy: Strategy;
  private readonly cpuHolder: (Task | null)[];
  /** Object ids of the CPUs' run state (which task holds a CPU non-preemptibly): a footprint. */
  private readonly cpuIds: number[];
  /** Object id of the timer queue (armed timers decide whether pid 0 may run). */
  private readonly timerQId: number;
  /** Object id of virtual time (advanced by timers, read through clock()). */
  private readonly clockId: number;
  /** Step index of each pid's spawn (-1: created by the scenario's setup, before the run). */
  private readonly spawnedAt: number[] = [];
  private running = false;
  /**
   * By pid: whether the task was ready but kept off its CPU by another's non-preemptible hold since
   * it last ran (an array: a Set's add and delete were a cost of every step).
   */
  private readonly heldOff: boolean[] = [];
  /** Timers cancelled while pending (the timer softirq could have fired them first). */
  private cancelledPending = 0;
  /** The task a timer interrupt interrupted: the CPU returns to it when the callback is done. */
  private interrupted: Task | null = null;
  /** Step index since which each pid has been enabled without running (-1: not waiting); one entry per pid. */
  private readonly readySince: number[] = [-1];
  /** Step index of the last spawn, exit, block or wake (progress for the livelock window). */
  private lastProgress = 0;
  private stopped = false;
  private rrCpu = 0;
  private digestA = 0x811c9dc5;
  private digestB = 0x12345678;
  /** Tasks by pid (pid 0 is the timer task). */
  private readonly byPid: Task[] = [];
  /** Where collectEnabled() and collectUnstarted() gather their pids (never cut: see sized()). */
  private readonly enScratch: number[] = [];
  private readonly schedPoint = {
    kind: 'schedule' as const,
    enabled: [] as readonly number[],
    current: -1,
    currentEnabled: false,
    step: 0,
    unstarted: [] as readonly number[],
  };

  constructor(opts: MachineOptions) {
    this.strategy = opts.strategy;
    this.nrCpus = opts.nrCpus ?? 2;
    this.maxSteps = opts.maxSteps ?? 200_000;
    this.trace = opts.trace ?? false;
    this.timerPreemptOffset = opts.timerPreemptOffset ?? 0;
    this.cpuHolder = new Array<Task | null>(this.nrCpus).fill(null);
    this.timerTask = new Task(0, 'swapper/0', 0, true, this.timerLoop(), this.newId());
    this.cpuIds = [];
    for (let c = 0; c < this.nrCpus; c++) this.cpuIds.push(this.newId());
    this.timerQId = this.newId();
    this.clockId = this.newId();
    this.byPid[0] = this.timerTask;
    this.current = this.timerTask;
  }

  /** Makes this machine the active one for the calling thread. */
  activate(): this {
    active = this;
    return this;
  }

  newId(): number {
    return this.nextId++;
  }

  /** n consecutive new ids (as n calls of newId()); returns the first. */
  newIds(n: number): number {
    const first = this.nextId;
    this.nextId += n;
    return first;
  }

  task(pid: number): Task | undefined {
    return this.byPid[pid];
  }

  /**
   * Creates a task; it first runs when the strategy picks it: its code up to its first scheduling
   * point is its first step, not part of its parent's (it can interleave with everything after the
   * spawn). The spawn writes the child's state word and the child's first step reads it, so the
   * child's steps happen after the parent's spawning step.
   */
  spawn(
    comm: string,
    body: () => TaskBody,
    opts: { cpu?: number; kthread?: boolean /** Created dequeued, until wake(). */; asleep?: boolean } = {},
  ): Task {
    const cpu = opts.cpu ?? this.rrCpu++ % this.nrCpus;
    if (cpu < 0 || cpu >= this.nrCpus) throw new Error(`spawn ${comm}: no CPU ${cpu}`);
    const pid = this.nextPid++;
    const t = new Task(pid, comm, cpu, opts.kthread ?? false, body(), this.newId());
    t.entry = body.name || comm;
    if (opts.asleep) {
      t.blocked = true;
      t.blockedSince = this.now;
    }
    this.tasks.push(t);
    this.byPid[pid] = t;
    this.readySince.push(-1);
    this.spawnedAt[pid] = this.running ? this.stepIndex : -1;
    this.access(t.stateId, ACCESS_WRITE);
    this.lastProgress = this.stepIndex;
    if (this.wants('spawn')) this.emit({ type: 'spawn', task: t } as SimEvent);
    return t;
  }

  /** Virtual time for model code: a read of the clock in the step's footprint (timers advance it). */
  clock(): number {
    this.access(this.clockId, ACCESS_READ);
    return this.now;
  }

  /** The object id of a CPU's run state, for code whose outcome depends on what runs there. */
  cpuId(cpu: number): number {
    return this.cpuIds[cpu] as number;
  }

  /**
   * Whether some observer may read an event of this type: code emitting an event that is costly
   * to build, or frequent, may skip it when not (`if (m.wants('x')) m.emit({ type: 'x', ... })`).
   */
  wants(type: string): boolean {
    const obs = this.observers;
    for (let i = 0; i < obs.length; i++) {
      const w = (obs[i] as Observer).wants;
      if (w === undefined || w(type)) return true;
    }
    return false;
  }

  emit(ev: SimEvent): void {
    const obs = this.observers;
    for (let i = 0; i < obs.length; i++) (obs[i] as Observer)(ev);
  }

  /** Records an access of the running step (for dependency tracking). */
  access(id: number, kind: number): void {
    this.footprint[this.fpLen++] = id * 8 + kind;
  }

  /** Whether a report with this title was made in this run (a run makes a few: a scan beats a Set made per run). */
  reported(title: string): boolean {
    const rs = this.reports;
    for (let i = 0; i < rs.length; i++) if ((rs[i] as Report).title === title) return true;
    return false;
  }

  report(r: Omit<Report, 'step' | 'pid'>): void {
    // Built field by field when there is no prelude (a spread was a sizeable part of a small run's report).
    const full: Report =
      r.prelude === undefined
        ? { kind: r.kind, title: r.title, text: r.text, step: this.stepIndex, pid: this.current.pid }
        : { ...r, step: this.stepIndex, pid: this.current.pid };
    this.reports.push(full);
    this.emit({ type: 'report', report: full } as SimEvent);
  }

  /** Asks the strategy for a data outcome in [0, options). No choice point when options is 1. */
  chooseData(options: number, label: string, fault: boolean): number {
    if (options <= 1) return 0;
    const p: ChoicePoint = {
      kind: 'data',
      options,
      label,
      fault,
      task: this.current.pid,
      step: this.stepIndex,
    };
    const v = this.strategy.choose(p);
    if (!Number.isInteger(v) || v < 0 || v >= options)
      throw new Error(`strategy returned ${v} for a choice of ${options} (${label})`);
    this.choices.push(v);
    this.mix(0x40000000 + v);
    if (this.wants('choice')) this.emit({ type: 'choice', label, value: v, fault } as SimEvent);
    return v;
  }

  /** Dequeues the current task until wake() (the caller then yields). */
  block(on: Waitable | null): void {
    const t = this.current;
    t.blocked = true;
    t.waitingOn = on;
    t.blockedSince = this.now;
    this.access(t.stateId, ACCESS_WRITE);
    this.lastProgress = this.stepIndex;
    if (this.wants('block')) this.emit({ type: 'block', task: t, on } as SimEvent);
  }

  /** Makes a blocked task runnable again. Returns whether it was blocked. */
  wake(t: Task): boolean {
    this.access(t.stateId, ACCESS_WRITE);
    t.state = TASK_RUNNING;
    if (!t.blocked || t.dead) return false;
    t.blocked = false;
    t.waitingOn = null;
    this.lastProgress = this.stepIndex;
    if (this.wants('wake')) this.emit({ type: 'wake', task: t, by: this.current } as SimEvent);
    return true;
  }

  /**
   * Arms a timer: fn runs (as the timer softirq, pid 0, on `cpu`: 0 unless given) once virtual time
   * reaches expiresNs. While it runs, the timer task is on that CPU: it waits for that CPU to be free
   * of non-preemptible holders, and holds it as any task would.
   */
  addTimer(expiresNs: number, fn: () => Generator<Pending, void, undefined>, cpu = 0): { cancel(): boolean } {
    if (cpu < 0 || cpu >= this.nrCpus) throw new Error(`addTimer: no CPU ${cpu}`);
    const tm: Timer = { expires: expiresNs, seq: this.timerSeq++, cpu, fn, cancelled: false };
    this.access(this.timerQId, ACCESS_WRITE);
    this.timers.push(tm);
    this.liveTimers++;
    // A method, not an arrow property: the build's keepNames wraps every arrow it names in a
    // __name() call, made at each addTimer().
    const m = this;
    return {
      cancel(): boolean {
        m.access(m.timerQId, ACCESS_WRITE);
        const was = !tm.cancelled && m.timers.includes(tm);
        if (was) m.cancelledPending++;
        tm.cancelled = true;
        if (was) m.liveTimers--;
        return was;
      },
    };
  }

  /** Stops the run after the current step. */
  stop(): void {
    this.stopped = true;
  }

  private *timerLoop(): TaskBody {
    for (;;) {
      this.access(this.timerQId, ACCESS_WRITE);
      const tm = this.popTimer();
      if (tm) {
        if (tm.expires > this.now) {
          this.now = tm.expires;
          this.access(this.clockId, ACCESS_WRITE);
        }
        this.timerBusy = true;
        if (this.wants('timer')) this.emit({ type: 'timer', expires: tm.expires } as SimEvent);
        const tt = this.timerTask;
        const depth = tt.frames.length;
        const pc = tt.preempt_count;
        tt.preempt_count += this.timerPreemptOffset;
        try {
          yield* tm.fn();
        } catch (err) {
          // A timer callback that oopses ends that callback, not the timer softirq.
          if (!(err instanceof TaskKilled)) this.reportException(tt, err);
          tt.frames.length = depth;
        }
        tt.preempt_count = pc;
        this.timerBusy = false;
      }
      yield undefined;
    }
  }

  /** The timer popTimer() would pop now (the earliest, then the first armed), if any. */
  private nextTimer(): Timer | undefined {
    let best: Timer | undefined;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i] as Timer;
      if (t.cancelled) continue;
      if (!best || t.expires < best.expires || (t.expires === best.expires && t.seq < best.seq)) best = t;
    }
    return best;
  }

  private popTimer(): Timer | undefined {
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i] as Timer;
      if (t.cancelled) continue;
      const b = best < 0 ? undefined : (this.timers[best] as Timer);
      if (!b || t.expires < b.expires || (t.expires === b.expires && t.seq < b.seq)) best = i;
    }
    if (best < 0) {
      this.timers.length = 0;
      return undefined;
    }
    const tm = this.timers[best] as Timer;
    removeAt(this.timers, best);
    this.liveTimers--;
    return tm;
  }

  private runnable(t: Task): boolean {
    if (t.dead || t.blocked) return false;
    if (t === this.timerTask && !this.timerBusy) {
      if (this.liveTimers === 0) return false;
      // The next callback runs on its timer's CPU: the timer task moves there between callbacks
      // (it holds no CPU then: its context is back to the base one).
      const next = this.nextTimer();
      if (next) t.cpu = next.cpu;
    }
    const holder = this.cpuHolder[t.cpu];
    if (holder && holder !== t) {
      this.heldOff[t.pid] = true;
      return false;
    }
    const p = t.pending;
    if (p !== undefined && !p.canAcquire(t)) return false;
    return true;
  }

  /**
   * The pids that may run now, in the thread's reused array of their number (valid until the next
   * step: a strategy copies what it keeps of a schedule point's lists, see ChoicePoint).
   */
  private collectEnabled(): number[] {
    const sc = this.enScratch;
    let n = 0;
    if (this.runnable(this.timerTask)) sc[n++] = 0;
    const ts = this.tasks;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as Task;
      if (this.runnable(t)) sc[n++] = t.pid;
    }
    return sized(enabledLists, sc, n);
  }

  /** The enabled pids whose start costs no preemption (startsFree()), in the thread's reused array of their number. */
  private collectUnstarted(en: readonly number[]): number[] {
    const sc = this.enScratch;
    let n = 0;
    for (let i = 0; i < en.length; i++) {
      const q = en[i] as number;
      if (this.startsFree(this.byPid[q] as Task)) sc[n++] = q;
    }
    return sized(unstartedLists, sc, n);
  }

  private mix(v: number): void {
    this.digestA = mixA(this.digestA, v);
    this.digestB = mixB(this.digestB, v);
  }

  /**
   * Runs until no task can run, the step limit, or stop().
   *
   * Scheduling follows the kernel where it decides what a bound means:
   *  - a timer callback is an interrupt: once it is done the CPU returns to the task it
   *    interrupted, so going back costs no preemption (firing another timer while that task is
   *    ready is a new interrupt, and costs one);
   *  - a time slice: when a task has run `slice` steps in a row while others are ready, the
   *    scheduler tick switches to the one that has waited longest (the only task offered at that
   *    schedule point), so no schedule starves a ready task for ever (CHESS's fairness, made
   *    deterministic); it only happens in long runs (slice = maxSteps / 10, at most 1000 steps);
   *  - a run cut at maxSteps is classified by the liveness checkers (limitHooks, the
   *    'step_limit' event): an RCU stall, a livelock; otherwise it is a cut run (RunResult.cut).
   * End-of-run hooks (a scenario's finish(), end-of-run checkers) run only when the run ended.
   */
  run(): RunResult {
    this.running = true;
    this.activate();
    let end: RunEnd = 'done';
    const stepRec = { index: 0, pid: 0, accesses: this.footprint as readonly number[], cpu: 0 };
    const sp = this.schedPoint;
    const maxSteps = this.maxSteps;
    const window = Math.max(1, Math.floor(maxSteps / 2));
    const slice = Math.max(2, Math.min(1000, Math.floor(maxSteps / 10)));
    let prev = -1;
    let runLength = 0;
    const readySince = this.readySince;
    const windowStart: number[] = [];
    for (;;) {
      if (this.stopped) {
        end = 'stopped';
        break;
      }
      if (this.stepIndex === maxSteps - window) for (const t of this.tasks) windowStart[t.pid] = t.steps;
      if (this.stepIndex >= maxSteps) {
        end = 'step-limit';
        break;
      }
      let en = this.collectEnabled();
      if (en.length === 0) break;
      let cur = this.current.pid;
      const it = this.interrupted;
      if (cur === 0 && !this.timerBusy && it !== null) cur = it.pid;
      if (runLength >= slice && en.length > 1 && en.includes(prev)) en = [this.longestWaiting(en, prev)];
      let pid: number;
      if (en.length === 1) {
        pid = en[0] as number;
      } else {
        sp.enabled = en;
        sp.current = cur;
        sp.currentEnabled = en.includes(cur);
        sp.step = this.stepIndex;
        sp.unstarted = this.collectUnstarted(en);
        pid = this.strategy.choose(sp);
        if (!en.includes(pid)) throw new Error(`strategy chose pid ${pid}, not among [${en.join(',')}]`);
        this.choices.push(pid);
      }
      if (pid === 0) {
        if (cur !== 0) this.interrupted = this.byPid[cur] ?? null;
      } else this.interrupted = null;
      runLength = pid === prev ? runLength + 1 : 1;
      prev = pid;
      // One pass over the pids (en is in ascending pid order: the timer task, then tasks in spawn
      // order): an enabled pid that did not run keeps or starts its wait, every other pid has none.
      const step = this.stepIndex;
      const nEn = en.length;
      let j = 0;
      for (let q = 0; q < readySince.length; q++) {
        if (j < nEn && en[j] === q) {
          j++;
          if (q === pid) readySince[q] = -1;
          else if ((readySince[q] as number) < 0) readySince[q] = step;
        } else if (readySince[q] !== -1) readySince[q] = -1;
      }
      const t = this.byPid[pid] as Task;
      this.execute(t);
      const fp: readonly number[] = sized(footprints, this.footprint, this.fpLen);
      stepRec.index = this.stepIndex;
      stepRec.pid = pid;
      stepRec.accesses = fp;
      stepRec.cpu = this.cpuIds[t.cpu] as number;
      // mix() of the pid and each footprint entry, in locals.
      let da = mixA(this.digestA, pid);
      let db = mixB(this.digestB, pid);
      for (let i = 0; i < fp.length; i++) {
        const v = fp[i] as number;
        da = mixA(da, v);
        db = mixB(db, v);
      }
      this.digestA = da;
      this.digestB = db;
      this.strategy.stepped?.(stepRec);
      const sh = this.stepHooks;
      for (let i = 0; i < sh.length; i++) (sh[i] as (p: number, a: readonly number[]) => void)(pid, fp);
      this.stepIndex++;
    }
    let cut = false;
    if (end === 'step-limit') {
      const before = this.reports.length;
      this.current = this.timerTask;
      for (const h of this.limitHooks) h();
      const stepsByPid = new Map<number, number>();
      for (const t of [this.timerTask, ...this.tasks]) {
        const n = t.steps - (windowStart[t.pid] ?? 0);
        if (n > 0) stepsByPid.set(t.pid, n);
      }
      const ev: StepLimitEvent = {
        type: 'step_limit',
        window,
        stepsByPid,
        progress: this.lastProgress >= this.stepIndex - window,
      };
      this.emit(ev);
      cut = this.reports.length === before;
    }
    if (this.strategy.ended) {
      // What each task that could not run at the end was waiting for, as the step it would have
      // taken: a lock (not one it holds itself: a self-deadlock races with nothing), or its CPU
      // held by another; and the timer softirq's pop of every timer cancelled while it was
      // pending (it could have fired before the cancel).
      const waiting: StepRecord[] = [];
      for (const t of this.tasks) {
        if (t.dead || t.blocked) continue;
        const p = t.pending;
        const holder = this.cpuHolder[t.cpu];
        const accesses: number[] = [];
        if (holder && holder !== t) accesses.push((this.cpuIds[t.cpu] as number) * 8 + ACCESS_ACQUIRE_SHARED);
        if (p !== undefined && !p.canAcquire(t) && !p.owners().includes(t))
          accesses.push(p.id * 8 + (p.shared ? ACCESS_ACQUIRE_SHARED : ACCESS_ACQUIRE));
        if (accesses.length > 0) waiting.push({ index: this.stepIndex, pid: t.pid, accesses });
      }
      if (this.cancelledPending > 0)
        waiting.push({ index: this.stepIndex, pid: 0, accesses: [this.timerQId * 8 + ACCESS_WRITE] });
      const held: HeldCpu[] = [];
      for (let c = 0; c < this.nrCpus; c++) {
        const h = this.cpuHolder[c];
        if (h) held.push({ pid: h.pid, cpu: this.cpuIds[c] as number });
      }
      this.strategy.ended(waiting, held);
    }
    if (end === 'done')
      for (const h of this.endHooks) {
        this.current = this.timerTask;
        h();
      }
    this.emit({ type: 'end', end } as SimEvent);
    return new Outcome(end, this.stepIndex, this.choices, this.reports, this.digestA, this.digestB, this.now, cut);
  }

  /**
   * Whether starting `t` now costs no preemption: it has not run yet and was created by the
   * scenario's setup (before the run) or by the step just taken (wake_up_new_task() may run the
   * child at once). Starting a child later, while its parent could go on, is a preemption: free
   * late starts multiply the bounded space without adding kernel behaviour a bound should keep.
   */
  private startsFree(t: Task): boolean {
    if (t.steps !== 0) return false;
    const at = this.spawnedAt[t.pid] ?? -1;
    return at === -1 || at === this.stepIndex - 1;
  }

  /** The enabled pid other than `not` that has been ready without running the longest (ties: lowest pid). */
  private longestWaiting(en: readonly number[], not: number): number {
    let best = -1;
    let since = Number.POSITIVE_INFINITY;
    for (const q of en) {
      if (q === not) continue;
      const r = this.readySince[q] as number;
      const s = r < 0 ? this.stepIndex : r;
      if (s < since) {
        since = s;
        best = q;
      }
    }
    return best;
  }

  private execute(t: Task): void {
    this.current = t;
    this.fpLen = 0;
    if (this.trace) this.emit({ type: 'step', task: t, index: this.stepIndex } as SimEvent);
    // A step runs only while no other task holds its CPU non-preemptibly: the first step of a task
    // that was kept off its CPU by such a hold is a shared acquisition of the CPU's run state, so it
    // races with the hold (and DPOR tries it before the hold began). Steps no hold delayed record
    // nothing: every step of every task on a CPU racing with every spinlock section on !RT made
    // destroy-race/v3/nonrt 11x larger (9,917 -> over 111,000 executions at bound 1). A task's first step
    // reads its state word (it comes after the spawn). Later steps do not: a blocked task cannot
    // run before its wake-up anyway (no reversal to try), and what a wake-up changes for a task
    // that is still running (set_current_state() / schedule()) writes the state word itself.
    if (this.heldOff[t.pid] === true) {
      this.heldOff[t.pid] = false;
      this.access(this.cpuIds[t.cpu] as number, ACCESS_ACQUIRE_SHARED);
    }
    if (t.steps === 0) this.access(t.stateId, ACCESS_READ);
    t.steps++;
    this.advance(t);
  }

  /** Resumes a task until its next scheduling point, its end, or an exception. */
  private advance(t: Task): void {
    t.pending = undefined;
    let r: IteratorResult<Pending, void>;
    try {
      r = t.gen.next();
    } catch (err) {
      if (!(err instanceof TaskKilled)) this.reportException(t, err);
      this.exitTask(t);
      return;
    }
    if (r.done) {
      this.exitTask(t);
      return;
    }
    t.pending = r.value;
    const holder = !t.blocked && !t.preemptible() ? t : null;
    if (this.cpuHolder[t.cpu] !== holder) {
      // Which task may run on this CPU changed (preempt/irq/bh disable or enable, a sleep). The
      // CPU's run state is a lock: holding it non-preemptibly is an exclusive acquisition, giving
      // it up a release, and every step on that CPU a shared acquisition, so a step races with the
      // hold that would have kept it from running (and is ordered after its release).
      this.cpuHolder[t.cpu] = holder;
      this.access(this.cpuIds[t.cpu] as number, holder ? ACCESS_ACQUIRE : ACCESS_RELEASE);
    }
  }

  private reportException(t: Task, err: unknown): void {
    const rep = this.onException
      ? this.onException(t, err)
      : {
          kind: 'oops',
          title: `Oops in ${t.frames[t.frames.length - 1] ?? t.comm}`,
          text: String(err),
          step: this.stepIndex,
          pid: t.pid,
        };
    this.reports.push(rep);
    this.emit({ type: 'report', report: rep } as SimEvent);
  }

  private exitTask(t: Task): void {
    t.dead = true;
    t.state = TASK_DEAD;
    t.blocked = false;
    if (this.cpuHolder[t.cpu] === t) {
      this.cpuHolder[t.cpu] = null;
      this.access(this.cpuIds[t.cpu] as number, ACCESS_RELEASE);
    }
    this.access(t.stateId, ACCESS_WRITE);
    this.lastProgress = this.stepIndex;
    if (this.wants('exit')) this.emit({ type: 'exit', task: t } as SimEvent);
  }
}
