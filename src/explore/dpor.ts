/**
 * Exhaustive stateless exploration with dynamic partial-order reduction:
 * source-set DPOR with sleep sets (Abdulla, Aronis, Jonsson, Sagonas, POPL
 * 2014, Algorithm 1), under a preemption bound and a fault budget.
 *
 * The tree's nodes are the run's choice points: schedule points (more than one
 * enabled task) and data points (chooseData: injected faults, error returns).
 * Each run replays the current prefix and continues without preemptions or
 * faults. After the run, races are computed from the step footprints with
 * vector clocks (loom-style: a step's races are computed against its task's
 * clock before the step joins its incoming edges):
 *   - memory: a read races with the last write, a write with the last write and
 *     the reads since; the clocks join along those edges;
 *   - locks: an exclusive acquisition races with the previous acquisitions of
 *     the object (exclusive, and shared ones since), a shared acquisition with
 *     the previous exclusive one; a release races with nothing but every later
 *     acquisition joins the clocks of the releases before it.
 * For a race e1 < e2 the source-set rule adds one initial of
 * notdep(e1).e2 to the backtrack set of the point before e1, unless one of them
 * is already explored, pending or asleep there. Tasks still waiting for a lock
 * when the run ends contribute their pending acquisition as a last event, so
 * that the acquisition that blocked them is reversed too (otherwise a deadlock
 * run would hide the orders in which the waiter goes first). Data points explore every
 * value the fault budget allows (a fault = a non-zero answer at a fault point).
 *
 * Guarantee. Without a preemption bound (--preemptions -1) and for a given
 * fault budget, every Mazurkiewicz trace of the program (the dependency order
 * of its steps, with faults) is explored at least once, so every finding whose
 * occurrence depends only on that order is found. Under a preemption bound P
 * only executions with <= P preemptions are run. Naive bounding plus POR is
 * not complete for the bounded space (BPOR, Coons, Musuvathi, McKinley, OOPSLA
 * 2013): a reversal that would cost a preemption over the bound is dropped at
 * its own point, and, as in BPOR, we then add it conservatively at the latest
 * earlier point where it fits the bound. This is a heuristic, not the BPOR
 * proof: with a bound, "complete" means "the bounded search finished", and
 * traces that need more than P preemptions in every linearisation are not
 * explored. Dependencies the footprints do not show (a task made unrunnable
 * because another holds its CPU non-preemptibly, timer enabledness) are not
 * tracked; see docs/fidelity/explore.md.
 */
import { type ChoicePoint, type RunResult, type StepRecord, type Strategy, isPreemption } from '../sim/index.js';
import {
  ChoiceMismatch,
  type Footprint,
  MASK,
  StopRun,
  footprintOf,
  footprintsConflict,
  mergeFootprint,
} from './common.js';
import type { SearchStrategy } from './search.js';

export interface DporOptions {
  /** Preemption bound per run; -1 or Infinity for none. */
  readonly preemptions: number;
  /** Fault budget per run (non-zero answers at fault points). */
  readonly faults: number;
  /** Explore only the subtree below this prefix (used by parallel exploration). */
  readonly root?: DporRoot;
}

/** A subtree: the choices up to and including the branch, and the sleep set after the branch point. */
export interface DporRoot {
  readonly prefix: readonly number[];
  /** Sleep set at the branch node (explored siblings and inherited), pid -> footprint entries. */
  readonly sleep: readonly (readonly [number, readonly (readonly [number, number])[]])[];
}

interface Node {
  readonly kind: 'schedule' | 'data';
  readonly step: number;
  readonly enabled: readonly number[];
  readonly current: number;
  readonly currentEnabled: boolean;
  readonly unstarted: readonly number[];
  readonly options: number;
  readonly fault: boolean;
  /** Preemptions and faults before this node's choice. */
  readonly preemptions: number;
  readonly faults: number;
  chosen: number;
  /** Explored choices (before `chosen`). */
  readonly done: number[];
  /** Pending choices. */
  readonly todo: number[];
  /** Sleep set on reaching the node (schedule nodes). */
  readonly sleep: Map<number, Footprint>;
  /** Footprint (union over all runs) of the step each explored pid took from here. */
  readonly fps: Map<number, Footprint>;
}

interface Event {
  readonly pid: number;
  readonly fp: Footprint;
  /** Index of the schedule node that chose this step, or -1 when it was forced. */
  readonly node: number;
}

/** A proposal to add `pid` at a frozen node above a subtree root (parallel exploration). */
export interface Proposal {
  readonly depth: number;
  readonly pid: number;
}

export class Dpor implements SearchStrategy {
  readonly name = 'dpor';
  readonly exhaustive = true;
  readonly bound: number;
  readonly faultBudget: number;
  private readonly nodes: Node[] = [];
  private readonly frozen: number;
  private readonly rootSleep: Map<number, Footprint>;
  private readonly rootPrefix: readonly number[];
  private started = false;
  private finished = false;
  /** Races that want a choice above the root (only with a root). */
  readonly proposals: Proposal[] = [];
  /** Runs abandoned because every continuation was asleep or over the bound. */
  blocked = 0;
  private run: DporRun | null = null;

  constructor(opts: DporOptions) {
    this.bound = opts.preemptions < 0 ? Number.POSITIVE_INFINITY : opts.preemptions;
    this.faultBudget = opts.faults;
    this.rootPrefix = opts.root?.prefix ?? [];
    this.frozen = this.rootPrefix.length;
    this.rootSleep = new Map((opts.root?.sleep ?? []).map(([p, fp]) => [p, new Map(fp)]));
  }

  next(): Strategy | null {
    if (this.finished) return null;
    if (this.started && !this.advance()) {
      this.finished = true;
      return null;
    }
    this.started = true;
    this.run = new DporRun(this);
    return this.run;
  }

  done(_result: RunResult | null): void {
    const r = this.run;
    if (!r) return;
    if (r.stopped) this.blocked++;
    this.analyse(r.events);
    this.run = null;
  }

  /**
   * Takes every pending alternative off the current stack as a subtree root
   * (shallowest first), for splitting the work; afterwards this instance has
   * nothing left to explore except what addRoot... proposals bring back.
   */
  takeRoots(): DporRoot[] {
    const out: DporRoot[] = [];
    for (let d = this.frozen; d < this.nodes.length; d++) {
      const n = this.nodes[d] as Node;
      for (const alt of n.todo) {
        if (n.done.includes(alt) || n.chosen === alt || n.sleep.has(alt) || !this.fits(n, alt)) continue;
        out.push(this.rootAt(d, alt));
        n.done.push(alt);
      }
      n.todo.length = 0;
    }
    this.finished = true;
    return out;
  }

  /** Accepts a proposal (depth, pid) from a subtree: returns the new root, or null when it is covered. */
  claim(p: Proposal): DporRoot | null {
    const n = this.nodes[p.depth];
    if (!n || p.depth < this.frozen) return null;
    if (n.chosen === p.pid || n.done.includes(p.pid) || n.sleep.has(p.pid) || !this.fits(n, p.pid)) return null;
    if (!n.enabled.includes(p.pid)) return null;
    n.done.push(p.pid);
    return this.rootAt(p.depth, p.pid);
  }

  private rootAt(d: number, alt: number): DporRoot {
    const n = this.nodes[d] as Node;
    const prefix = this.nodes.slice(0, d).map((x) => x.chosen);
    const sleep: [number, [number, number][]][] = [];
    for (const [q, fp] of n.sleep) sleep.push([q, [...fp]]);
    for (const q of n.done)
      if (q !== alt && n.fps.has(q) && !n.sleep.has(q)) sleep.push([q, [...(n.fps.get(q) as Footprint)]]);
    return { prefix: [...prefix, alt], sleep };
  }

  // ---- used by DporRun ----

  nodeAt(depth: number): Node | undefined {
    return this.nodes[depth];
  }

  get frozenCount(): number {
    return this.frozen;
  }

  isFrozen(depth: number): boolean {
    return depth < this.frozen;
  }

  prefixChoice(depth: number): number {
    return this.rootPrefix[depth] as number;
  }

  initialSleep(): Map<number, Footprint> {
    return new Map([...this.rootSleep].map(([p, fp]) => [p, new Map(fp)]));
  }

  push(n: Node): void {
    this.nodes.push(n);
  }

  newNode(p: ChoicePoint, preemptions: number, faults: number, sleep: Map<number, Footprint>): Node {
    if (p.kind === 'schedule') {
      return {
        kind: 'schedule',
        step: p.step,
        enabled: [...p.enabled],
        current: p.current,
        currentEnabled: p.currentEnabled,
        unstarted: [...p.unstarted],
        options: 0,
        fault: false,
        preemptions,
        faults,
        chosen: -1,
        done: [],
        todo: [],
        sleep,
        fps: new Map(),
      };
    }
    const n: Node = {
      kind: 'data',
      step: p.step,
      enabled: [],
      current: p.task,
      currentEnabled: true,
      unstarted: [],
      options: p.options,
      fault: p.fault,
      preemptions,
      faults,
      chosen: 0,
      done: [],
      todo: [],
      sleep: new Map(),
      fps: new Map(),
    };
    for (let v = 1; v < p.options; v++) if (this.fits(n, v)) n.todo.push(v);
    return n;
  }

  /** Whether choosing v at n stays within the bounds. */
  fits(n: Node, v: number): boolean {
    if (n.kind === 'data') return !n.fault || v === 0 || n.faults + 1 <= this.faultBudget;
    const cost = isPreemption(n, v) ? 1 : 0;
    return n.preemptions + cost <= this.bound;
  }

  // ---- backtracking ----

  private advance(): boolean {
    const nodes = this.nodes;
    while (nodes.length > this.frozen) {
      const top = nodes[nodes.length - 1] as Node;
      if (!top.done.includes(top.chosen)) top.done.push(top.chosen);
      let alt = -1;
      while (top.todo.length > 0) {
        const c = top.todo.shift() as number;
        if (top.done.includes(c) || top.sleep.has(c) || !this.fits(top, c)) continue;
        alt = c;
        break;
      }
      if (alt >= 0) {
        top.chosen = alt;
        return true;
      }
      nodes.pop();
    }
    return false;
  }

  // ---- race analysis ----

  private analyse(events: readonly Event[]): void {
    const n = events.length;
    if (n === 0) return;
    let maxPid = 0;
    for (const e of events) if (e.pid > maxPid) maxPid = e.pid;
    const width = maxPid + 1;
    const clocks: Int32Array[] = new Array(n);
    const threadClock = new Map<number, Int32Array>();
    const lastWrite = new Map<number, number>();
    const readsSince = new Map<number, Map<number, number>>();
    const lastExcl = new Map<number, number>();
    const sharedSince = new Map<number, number[]>();
    /** Join of the clocks of every release of each object, and of its exclusive holds' releases only. */
    const relClock = new Map<number, Int32Array>();
    const relClockExcl = new Map<number, Int32Array>();
    /** Tasks holding each object shared (their release orders exclusive acquisitions only). */
    const sharedHolders = new Map<number, Set<number>>();
    const conflicts: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = events[i] as Event;
      const pre = threadClock.get(e.pid) ?? new Int32Array(width);
      conflicts.length = 0;
      const acquired: number[] = [];
      const acquiredShared: number[] = [];
      for (const [o, m] of e.fp) {
        if (m & (MASK.READ | MASK.WRITE)) {
          const w = lastWrite.get(o);
          if (w !== undefined) conflicts.push(w);
          if (m & MASK.WRITE) {
            const rs = readsSince.get(o);
            if (rs) for (const r of rs.values()) conflicts.push(r);
          }
        }
        if (m & (MASK.ACQ | MASK.ACQSH)) {
          const x = lastExcl.get(o);
          if (x !== undefined) conflicts.push(x);
          if (m & MASK.ACQ) {
            const sh = sharedSince.get(o);
            if (sh) for (const s of sh) conflicts.push(s);
          }
          if (m & MASK.ACQ) acquired.push(o);
          else acquiredShared.push(o);
        }
      }
      // Races: conflicting earlier steps of other tasks not ordered before this task's clock, and
      // immediate (source-DPOR's e1 ⋖ e2): a conflict that happens before another conflict of this
      // step is ordered before it through that one, so reversing it is the other's business (many
      // steps of one task conflicting with one hold of its CPU race only through the last).
      for (let a = 0; a < conflicts.length; a++) {
        const c = conflicts[a] as number;
        const ce = events[c] as Event;
        if (ce.pid === e.pid) continue;
        const cc = clocks[c] as Int32Array;
        const cv = cc[ce.pid] as number;
        if (cv <= (pre[ce.pid] as number)) continue;
        let covered = false;
        for (let b = 0; b < conflicts.length && !covered; b++) {
          const d = conflicts[b] as number;
          if (d === c || (events[d] as Event).pid === e.pid) continue;
          if (((clocks[d] as Int32Array)[ce.pid] as number) >= cv && d > c) covered = true;
        }
        if (!covered) this.race(events, clocks, c, i, pre);
      }
      // Join the incoming edges.
      const clk = new Int32Array(pre);
      clk[e.pid] = (pre[e.pid] as number) + 1;
      for (const c of conflicts) join(clk, clocks[c] as Int32Array);
      for (const o of acquired) {
        const rc = relClock.get(o);
        if (rc) join(clk, rc);
      }
      // A shared acquisition is ordered after exclusive holds' releases, not after other readers'.
      for (const o of acquiredShared) {
        const rc = relClockExcl.get(o);
        if (rc) join(clk, rc);
      }
      clocks[i] = clk;
      threadClock.set(e.pid, clk);
      // Update the per-object state.
      for (const [o, m] of e.fp) {
        if (m & MASK.WRITE) {
          lastWrite.set(o, i);
          readsSince.delete(o);
        } else if (m & MASK.READ) {
          let rs = readsSince.get(o);
          if (!rs) readsSince.set(o, (rs = new Map()));
          rs.set(e.pid, i);
        }
        let holders = sharedHolders.get(o);
        if (m & MASK.REL) {
          // A release in the same step as a shared acquisition (a step on a CPU that also gives it
          // up) releases the exclusive hold taken earlier, not the shared one.
          const wasShared = holders?.has(e.pid) === true && !(m & MASK.ACQSH && !(m & MASK.ACQ));
          let rc = relClock.get(o);
          if (!rc) relClock.set(o, (rc = new Int32Array(width)));
          join(rc, clk);
          if (wasShared) holders?.delete(e.pid);
          else {
            let rx = relClockExcl.get(o);
            if (!rx) relClockExcl.set(o, (rx = new Int32Array(width)));
            join(rx, clk);
          }
        }
        if (m & MASK.ACQ) {
          lastExcl.set(o, i);
          sharedSince.delete(o);
        } else if (m & MASK.ACQSH) {
          let sh = sharedSince.get(o);
          if (!sh) sharedSince.set(o, (sh = []));
          sh.push(i);
          if (!holders) sharedHolders.set(o, (holders = new Set()));
          holders.add(e.pid);
        }
      }
    }
  }

  /** Source-set rule for the race events[c] < events[i]. */
  private race(
    events: readonly Event[],
    clocks: readonly Int32Array[],
    c: number,
    i: number,
    /** The clock of events[i]'s task before it (events[i]'s own clock is not computed yet). */
    pre: Int32Array,
  ): void {
    const ce = events[c] as Event;
    const cc = clocks[c] as Int32Array;
    const cp = ce.pid;
    const ccomp = cc[cp] as number;
    // v = notdep(c).e_i: steps after c not happening after c, then e_i. Initials = first steps with no hb predecessor in v.
    const v: number[] = [];
    for (let k = c + 1; k < i; k++) {
      const ek = events[k] as Event;
      if (ek.pid === cp) continue;
      if (((clocks[k] as Int32Array)[cp] as number) >= ccomp) continue;
      v.push(k);
    }
    v.push(i);
    const initials: number[] = [];
    const seen = new Set<number>();
    for (let a = 0; a < v.length; a++) {
      const k = v[a] as number;
      const pk = (events[k] as Event).pid;
      if (seen.has(pk)) continue;
      seen.add(pk);
      const kc = k === i ? pre : (clocks[k] as Int32Array);
      let hasPred = false;
      for (let b = 0; b < a && !hasPred; b++) {
        const m = v[b] as number;
        const pm = (events[m] as Event).pid;
        if (pm === pk) continue;
        if (((clocks[m] as Int32Array)[pm] as number) <= (kc[pm] as number)) hasPred = true;
      }
      if (!hasPred) initials.push(pk);
    }
    initials.sort((x, y) => x - y);
    const at = ce.node;
    if (at >= 0 && this.addAt(at, initials)) return;
    // Not reversible at its own point (over the bound, or the other task not enabled there):
    // conservatively add it at the latest earlier schedule point where it fits (BPOR-style).
    const start = at >= 0 ? at - 1 : this.nodeBefore(events, c);
    for (let d = start; d >= 0; d--) {
      const nd = this.nodes[d] as Node;
      if (nd.kind !== 'schedule') continue;
      if (this.addAt(d, initials)) return;
    }
  }

  /** Index of the last schedule node chosen before event c. */
  private nodeBefore(events: readonly Event[], c: number): number {
    for (let k = c - 1; k >= 0; k--) {
      const nd = (events[k] as Event).node;
      if (nd >= 0) return nd;
    }
    return -1;
  }

  /** Adds one of `initials` at node d unless one is already covered; returns whether it is covered now. */
  private addAt(d: number, initials: readonly number[]): boolean {
    const n = this.nodes[d] as Node;
    for (const q of initials)
      if (n.chosen === q || n.done.includes(q) || n.todo.includes(q) || n.sleep.has(q)) return true;
    for (const q of initials) {
      if (!n.enabled.includes(q) || !this.fits(n, q)) continue;
      if (d < this.frozen) this.proposals.push({ depth: d, pid: q });
      else n.todo.push(q);
      return true;
    }
    return false;
  }
}

function join(into: Int32Array, from: Int32Array): void {
  for (let k = 0; k < from.length; k++) if ((from[k] as number) > (into[k] as number)) into[k] = from[k] as number;
}

/** The strategy for one run of the DPOR tree. */
class DporRun implements Strategy {
  private readonly d: Dpor;
  private depth = 0;
  private preemptions = 0;
  private faults = 0;
  private sleep: Map<number, Footprint>;
  private stepNode = -1;
  readonly events: Event[] = [];
  stopped = false;
  /** A problem found at a data point, raised at the end of the step. */
  private pending: Error | null = null;

  constructor(d: Dpor) {
    this.d = d;
    this.sleep = new Map();
  }

  choose(p: ChoicePoint): number {
    if (this.pending) throw this.pending;
    const d = this.d;
    const depth = this.depth++;
    if (p.kind === 'schedule') this.stepNode = depth;
    let n = d.nodeAt(depth);
    const fresh = n === undefined;
    if (n === undefined) {
      n = d.newNode(p, this.preemptions, this.faults, p.kind === 'schedule' ? this.sleep : new Map());
      if (d.isFrozen(depth)) {
        // Replaying a subtree root's prefix: the node's alternatives belong to whoever split the work.
        n.chosen = d.prefixChoice(depth);
        n.todo.length = 0;
      } else if (p.kind === 'schedule') n.chosen = this.pick(p, n);
      d.push(n);
    } else if (
      n.kind !== p.kind ||
      (p.kind === 'schedule' ? !sameList(n.enabled, p.enabled) : n.options !== p.options)
    ) {
      return this.raise(p, new ChoiceMismatch(depth, 'the model took a different path when replaying a prefix'));
    }
    if (d.isFrozen(depth)) {
      if (depth === d.frozenCount - 1) this.sleep = d.initialSleep();
    } else if (n.kind === 'schedule') {
      if (fresh) this.sleep = new Map(this.sleep);
      else {
        const s = new Map(n.sleep);
        for (const q of n.done) if (q !== n.chosen) s.set(q, n.fps.get(q) ?? new Map());
        this.sleep = s;
      }
    }
    const v = n.chosen;
    if (p.kind === 'schedule') {
      if (isPreemption(p, v)) this.preemptions++;
      this.sleep.delete(v);
    } else if (p.fault && v !== 0) this.faults++;
    return v;
  }

  private pick(p: ChoicePoint & { kind: 'schedule' }, n: Node): number {
    const awake = (q: number): boolean => !this.sleep.has(q);
    if (p.currentEnabled && awake(p.current)) return p.current;
    for (const q of p.enabled) {
      if (!awake(q)) continue;
      if (this.d.fits(n, q)) return q;
    }
    this.stopped = true;
    throw new StopRun('every continuation is asleep or over the preemption bound');
  }

  private raise(p: ChoicePoint, err: Error): number {
    if (p.kind === 'data') {
      this.pending = err;
      return 0;
    }
    throw err;
  }

  stepped(s: StepRecord): void {
    if (this.pending) throw this.pending;
    const fp = footprintOf(s.accesses);
    const nodeIdx = this.stepNode;
    this.stepNode = -1;
    this.events.push({ pid: s.pid, fp, node: nodeIdx });
    if (nodeIdx >= 0) {
      const n = this.d.nodeAt(nodeIdx) as Node;
      let u = n.fps.get(s.pid);
      if (!u) n.fps.set(s.pid, (u = new Map()));
      mergeFootprint(u, fp);
    } else if (this.sleep.has(s.pid)) {
      // A forced step of a sleeping task: everything from here was explored already.
      this.stopped = true;
      throw new StopRun('forced step of a sleeping task');
    }
    for (const [q, qfp] of this.sleep) {
      if (footprintsConflict(qfp, fp)) this.sleep.delete(q);
      else if (s.cpu !== undefined && ((qfp.get(s.cpu) ?? 0) & MASK.ACQ) !== 0) this.sleep.delete(q);
    }
  }

  /** Tasks left waiting for a lock: their pending acquisitions race with the holders' (deadlocks). */
  ended(waiting: readonly StepRecord[]): void {
    for (const w of waiting) this.events.push({ pid: w.pid, fp: footprintOf(w.accesses), node: -1 });
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
