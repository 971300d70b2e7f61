/**
 * Records one run's events into a RunTrace: a compact, serialisable model of
 * what happened, for the Chrome trace (trace.ts) and the HTML timeline
 * (html.ts). Install it on a machine that runs with `trace: true`.
 *
 * Time axis: the step index. Step i occupies [i, i+1); the k-th of the n
 * recorded events of step i sits at i + (k+1)/2^p with 2^p > n (dyadic, so
 * exact in a double), which keeps events ordered and distinct, so slices of
 * stack-disciplined things (frames, nested sections) nest exactly. Virtual
 * time is kept per step as metadata (it only advances when timers fire).
 * See docs/fidelity/report.md.
 */
import { type Machine, type Report, type SimEvent, type Task, machine } from '../sim/index.js';

export const RUN_TRACE_VERSION = 1;

export interface TraceTask {
  readonly pid: number;
  readonly comm: string;
  readonly cpu: number;
  readonly kthread: boolean;
  /** Step at which the task was created. */
  readonly start: number;
  /** Step after which it exited, or null if it was alive at the end. */
  end: number | null;
}

/**
 * func: a model function (frame); lock: a lock held; wait: waiting for a contended lock;
 * ctx: preempt/irq/bh off, non_block, rcu and srcu:<name> read sections; sleep: blocked
 * in schedule() until woken; srcu_gp: an SRCU grace period; srcu_cb: an SRCU callback invocation.
 */
export type SliceKind = 'func' | 'lock' | 'wait' | 'ctx' | 'sleep' | 'srcu_gp' | 'srcu_cb';

export interface TraceSlice {
  readonly kind: SliceKind;
  /** Task the slice belongs to (for srcu_gp: the task that started it, or -1). */
  readonly pid: number;
  readonly name: string;
  readonly start: number;
  end: number;
  /** Still open when the run ended (a lock never released, a wait that never ended). */
  open?: boolean;
  /** Extra text (lock type, what a sleep waits on, grace period sequence...). */
  detail?: string;
  /** For slices that live on a global track (srcu_gp, srcu_cb): the track's name. */
  track?: string;
}

export type InstantKind = 'report' | 'fault' | 'printk' | 'warn';

export interface TraceInstant {
  readonly kind: InstantKind;
  readonly pid: number;
  /** Step index during which it happened. */
  readonly step: number;
  /** Position on the time axis (within the step). */
  readonly at: number;
  readonly name: string;
  readonly detail?: string;
}

export interface TraceReport {
  readonly kind: string;
  readonly title: string;
  readonly text: string;
  readonly step: number;
  readonly pid: number;
}

export interface RunTrace {
  readonly version: number;
  readonly nrCpus: number;
  /** Number of steps executed (the time axis runs over [0, span)). */
  steps: number;
  /** Length of the time axis: at least `steps`, more if something happened after the last step. */
  span: number;
  end: string;
  timeNs: number;
  readonly tasks: TraceTask[];
  /** Per step: the pid that ran it. */
  readonly stepPid: number[];
  /** Per step: the virtual time (ns) when it started. */
  readonly stepTimeNs: number[];
  readonly slices: TraceSlice[];
  readonly instants: TraceInstant[];
  readonly reports: TraceReport[];
  readonly printk: { step: number; pid: number; level: string; text: string }[];
}

interface OpenFrame {
  readonly name: string;
  readonly slice: TraceSlice;
}

interface PendingLock {
  readonly lock: object;
  readonly pid: number;
  readonly name: string;
  readonly type: string;
  readonly acquireStep: number;
  contended: boolean;
  hold: TraceSlice | null;
}

/** SRCU/RCU grace-period and callback events (kernel/rcu/events.ts), read structurally. */
interface SrcuLike {
  readonly type: string;
  readonly phase?: string;
  readonly domain?: string;
  readonly seq?: number;
  readonly fn?: string;
  readonly task?: Task;
}

export interface Recorder {
  readonly trace: RunTrace;
  /** Closes whatever is still open; call after machine.run() (done automatically on 'end'). */
  finish(): RunTrace;
}

/** Attaches a recorder to a machine (before it runs). The machine must have `trace` on to see frames and contexts. */
export function recordRun(m: Machine): Recorder {
  const r = createRecorder(m);
  m.observers.push(r.observer);
  return r;
}

/**
 * A recorder as an observer, for callers that do not hold the machine before
 * it runs (cli/harness.ts execute({observers})): `m` defaults to the machine
 * active when the first event arrives.
 */
export function traceRecorder(): Recorder & { readonly observer: (ev: SimEvent) => void } {
  let inner: ReturnType<typeof createRecorder> | null = null;
  const empty = emptyTrace(1, 1);
  return {
    get trace(): RunTrace {
      return inner ? inner.trace : empty;
    },
    observer(ev: SimEvent): void {
      if (!inner) inner = createRecorder(machine());
      inner.observer(ev);
    },
    finish(): RunTrace {
      return inner ? inner.finish() : empty;
    },
  };
}

function emptyTrace(nrCpus: number, span: number): RunTrace {
  return {
    version: RUN_TRACE_VERSION,
    nrCpus,
    steps: 0,
    span,
    end: 'done',
    timeNs: 0,
    tasks: [],
    stepPid: [],
    stepTimeNs: [],
    slices: [],
    instants: [],
    reports: [],
    printk: [],
  };
}

function createRecorder(m: Machine): Recorder & { readonly observer: (ev: SimEvent) => void } {
  const trace = emptyTrace(m.nrCpus, 0);
  const taskInfo = new Map<number, TraceTask>();
  const frames = new Map<number, OpenFrame[]>();
  const ctxDepth = new Map<string, { depth: number; slice: TraceSlice | null }>();
  const locks: PendingLock[] = [];
  const sleeps = new Map<number, TraceSlice>();
  const gps = new Map<string, TraceSlice>();
  const cbs = new Map<string, TraceSlice[]>();
  let prev: Task | null = null;
  let finished = false;

  // Positions are recorded as ordinals of recorded events, converted to the time axis in finish().
  const ordStep: number[] = [];
  /** Step whose events are being recorded (the previous step while reconciling at a step boundary). */
  let stepOverride = -1;
  const at = (): number => {
    ordStep.push(stepOverride >= 0 ? stepOverride : m.stepIndex);
    return ordStep.length - 1;
  };

  function addTask(t: Task): void {
    if (taskInfo.has(t.pid)) return;
    const info: TraceTask = { pid: t.pid, comm: t.comm, cpu: t.cpu, kthread: t.kthread, start: m.stepIndex, end: null };
    taskInfo.set(t.pid, info);
    trace.tasks.push(info);
  }

  function open(kind: SliceKind, pid: number, name: string, detail?: string, track?: string): TraceSlice {
    const s: TraceSlice = { kind, pid, name, start: at(), end: -1 };
    if (detail !== undefined) s.detail = detail;
    if (track !== undefined) s.track = track;
    trace.slices.push(s);
    return s;
  }

  function close(s: TraceSlice, end?: number): void {
    if (s.end < 0) s.end = end ?? at();
  }

  /** Makes the open function slices of a task match its frame stack. */
  function reconcile(t: Task): void {
    addTask(t);
    let st = frames.get(t.pid);
    if (!st) frames.set(t.pid, (st = []));
    const fr = t.frames;
    let same = 0;
    while (same < st.length && same < fr.length && (st[same] as OpenFrame).name === fr[same]) same++;
    while (st.length > same) close((st.pop() as OpenFrame).slice);
    for (let i = same; i < fr.length; i++) {
      const name = fr[i] as string;
      st.push({ name, slice: open('func', t.pid, name) });
    }
  }

  function context(t: Task, what: string, on: boolean): void {
    addTask(t);
    const key = `${t.pid}\u0000${what}`;
    let c = ctxDepth.get(key);
    if (!c) ctxDepth.set(key, (c = { depth: 0, slice: null }));
    if (on) {
      if (c.depth++ === 0) c.slice = open('ctx', t.pid, what);
    } else if (c.depth > 0 && --c.depth === 0 && c.slice) {
      close(c.slice);
      c.slice = null;
    }
  }

  /** kernel/rcu/events.ts: srcu_gp {phase: start|flip|end} and srcu_cb {phase: queue|invoke|done|leak}. */
  function srcuEvent(e: SrcuLike): void {
    const domain = e.domain ?? 'srcu';
    const label = domain === 'rcu' ? 'RCU' : `SRCU ${domain}`;
    const pid = e.task?.pid ?? m.current.pid;
    if (e.type === 'srcu_gp') {
      const key = `${domain}\u0000${e.seq ?? ''}`;
      if (e.phase === 'start')
        gps.set(key, open('srcu_gp', pid, `grace period ${e.seq ?? ''}`.trim(), domain, `${label}: grace periods`));
      else if (e.phase === 'end') {
        const s = gps.get(key);
        if (s) {
          close(s);
          gps.delete(key);
        }
      }
    } else if (e.type === 'srcu_cb') {
      const fn = e.fn ?? 'callback';
      const key = `${domain}\u0000${fn}`;
      if (e.phase === 'invoke') {
        let l = cbs.get(key);
        if (!l) cbs.set(key, (l = []));
        l.push(open('srcu_cb', pid, fn, `${domain}, grace period ${e.seq ?? '?'}`, `${label}: callbacks`));
      } else if (e.phase === 'done') {
        const s = cbs.get(key)?.pop();
        if (s) close(s);
      }
    }
  }

  function lockAcquire(e: {
    lock: object;
    cls: { name: string; type: string };
    task: Task;
    sync: boolean;
    read: number;
  }): void {
    addTask(e.task);
    // An empty acquire/release pair (lock_map_sync) and rcu_read_lock's map (shown as an rcu section) are not holds.
    if (e.sync || e.cls.name === 'rcu_read_lock') return;
    locks.push({
      lock: e.lock,
      pid: e.task.pid,
      name: e.cls.name,
      type: e.cls.type,
      acquireStep: at(),
      contended: false,
      hold: null,
    });
  }

  function findLock(lock: object, pid: number, wantHeld: boolean | null): PendingLock | undefined {
    for (let i = locks.length - 1; i >= 0; i--) {
      const l = locks[i] as PendingLock;
      if (l.lock === lock && l.pid === pid && (wantHeld === null || (l.hold !== null) === wantHeld)) return l;
    }
    return undefined;
  }

  function lockAcquired(lock: object, t: Task): void {
    const l = findLock(lock, t.pid, false);
    if (!l) return;
    if (l.contended) {
      const w = open('wait', t.pid, l.name, l.type);
      (w as { start: number }).start = l.acquireStep;
      w.end = w.start;
      close(w);
    }
    l.hold = open('lock', t.pid, l.name, l.type);
  }

  function lockRelease(lock: object, t: Task): void {
    let l = findLock(lock, t.pid, null);
    if (!l) {
      // Released by another task (an rwsem up_read from elsewhere): the latest holder.
      for (let i = locks.length - 1; i >= 0 && !l; i--) if ((locks[i] as PendingLock).lock === lock) l = locks[i];
    }
    if (!l) return;
    locks.splice(locks.indexOf(l), 1);
    if (l.hold) close(l.hold);
    else {
      // A lockdep map (no lock_acquired event): held since lock_acquire.
      const s = open('lock', l.pid, l.name, l.type);
      (s as { start: number }).start = l.acquireStep;
      close(s);
    }
  }

  function closeAll(): void {
    // Frames pushed by hand during the last step belong to that step.
    stepOverride = Math.max(0, trace.steps - 1);
    for (const t of m.tasks) reconcile(t);
    stepOverride = -1;
    const endAt = at();
    for (const s of trace.slices) {
      if (s.end < 0) {
        s.end = endAt;
        s.open = true;
      }
    }
    // Locks that were asked for but never acquired: an open-ended wait (a deadlock).
    for (const l of locks) {
      if (l.hold) continue;
      if (!l.contended && !isWaitingOn(l)) continue;
      const w: TraceSlice = {
        kind: 'wait',
        pid: l.pid,
        name: l.name,
        start: l.acquireStep,
        end: endAt,
        open: true,
        detail: l.type,
      };
      trace.slices.push(w);
    }
    locks.length = 0;
  }

  function isWaitingOn(l: PendingLock): boolean {
    const t = m.task(l.pid);
    return t !== undefined && !t.dead && t.pending !== undefined;
  }

  function finish(): RunTrace {
    if (finished) return trace;
    finished = true;
    trace.steps = m.stepIndex;
    trace.timeNs = m.now;
    stepOverride = -1;
    closeAll();
    // Ordinals -> positions on the step axis.
    const count = new Map<number, number>();
    for (const st of ordStep) count.set(st, (count.get(st) ?? 0) + 1);
    const scale = new Map<number, number>();
    for (const [st, n] of count) scale.set(st, 2 ** -Math.ceil(Math.log2(n + 1)));
    const pos: number[] = new Array(ordStep.length);
    const seen = new Map<number, number>();
    for (let o = 0; o < ordStep.length; o++) {
      const st = ordStep[o] as number;
      const k = (seen.get(st) ?? 0) + 1;
      seen.set(st, k);
      pos[o] = st + k * (scale.get(st) as number);
    }
    for (const s of trace.slices) {
      (s as { start: number }).start = pos[s.start] as number;
      s.end = pos[s.end] as number;
    }
    for (const i of trace.instants) (i as { at: number }).at = pos[i.at] as number;
    let span = trace.steps;
    for (const s of trace.slices) if (s.end > span) span = s.end;
    for (const i of trace.instants) if (i.at > span) span = i.at;
    trace.span = Math.max(Math.ceil(span), 1);
    return trace;
  }

  addTask(m.task(0) as Task);

  const observer = (ev: SimEvent): void => {
    if (finished) return;
    const e = ev as SimEvent & Record<string, unknown>;
    const ty = ev.type;
    // Frames pushed by hand (mutex_lock, schedule) show up before whatever this event records.
    if (ty !== 'step' && ty !== 'spawn' && ty !== 'end' && ty !== 'enter' && ty !== 'exit') reconcile(m.current);
    switch (ty) {
      case 'spawn':
        addTask(e.task as Task);
        return;
      case 'step': {
        if (prev) {
          // Frames pushed or popped by hand (schedule(), msleep()) during the previous step.
          stepOverride = Math.max(0, m.stepIndex - 1);
          reconcile(prev);
          stepOverride = -1;
        }
        const t = e.task as Task;
        addTask(t);
        trace.stepPid.push(t.pid);
        trace.stepTimeNs.push(m.now);
        prev = t;
        return;
      }
      case 'enter':
        reconcile(e.task as Task);
        return;
      case 'exit': {
        const t = e.task as Task;
        if (typeof e.name === 'string') {
          reconcile(t);
          return;
        }
        // The task ended: close its frames (left on the stack by an Oops) and contexts.
        addTask(t);
        const info = taskInfo.get(t.pid) as TraceTask;
        info.end = m.stepIndex + 1;
        const st = frames.get(t.pid) ?? [];
        while (st.length > 0) close((st.pop() as OpenFrame).slice);
        for (const [key, c] of ctxDepth) {
          if (key.startsWith(`${t.pid}\u0000`) && c.slice) {
            close(c.slice);
            c.slice = null;
            c.depth = 0;
          }
        }
        return;
      }
      case 'block': {
        const t = m.current;
        addTask(t);
        const on = e.on as { describe(): string } | null;
        sleeps.set(t.pid, open('sleep', t.pid, 'sleeping', on ? on.describe() : undefined));
        return;
      }
      case 'wake': {
        const t = e.task as Task;
        const s = sleeps.get(t.pid);
        if (s) {
          close(s);
          sleeps.delete(t.pid);
        }
        return;
      }
      case 'context':
        context(e.task as Task, e.what as string, e.on as boolean);
        return;
      case 'lock_acquire':
        lockAcquire(e as never);
        return;
      case 'lock_contended': {
        const l = findLock(e.lock as object, (e.task as Task).pid, false);
        if (l) l.contended = true;
        return;
      }
      case 'lock_acquired':
        lockAcquired(e.lock as object, e.task as Task);
        return;
      case 'lock_release':
        lockRelease(e.lock as object, e.task as Task);
        return;
      case 'choice':
        if (e.fault === true && e.value !== 0)
          trace.instants.push({
            kind: 'fault',
            pid: m.current.pid,
            step: m.stepIndex,
            at: at(),
            name: `fault: ${String(e.label)}`,
            detail: `outcome ${String(e.value)}`,
          });
        return;
      case 'report': {
        const r = e.report as Report;
        trace.reports.push({ kind: r.kind, title: r.title, text: r.text, step: r.step, pid: r.pid });
        trace.instants.push({ kind: 'report', pid: r.pid, step: r.step, at: at(), name: r.title, detail: r.kind });
        return;
      }
      case 'printk': {
        const t = e.task as Task;
        const line = { step: m.stepIndex, pid: t.pid, level: String(e.level), text: String(e.text) };
        trace.printk.push(line);
        trace.instants.push({
          kind: 'printk',
          pid: t.pid,
          step: m.stepIndex,
          at: at(),
          name: line.text,
          detail: line.level,
        });
        return;
      }
      case 'end':
        trace.end = String(e.end);
        finish();
        return;
      case 'srcu_gp':
      case 'srcu_cb':
        srcuEvent(e as SrcuLike);
        return;
    }
  };

  return { trace, finish, observer };
}
