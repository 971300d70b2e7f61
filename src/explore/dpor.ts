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
 * earlier point where it fits the bound. Such a branch's sleeping siblings may cover
 * its runs only in orders over the bound, so a sibling that would block one of its
 * runs (sleep-set blocking) wakes and runs instead (DporRun.uncovered). This is a heuristic, not the BPOR
 * proof: with a bound, "complete" means "the bounded search finished", and
 * traces that need more than P preemptions in every linearisation are not
 * explored. A CPU held non-preemptibly is a lock on its run state (sim/machine.ts);
 * a hold never released before the run ended races with every earlier step on its
 * CPU (analyse); see docs/fidelity/explore.md.
 */
import {
  type ChoicePoint,
  type HeldCpu,
  type RunResult,
  type StepRecord,
  type Strategy,
  isPreemption,
} from '../sim/index.js';
import { ChoiceMismatch, MASK, StopRun, masksConflict } from './common.js';
import type { SearchStrategy } from './search.js';

export interface DporOptions {
  /** Preemption bound per run; -1 or Infinity for none. */
  readonly preemptions: number;
  /** Fault budget per run (non-zero answers at fault points). */
  readonly faults: number;
  /** Explore only this subtree (parallel exploration). */
  readonly root?: DporRoot;
  /** The tree may be split (takeRoots): keep what a split needs (parallel exploration). */
  readonly splitting?: boolean;
}

/**
 * A footprint as plain data: object id, access mask, object id, access mask, ... (one flat array,
 * each object once, in the order of its first access: a split tree keeps thousands of them, and
 * pairs cost an array each). DPOR's nodes and sleep sets keep footprints in this form too: a
 * step's footprint has a handful of objects, which a scan finds faster than a Map's hash, and a
 * node costs no Map per explored task.
 */
export type FootprintData = readonly number[];

/** A footprint of nothing (shared: never changed). */
const NO_FOOTPRINT: FootprintData = [];

/**
 * A subtree for parallel exploration: a node of the tree (reached by `prefix`) with the
 * alternatives still to explore there, in order, and what sequential DPOR would know at that point:
 * the alternatives already explored from the node (with the footprint of the step each took, so
 * that they sleep as in sequential DPOR) and the sleep set on reaching the node.
 */
export interface DporRoot {
  /** The choices before the node. */
  readonly prefix: readonly number[];
  /** Alternatives to explore at the node, in order. */
  readonly todo: readonly number[];
  /** Alternatives explored (or being explored) from the node, with their step's footprint. */
  readonly done: readonly (readonly [number, FootprintData])[];
  /** Sleep set on reaching the node, pid -> footprint. */
  readonly sleep: readonly (readonly [number, FootprintData])[];
}

/**
 * What a split or finished subtree tells the coordinator about a node (SplitTree): the node at
 * `depth` on the task's path (TaskNodes.path), so that the path is sent once, not once per node.
 */
export interface NodeDesc {
  readonly depth: number;
  readonly kind: 'schedule' | 'data';
  readonly enabled: readonly number[];
  readonly current: number;
  readonly currentEnabled: boolean;
  readonly unstarted: readonly number[];
  readonly options: number;
  readonly fault: boolean;
  readonly preemptions: number;
  readonly faults: number;
  readonly done: readonly (readonly [number, FootprintData])[];
  /** Alternatives handed to subtree tasks. */
  readonly given: readonly number[];
  readonly sleep: readonly (readonly [number, FootprintData])[];
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
  readonly sleep: Map<number, FootprintData>;
  /** Data nodes: the sleep set on reaching the node (kept for splitting the tree only). */
  readonly arrive: Map<number, FootprintData> | null;
  /**
   * Footprint (union over all runs) of the step each explored pid took from here, by pid (schedule
   * nodes; a data node's is never written).
   */
  readonly fps: (number[] | undefined)[];
  /** Alternatives re-added conservatively (a reversal over the bound at its own point). */
  wide: Set<number> | null;
}

/**
 * The steps of one run as DPOR sees them, in flat arrays reused from run to run (no allocation per
 * step): step k is task pid[k]'s, chosen at schedule node node[k] (-1: forced), on the CPU whose
 * run-state object id is cpu[k] (-1: unknown), and its footprint is the (object id, access mask)
 * pairs obj[j], mask[j] for start[k] <= j < start[k + 1], each object once, in the order of its
 * first access in the step (the order a Map built from the access codes iterates in).
 */
class EventLog {
  count = 0;
  pid: number[] = [];
  node: number[] = [];
  cpu: number[] = [];
  /** start[k]..start[k + 1]: step k's pairs (start[count] is the end of the last one). */
  start: number[] = [0];
  obj: number[] = [];
  mask: number[] = [];
  /** Per object id: the add() call that last saw it, and where its pair is. */
  private seen = new Int32Array(1024);
  private pos = new Int32Array(1024);
  private stamp = 0;

  /**
   * Steps before this index are still the previous run's: a run that replays them re-logs nothing
   * (DporRun.stepped). Set by reset().
   */
  kept = 0;
  /** The previous run's steps (without the waiting records ended() appends). */
  steps = 0;

  /** Starts a run's log; its first `keep` steps are the previous run's (keep <= its steps). */
  reset(keep: number): void {
    this.kept = Math.min(keep, this.steps);
    this.count = 0;
    this.steps = 0;
  }

  /** Appends a step with these access codes; returns its index. */
  add(pid: number, node: number, cpu: number, accesses: readonly number[]): number {
    const k = this.count++;
    this.pid[k] = pid;
    this.node[k] = node;
    this.cpu[k] = cpu;
    let len = this.start[k] as number;
    if (++this.stamp === 0x7fffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
    const stamp = this.stamp;
    const objs = this.obj;
    const masks = this.mask;
    for (let i = 0; i < accesses.length; i++) {
      const a = accesses[i] as number;
      const o = Math.floor(a / 8);
      if (o >= this.seen.length) this.grow(o);
      if (this.seen[o] === stamp) {
        const p = this.pos[o] as number;
        masks[p] = (masks[p] as number) | (1 << (a & 7));
      } else {
        this.seen[o] = stamp;
        this.pos[o] = len;
        objs[len] = o;
        masks[len] = 1 << (a & 7);
        len++;
      }
    }
    this.start[k + 1] = len;
    return k;
  }

  /** Step k's footprint as a new FootprintData. */
  pairsOf(k: number): number[] {
    const out: number[] = [];
    const end = this.start[k + 1] as number;
    for (let j = this.start[k] as number; j < end; j++) out.push(this.obj[j] as number, this.mask[j] as number);
    return out;
  }

  /** The access mask of object o in step k (0: none). */
  maskOf(k: number, o: number): number {
    const end = this.start[k + 1] as number;
    for (let j = this.start[k] as number; j < end; j++) if (this.obj[j] === o) return this.mask[j] as number;
    return 0;
  }

  /**
   * Whether the last step added conflicts with a footprint (a sleeping task's), or, when it ran on
   * the CPU whose run-state id is cpu (>= 0), the footprint acquires that CPU exclusively.
   */
  lastConflicts(fp: FootprintData, cpu: number): boolean {
    const seen = this.seen;
    const stamp = this.stamp;
    for (let i = 0; i < fp.length; i += 2) {
      const o = fp[i] as number;
      const m = fp[i + 1] as number;
      if (o === cpu && (m & MASK.ACQ) !== 0) return true;
      if (
        o >= 0 &&
        o < seen.length &&
        seen[o] === stamp &&
        masksConflict(this.mask[this.pos[o] as number] as number, m)
      )
        return true;
    }
    return false;
  }

  /**
   * Merges the last step added (step k) into fp: ORs the masks of its objects already there, and
   * appends the others in the step's order.
   */
  mergeLastInto(k: number, fp: number[]): void {
    const seen = this.seen;
    const stamp = this.stamp;
    const len = fp.length;
    let found = 0;
    for (let i = 0; i < len; i += 2) {
      const o = fp[i] as number;
      if (o >= 0 && o < seen.length && seen[o] === stamp) {
        fp[i + 1] = (fp[i + 1] as number) | (this.mask[this.pos[o] as number] as number);
        found++;
      }
    }
    const start = this.start[k] as number;
    const end = this.start[k + 1] as number;
    // Replays take the same steps again: usually every object is there already.
    if (found === end - start) return;
    for (let j = start; j < end; j++) {
      const o = this.obj[j] as number;
      let i = 0;
      while (i < len && fp[i] !== o) i += 2;
      if (i === len) fp.push(o, this.mask[j] as number);
    }
  }

  private grow(o: number): void {
    let n = this.seen.length;
    while (n <= o) n *= 2;
    const s = new Int32Array(n);
    s.set(this.seen);
    const p = new Int32Array(n);
    p.set(this.pos);
    this.seen = s;
    this.pos = p;
  }
}

/** Per-object state of the race analysis, reused across analyses (valid while epoch matches). */
class ObjState {
  epoch = 0;
  /** Last write (-1: none). */
  lastWrite = -1;
  /**
   * Reads since the last write: pid, step pairs, one per pid, in the order the pids first read
   * (reads[0..nReads)). The arrays below keep their storage: their lengths are the counts.
   */
  readonly reads: number[] = [];
  nReads = 0;
  /** Last exclusive acquisition (-1: none). */
  lastExcl = -1;
  /** Shared acquisitions since the last exclusive one (shared[0..nShared)). */
  readonly shared: number[] = [];
  nShared = 0;
  /**
   * Join of the clocks of every release, and of the exclusive holds' releases only (null: no
   * release yet). The arrays are kept in relBuf/relExclBuf for the next analysis.
   */
  rel: Int32Array | null = null;
  relExcl: Int32Array | null = null;
  relBuf: Int32Array | null = null;
  relExclBuf: Int32Array | null = null;
  /** Tasks holding the object shared (their release orders exclusive acquisitions only): holders[0..nHolders). */
  readonly holders: number[] = [];
  nHolders = 0;
}

/**
 * A race whose reversal belongs at a node above a subtree's root (parallel exploration): the
 * initials of the reversal, to be added at that node unless one is covered there (Dpor.addAt).
 */
export interface Proposal {
  readonly depth: number;
  readonly initials: readonly number[];
}

export class Dpor implements SearchStrategy {
  readonly name = 'dpor';
  readonly exhaustive = true;
  readonly bound: number;
  readonly faultBudget: number;
  private readonly nodes: Node[] = [];
  private readonly frozen: number;
  private readonly root: DporRoot | undefined;
  private readonly rootPrefix: readonly number[];
  /** The root node as it was when its subtree was finished (parallel exploration). */
  finishedRoot: TaskNodes | null = null;
  private started = false;
  private finished = false;
  readonly splitting: boolean;
  /** Races that want a choice above the root (only with a root). */
  readonly proposals: Proposal[] = [];
  /** Runs abandoned because every continuation was asleep or over the bound. */
  blocked = 0;
  private run: DporRun | null = null;
  /**
   * Steps before this index are those of the previous run (the next run replays its path up to
   * the node where it branches): their races were placed when that run was analysed, and placing
   * them again changes nothing (addAt finds them covered, or still not placeable), so only the
   * clocks are computed for them.
   */
  private analysedBelow = 0;

  constructor(opts: DporOptions) {
    this.bound = opts.preemptions < 0 ? Number.POSITIVE_INFINITY : opts.preemptions;
    this.faultBudget = opts.faults;
    this.root = opts.root;
    this.splitting = opts.splitting ?? opts.root !== undefined;
    this.rootPrefix = opts.root?.prefix ?? [];
    this.frozen = this.rootPrefix.length;
  }

  next(): Strategy | null {
    if (this.finished) return null;
    if (this.started && !this.advance()) {
      this.finished = true;
      return null;
    }
    this.started = true;
    // The next run replays the path down to its last node: the steps before that node's step are
    // the previous run's, already logged (and their clocks kept: analyse).
    this.log.reset(this.analysedBelow);
    this.run = new DporRun(this);
    return this.run;
  }

  done(_result: RunResult | null): void {
    const r = this.run;
    if (!r) return;
    if (r.stopped) this.blocked++;
    this.analyse(this.log, r.held);
    this.run = null;
  }

  /**
   * Splits the rest of the work (after a run, before the next): every node on the current path with
   * alternatives left becomes one subtree root (shallowest first) holding them all, in order, so
   * that they are explored one after the other with sequential DPOR's sleep sets. Returns the roots
   * and a description of every node of the path (from this instance's root down), for the
   * coordinator to place races reported against them later (SplitTree). Afterwards this instance
   * has nothing left to explore.
   */
  takeRoots(): { roots: DporRoot[]; nodes: TaskNodes } {
    const roots: DporRoot[] = [];
    const descs: NodeDesc[] = [];
    for (let d = this.frozen; d < this.nodes.length; d++) {
      const n = this.nodes[d] as Node;
      const todo: number[] = [];
      for (const alt of n.todo) {
        if (todo.includes(alt) || n.done.includes(alt) || n.chosen === alt) continue;
        if (n.kind === 'schedule' && n.sleep.has(alt)) continue;
        if (!this.fits(n, alt)) continue;
        todo.push(alt);
      }
      n.todo.length = 0;
      if (!n.done.includes(n.chosen)) n.done.push(n.chosen);
      const desc = this.describe(d, todo);
      descs.push(desc);
      if (todo.length > 0) roots.push({ prefix: this.pathTo(d), todo, done: desc.done, sleep: desc.sleep });
    }
    this.finished = true;
    // Only nodes down to the deepest root can be a proposal's target (a race is placed above the
    // root of the task that found it, and every task's root is a split's root or above one): the
    // nodes below it are not sent (the task's own root is, for what was explored there).
    const deepest = roots.length > 0 ? (roots[roots.length - 1] as DporRoot).prefix.length : this.frozen;
    descs.length = deepest - this.frozen + 1;
    return { roots, nodes: { path: this.pathTo(deepest), descs } };
  }

  /** The choices before depth d on the current path. */
  private pathTo(d: number): number[] {
    const prefix: number[] = [];
    for (let k = 0; k < d; k++) prefix.push((this.nodes[k] as Node).chosen);
    return prefix;
  }

  private describe(d: number, given: readonly number[]): NodeDesc {
    const n = this.nodes[d] as Node;
    const done: [number, FootprintData][] = n.done.map((q) => [q, [...(n.fps[q] ?? NO_FOOTPRINT)]]);
    const sl = n.kind === 'schedule' ? n.sleep : (n.arrive ?? new Map<number, FootprintData>());
    const sleep: [number, FootprintData][] = [...sl].map(([q, fp]) => [q, [...fp]]);
    return {
      depth: d,
      kind: n.kind,
      enabled: n.enabled,
      current: n.current,
      currentEnabled: n.currentEnabled,
      unstarted: n.unstarted,
      options: n.options,
      fault: n.fault,
      preemptions: n.preemptions,
      faults: n.faults,
      done,
      given: [...given],
      sleep,
    };
  }

  // ---- used by DporRun ----

  /**
   * The run did not replay the previous run's steps (a model that is not deterministic: the
   * exploration reports it): nothing of the previous run's log or clocks is kept.
   */
  replayDiverged(): void {
    this.log.kept = 0;
    this.clocked = 0;
  }

  /** The depth of the deepest schedule node of the current path (-1: none). */
  lastScheduleNode(): number {
    for (let d = this.nodes.length - 1; d >= 0; d--) if ((this.nodes[d] as Node).kind === 'schedule') return d;
    return -1;
  }

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

  /** The subtree root's node, when depth is its depth. */
  rootAt(depth: number): DporRoot | undefined {
    return depth === this.frozen ? this.root : undefined;
  }

  /** Makes a fresh node the subtree root: its alternatives, explored siblings and sleep set. */
  initRoot(n: Node, r: DporRoot): void {
    n.sleep.clear();
    if (n.kind === 'schedule') for (const [q, fp] of r.sleep) n.sleep.set(q, fp);
    for (const [q, fp] of r.done) {
      n.done.push(q);
      if (n.kind === 'schedule') n.fps[q] = [...fp];
    }
    n.todo.length = 0;
    n.todo.push(...r.todo);
    let alt = -1;
    while (n.todo.length > 0) {
      const c = n.todo.shift() as number;
      if (n.done.includes(c) || (n.kind === 'schedule' && n.sleep.has(c)) || !this.fits(n, c)) continue;
      alt = c;
      break;
    }
    if (alt < 0) throw new Error('dpor: a subtree root with nothing to explore');
    n.chosen = alt;
  }

  push(n: Node): void {
    this.nodes.push(n);
  }

  newNode(
    p: ChoicePoint,
    preemptions: number,
    faults: number,
    sleep: Map<number, FootprintData>,
    arrive: Map<number, FootprintData> | null = null,
  ): Node {
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
        arrive: null,
        fps: [],
        wide: null,
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
      sleep: EMPTY_SLEEP,
      arrive,
      fps: NO_FPS,
      wide: null,
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
        this.analysedBelow = top.step;
        return true;
      }
      if (nodes.length - 1 === this.frozen && this.root)
        this.finishedRoot = { path: [...this.rootPrefix], descs: [this.describe(this.frozen, [])] };
      nodes.pop();
    }
    return false;
  }

  // ---- race analysis ----

  /** The steps of the current run (reused from run to run). */
  readonly log = new EventLog();
  /** Scratch state of analyse(), kept between runs so that an analysis allocates (almost) nothing. */
  private objs: (ObjState | undefined)[] = [];
  private epoch = 0;
  private clockBuf = new Int32Array(0);
  private pre = new Int32Array(0);
  private lastOf = new Int32Array(0);
  private pidSeen = new Int32Array(0);
  private pidStamp = 0;
  private readonly conflicts: number[] = [];
  private readonly acquired: number[] = [];
  private readonly acquiredShared: number[] = [];
  private readonly v: number[] = [];
  /**
   * clockBuf holds the clock of step k at k * width .. (k + 1) * width. The width only grows (a
   * wider clock's extra entries stay 0 and change no comparison), so that the clocks of the steps a
   * run replays stay where the previous analysis left them.
   */
  private width = 0;
  /** Steps of the last analysed run whose clocks are in clockBuf (for the width in this.width). */
  private clocked = 0;

  private stateOf(o: number): ObjState {
    let st = this.objs[o];
    if (st === undefined) this.objs[o] = st = new ObjState();
    if (st.epoch !== this.epoch) {
      st.epoch = this.epoch;
      st.lastWrite = -1;
      st.nReads = 0;
      st.lastExcl = -1;
      st.nShared = 0;
      st.rel = null;
      st.relExcl = null;
      st.nHolders = 0;
    }
    return st;
  }

  private analyse(log: EventLog, held: readonly HeldCpu[] = []): void {
    const n = log.count;
    const replayed = this.analysedBelow;
    if (n === 0) {
      this.clocked = 0;
      return;
    }
    const pids = log.pid;
    const starts = log.start;
    const objs = log.obj;
    const masks = log.mask;
    // Holds never released (the run ended with a task spinning or self-deadlocked with preemption
    // off): the step that began each one races with every earlier step of another task on its CPU
    // that it is not ordered after, since begun first it would have kept that step off the CPU for
    // ever. A hold that is released does not need this: a step independent of the whole
    // non-preemptible section commutes with it, and one it delayed records the shared acquisition.
    let unreleased: Map<number, number> | null = null;
    for (const h of held)
      for (let k = n - 1; k >= 0; k--) {
        if (pids[k] === h.pid && (log.maskOf(k, h.cpu) & MASK.ACQ) !== 0) {
          if (!unreleased) unreleased = new Map();
          unreleased.set(k, h.cpu);
          break;
        }
      }
    let maxPid = 0;
    for (let k = 0; k < n; k++) if ((pids[k] as number) > maxPid) maxPid = pids[k] as number;
    // The steps before `replayed` are the previous run's, and so are their clocks (a step's clock
    // depends only on the steps up to it): they are kept, unless the clocks must widen.
    let reuse = Math.min(replayed, log.kept, this.clocked);
    if (maxPid + 1 > this.width) {
      this.width = maxPid + 1;
      reuse = 0;
    }
    const width = this.width;
    if (this.clockBuf.length < n * width) {
      const grown = new Int32Array(Math.max(n * width, 2 * this.clockBuf.length));
      grown.set(this.clockBuf.subarray(0, reuse * width));
      this.clockBuf = grown;
    }
    this.clocked = n;
    if (this.pre.length < width) {
      this.pre = new Int32Array(width);
      this.lastOf = new Int32Array(width);
      this.pidSeen = new Int32Array(width);
    }
    const clocks = this.clockBuf;
    const pre = this.pre;
    const lastOf = this.lastOf;
    lastOf.fill(-1, 0, width);
    if (++this.epoch === 0x7fffffff) {
      this.epoch = 1;
      for (const st of this.objs) if (st) st.epoch = 0;
    }
    const conflicts = this.conflicts;
    const acquired = this.acquired;
    const acquiredShared = this.acquiredShared;
    for (let i = 0; i < reuse; i++) {
      // A replayed step: its clock is kept and its races were placed; only the per-object state
      // is rebuilt (and the races of a hold that began here and was never released, which are this run's).
      const pid = pids[i] as number;
      const heldCpu = unreleased?.get(i);
      if (heldCpu !== undefined) {
        const last = lastOf[pid] as number;
        if (last < 0) pre.fill(0, 0, width);
        else for (let x = 0, from = last * width; x < width; x++) pre[x] = clocks[from + x] as number;
        for (let k = 0; k < i; k++) {
          const kp = pids[k] as number;
          if (kp === pid || log.cpu[k] !== heldCpu) continue;
          if ((clocks[k * width + kp] as number) <= (pre[kp] as number)) continue;
          this.race(log, k, i);
        }
      }
      lastOf[pid] = i;
      this.updateObjects(log, i, pid, clocks, width);
    }
    for (let i = reuse; i < n; i++) {
      const pid = pids[i] as number;
      const last = lastOf[pid] as number;
      if (last < 0) pre.fill(0, 0, width);
      else for (let x = 0, from = last * width; x < width; x++) pre[x] = clocks[from + x] as number;
      let nc = 0;
      let na = 0;
      let ns = 0;
      const fpEnd = starts[i + 1] as number;
      for (let j = starts[i] as number; j < fpEnd; j++) {
        const m = masks[j] as number;
        const st = this.stateOf(objs[j] as number);
        if (m & (MASK.READ | MASK.WRITE)) {
          if (st.lastWrite >= 0) conflicts[nc++] = st.lastWrite;
          if (m & MASK.WRITE) {
            const rs = st.reads;
            for (let r = 1; r < st.nReads; r += 2) conflicts[nc++] = rs[r] as number;
          }
        }
        if (m & (MASK.ACQ | MASK.ACQSH)) {
          if (st.lastExcl >= 0) conflicts[nc++] = st.lastExcl;
          if (m & MASK.ACQ) {
            const sh = st.shared;
            for (let r = 0; r < st.nShared; r++) conflicts[nc++] = sh[r] as number;
          }
          if (m & MASK.ACQ) acquired[na++] = objs[j] as number;
          else acquiredShared[ns++] = objs[j] as number;
        }
      }
      // Races: conflicting earlier steps of other tasks not ordered before this task's clock, and
      // immediate (source-DPOR's e1 ⋖ e2): a conflict that happens before another conflict of this
      // step is ordered before it through that one, so reversing it is the other's business (many
      // steps of one task conflicting with one hold of its CPU race only through the last).
      for (let a = i < replayed ? nc : 0; a < nc; a++) {
        const c = conflicts[a] as number;
        const cpid = pids[c] as number;
        if (cpid === pid) continue;
        const cv = clocks[c * width + cpid] as number;
        if (cv <= (pre[cpid] as number)) continue;
        let covered = false;
        for (let b = 0; b < nc && !covered; b++) {
          const d = conflicts[b] as number;
          if (d === c || pids[d] === pid) continue;
          if ((clocks[d * width + cpid] as number) >= cv && d > c) covered = true;
        }
        if (!covered) this.race(log, c, i);
      }
      const heldCpu = unreleased?.get(i);
      if (heldCpu !== undefined)
        for (let k = 0; k < i; k++) {
          const kp = pids[k] as number;
          if (kp === pid || log.cpu[k] !== heldCpu) continue;
          if ((clocks[k * width + kp] as number) <= (pre[kp] as number)) continue;
          this.race(log, k, i);
        }
      // Join the incoming edges.
      const base = i * width;
      for (let x = 0; x < width; x++) clocks[base + x] = pre[x] as number;
      clocks[base + pid] = (pre[pid] as number) + 1;
      for (let a = 0; a < nc; a++) joinAt(clocks, base, (conflicts[a] as number) * width, width);
      for (let a = 0; a < na; a++) {
        const rc = (this.objs[acquired[a] as number] as ObjState).rel;
        if (rc) joinFrom(clocks, base, rc, width);
      }
      // A shared acquisition is ordered after exclusive holds' releases, not after other readers'.
      for (let a = 0; a < ns; a++) {
        const rc = (this.objs[acquiredShared[a] as number] as ObjState).relExcl;
        if (rc) joinFrom(clocks, base, rc, width);
      }
      lastOf[pid] = i;
      this.updateObjects(log, i, pid, clocks, width);
    }
  }

  /** Step i's effect on the per-object state (its clock is clocks[i * width ..)). */
  private updateObjects(log: EventLog, i: number, pid: number, clocks: Int32Array, width: number): void {
    const objs = log.obj;
    const masks = log.mask;
    const base = i * width;
    const fpEnd = log.start[i + 1] as number;
    for (let j = log.start[i] as number; j < fpEnd; j++) {
      const m = masks[j] as number;
      const st = this.stateOf(objs[j] as number);
      if (m & MASK.WRITE) {
        st.lastWrite = i;
        st.nReads = 0;
      } else if (m & MASK.READ) {
        const rs = st.reads;
        let r = 0;
        while (r < st.nReads && rs[r] !== pid) r += 2;
        if (r < st.nReads) rs[r + 1] = i;
        else {
          rs[r] = pid;
          rs[r + 1] = i;
          st.nReads = r + 2;
        }
      }
      const holders = st.holders;
      if (m & MASK.REL) {
        // A release in the same step as a shared acquisition (a step on a CPU that also gives it
        // up) releases the exclusive hold taken earlier, not the shared one.
        let h = 0;
        while (h < st.nHolders && holders[h] !== pid) h++;
        if (h === st.nHolders) h = -1;
        const wasShared = h >= 0 && !(m & MASK.ACQSH && !(m & MASK.ACQ));
        if (!st.rel) st.rel = st.relBuf = zeroed(st.relBuf, width);
        joinInto(st.rel, clocks, base, width);
        if (wasShared) {
          for (let x = h + 1; x < st.nHolders; x++) holders[x - 1] = holders[x] as number;
          st.nHolders--;
        } else {
          if (!st.relExcl) st.relExcl = st.relExclBuf = zeroed(st.relExclBuf, width);
          joinInto(st.relExcl, clocks, base, width);
        }
      }
      if (m & MASK.ACQ) {
        st.lastExcl = i;
        st.nShared = 0;
      } else if (m & MASK.ACQSH) {
        st.shared[st.nShared++] = i;
        let h = 0;
        while (h < st.nHolders && holders[h] !== pid) h++;
        if (h === st.nHolders) holders[st.nHolders++] = pid;
      }
    }
  }

  /**
   * Source-set rule for the race of step c before step i (analyse: step i's clock is not computed
   * yet; this.pre is the clock of its task before it).
   */
  private race(log: EventLog, c: number, i: number): void {
    const pids = log.pid;
    const clocks = this.clockBuf;
    const width = this.width;
    const pre = this.pre;
    const cp = pids[c] as number;
    const ccomp = clocks[c * width + cp] as number;
    // v = notdep(c).e_i: steps after c not happening after c, then e_i. Initials = first steps with no hb predecessor in v.
    const v = this.v;
    let nv = 0;
    for (let k = c + 1; k < i; k++) {
      if (pids[k] === cp) continue;
      if ((clocks[k * width + cp] as number) >= ccomp) continue;
      v[nv++] = k;
    }
    v[nv++] = i;
    const initials: number[] = [];
    if (++this.pidStamp === 0x7fffffff) {
      this.pidSeen.fill(0);
      this.pidStamp = 1;
    }
    const stamp = this.pidStamp;
    const seen = this.pidSeen;
    for (let a = 0; a < nv; a++) {
      const k = v[a] as number;
      const pk = pids[k] as number;
      if (seen[pk] === stamp) continue;
      seen[pk] = stamp;
      let hasPred = false;
      for (let b = 0; b < a && !hasPred; b++) {
        const m = v[b] as number;
        const pm = pids[m] as number;
        if (pm === pk) continue;
        const kv = k === i ? (pre[pm] as number) : (clocks[k * width + pm] as number);
        if ((clocks[m * width + pm] as number) <= kv) hasPred = true;
      }
      if (!hasPred) initials.push(pk);
    }
    initials.sort((x, y) => x - y);
    const at = log.node[c] as number;
    if (at >= 0 && this.addAt(at, initials)) return;
    // Not reversible at its own point (over the bound, or the other task not enabled there):
    // conservatively add it at the latest earlier schedule point where it fits (BPOR-style).
    const start = at >= 0 ? at - 1 : this.nodeBefore(log, c);
    for (let d = start; d >= 0; d--) {
      const nd = this.nodes[d] as Node;
      if (nd.kind !== 'schedule') continue;
      if (this.addAt(d, initials, true)) return;
    }
  }

  /** Index of the last schedule node chosen before step c. */
  private nodeBefore(log: EventLog, c: number): number {
    for (let k = c - 1; k >= 0; k--) {
      const nd = log.node[k] as number;
      if (nd >= 0) return nd;
    }
    return -1;
  }

  /** Adds one of `initials` at node d unless one is already covered; returns whether it is covered now. */
  private addAt(d: number, initials: readonly number[], conservative = false): boolean {
    const n = this.nodes[d] as Node;
    for (const q of initials)
      if (n.chosen === q || n.done.includes(q) || n.todo.includes(q) || n.sleep.has(q)) return true;
    for (const q of initials) {
      if (!n.enabled.includes(q) || !this.fits(n, q)) continue;
      // Above the subtree root, whoever owns that node decides (SplitTree.claim).
      if (d < this.frozen) this.proposals.push({ depth: d, initials: [...initials] });
      else {
        n.todo.push(q);
        if (conservative) (n.wide ??= new Set()).add(q);
      }
      return true;
    }
    return false;
  }
}

/** A zeroed clock of `width` entries (buf when it is large enough). */
function zeroed(buf: Int32Array | null, width: number): Int32Array {
  if (buf === null || buf.length !== width) return new Int32Array(width);
  buf.fill(0);
  return buf;
}

/** clocks[base..base+width) = max(itself, clocks[from..from+width)). */
function joinAt(clocks: Int32Array, base: number, from: number, width: number): void {
  for (let k = 0; k < width; k++) {
    const f = clocks[from + k] as number;
    if (f > (clocks[base + k] as number)) clocks[base + k] = f;
  }
}

/** clocks[base..base+width) = max(itself, from). */
function joinFrom(clocks: Int32Array, base: number, from: Int32Array, width: number): void {
  for (let k = 0; k < width; k++) {
    const f = from[k] as number;
    if (f > (clocks[base + k] as number)) clocks[base + k] = f;
  }
}

/** into = max(into, clocks[base..base+width)). */
function joinInto(into: Int32Array, clocks: Int32Array, base: number, width: number): void {
  for (let k = 0; k < width; k++) {
    const f = clocks[base + k] as number;
    if (f > (into[k] as number)) into[k] = f;
  }
}

/**
 * A sleep set entry's footprint has this key (never an object id) when a conservatively re-added
 * branch sleeps on it: it wakes instead of blocking the run (DporRun.uncovered).
 */
const UNCOVERED = -1;

function uncoveredCopy(fp: FootprintData | undefined): FootprintData {
  return [...(fp ?? NO_FOOTPRINT), UNCOVERED, 0];
}

/** Whether a sleep set entry's footprint has the UNCOVERED key. */
function hasUncovered(fp: FootprintData): boolean {
  for (let i = 0; i < fp.length; i += 2) if (fp[i] === UNCOVERED) return true;
  return false;
}

/** The sleep set of a node reached with none (shared, never changed: a node's sleep set is read only). */
const EMPTY_SLEEP: Map<number, FootprintData> = new Map();

/** A data node's footprints by pid (shared, never written: only schedule nodes' steps are recorded). */
const NO_FPS: (number[] | undefined)[] = [];

/** The strategy for one run of the DPOR tree. */
class DporRun implements Strategy {
  private readonly d: Dpor;
  private depth = 0;
  private preemptions = 0;
  private faults = 0;
  private sleep: Map<number, FootprintData>;
  /** this.sleep is also a node's (copy it before changing it). */
  private sleepShared = false;
  private stepNode = -1;
  stopped = false;
  /** A problem found at a data point, raised at the end of the step. */
  private pending: Error | null = null;

  /** The depth of the last schedule node on the path this run replays (-1: none). */
  private readonly lastSchedule: number;

  constructor(d: Dpor) {
    this.d = d;
    this.sleep = new Map();
    this.lastSchedule = d.lastScheduleNode();
  }

  choose(p: ChoicePoint): number {
    if (this.pending) throw this.pending;
    const d = this.d;
    const depth = this.depth++;
    if (p.kind === 'schedule') this.stepNode = depth;
    let n = d.nodeAt(depth);
    const fresh = n === undefined;
    const root = d.rootAt(depth);
    if (n === undefined) {
      n = root
        ? d.newNode(p, this.preemptions, this.faults, new Map(), p.kind === 'data' ? new Map() : null)
        : p.kind === 'schedule'
          ? d.newNode(p, this.preemptions, this.faults, this.sleep.size === 0 ? EMPTY_SLEEP : this.sleep)
          : d.newNode(p, this.preemptions, this.faults, EMPTY_SLEEP, d.splitting ? this.shareSleep() : null);
      if (d.isFrozen(depth)) {
        // Replaying a subtree root's prefix: the node's alternatives belong to whoever split the work.
        n.chosen = d.prefixChoice(depth);
        n.todo.length = 0;
      } else if (root) d.initRoot(n, root);
      else if (p.kind === 'schedule') n.chosen = this.pick(p, n);
      d.push(n);
    } else if (
      n.kind !== p.kind ||
      (p.kind === 'schedule' ? !sameList(n.enabled, p.enabled) : n.options !== p.options)
    ) {
      return this.raise(p, new ChoiceMismatch(depth, 'the model took a different path when replaying a prefix'));
    }
    if (d.isFrozen(depth)) {
      // The sleep set along the prefix is the root's business (rootAt).
    } else if (root && n.kind === 'data') {
      this.sleep = new Map(root.sleep);
      this.sleepShared = false;
      if (fresh) for (const [q, fp] of this.sleep) (n.arrive as Map<number, FootprintData>).set(q, fp);
    } else if (n.kind === 'schedule') {
      if (fresh && !root) {
        // The node keeps the sleep set it was reached with; this run copies it before it changes
        // it (an empty one is shared by the nodes, and this.sleep, not theirs, is the one that changes).
        if (n.sleep !== EMPTY_SLEEP) this.sleepShared = true;
      } else if (depth < this.lastSchedule) {
        // Replaying the prefix above its last schedule node, which sets the sleep set again: the
        // sleep sets on the way are those the run that made the path had, which let it through
        // (a node's explored alternatives are fixed once it chose), so none is built.
        this.sleep = EMPTY_SLEEP;
        this.sleepShared = true;
      } else {
        const s = new Map(n.sleep);
        // A branch re-added conservatively exists because the order it stands for is over the
        // bound where the race was: the siblings it sleeps on may cover its runs only in orders
        // over the bound too. They sleep as usual (a step that conflicts wakes them), but one
        // that would block the run (the run would be abandoned) wakes instead (DporRun.uncovered).
        const wide = n.wide?.has(n.chosen) ?? false;
        for (const q of n.done)
          if (q !== n.chosen) s.set(q, wide ? uncoveredCopy(n.fps[q]) : (n.fps[q] ?? NO_FOOTPRINT));
        this.sleep = s;
        this.sleepShared = false;
      }
    }
    const v = n.chosen;
    if (p.kind === 'schedule') {
      if (isPreemption(p, v)) this.preemptions++;
      if (this.sleep.has(v)) this.ownSleep().delete(v);
    } else if (p.fault && v !== 0) this.faults++;
    return v;
  }

  /** Whether sleeping task q is one a conservatively re-added branch sleeps on (see choose). */
  private uncovered(q: number): boolean {
    const fp = this.sleep.get(q);
    return fp !== undefined && hasUncovered(fp);
  }

  /** this.sleep, for a node to keep as it is now (the run copies it before it changes it). */
  private shareSleep(): Map<number, FootprintData> {
    this.sleepShared = true;
    return this.sleep;
  }

  /** this.sleep, copied first if a node shares it. */
  private ownSleep(): Map<number, FootprintData> {
    if (this.sleepShared) {
      this.sleep = new Map(this.sleep);
      this.sleepShared = false;
    }
    return this.sleep;
  }

  private pick(p: ChoicePoint & { kind: 'schedule' }, n: Node): number {
    const sleep = this.sleep;
    if (p.currentEnabled && !sleep.has(p.current)) return p.current;
    for (const q of p.enabled) {
      if (sleep.has(q)) continue;
      if (this.d.fits(n, q)) return q;
    }
    // Every task that fits is asleep: one whose cover is not certain within the bound wakes and runs.
    for (const q of p.enabled) if (this.uncovered(q) && this.d.fits(n, q)) return q;
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
    const nodeIdx = this.stepNode;
    this.stepNode = -1;
    const log = this.d.log;
    const r = log.count;
    if (r < log.kept) {
      // A step of the replayed prefix: logged by the previous run, and merged into its node's
      // footprint when a run first took it; with no task asleep there is nothing else to do.
      if (log.pid[r] === s.pid && log.node[r] === nodeIdx) {
        if (this.sleep.size === 0) {
          log.count++;
          log.steps++;
          return;
        }
      } else this.d.replayDiverged();
    }
    const k = log.add(s.pid, nodeIdx, s.cpu ?? -1, s.accesses);
    log.steps++;
    if (nodeIdx >= 0) {
      const n = this.d.nodeAt(nodeIdx) as Node;
      const u = n.fps[s.pid];
      if (u === undefined) n.fps[s.pid] = log.pairsOf(k);
      else log.mergeLastInto(k, u);
    } else if (this.sleep.has(s.pid)) {
      // A forced step of a sleeping task: everything from here was explored already, unless its
      // cover is not certain within the bound (then it wakes and the run goes on).
      if (this.uncovered(s.pid)) this.ownSleep().delete(s.pid);
      else {
        this.stopped = true;
        throw new StopRun('forced step of a sleeping task');
      }
    }
    if (this.sleep.size === 0) return;
    const sleep = this.sleep;
    const cpu = s.cpu ?? -1;
    for (const [q, qfp] of sleep) if (log.lastConflicts(qfp, cpu)) this.ownSleep().delete(q);
  }

  /** CPUs still held non-preemptibly when the run ended (see analyse). */
  held: readonly HeldCpu[] = [];

  /** Tasks left waiting for a lock: their pending acquisitions race with the holders' (deadlocks). */
  ended(waiting: readonly StepRecord[], held: readonly HeldCpu[] = []): void {
    this.held = held;
    for (const w of waiting) this.d.log.add(w.pid, -1, -1, w.accesses);
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The nodes a task describes (a split's path, or its finished root): one path, each node by its depth on it. */
export interface TaskNodes {
  /** The choices from the exploration's root down the task's path (at least every described node's prefix). */
  readonly path: readonly number[];
  readonly descs: readonly NodeDesc[];
}

/** A node of the coordinator's tree: its children by choice, and what tasks described of it. */
interface SplitNode {
  children: Map<number, SplitNode> | null;
  entry: SplitEntry | null;
}

interface SplitEntry {
  readonly desc: NodeDesc;
  /** Alternatives explored from the node, with their step's footprint (flat pairs, merged over reports). */
  readonly done: Map<number, number[]>;
  /** Alternatives handed to subtree tasks (not yet reported done). */
  readonly given: Set<number>;
}

/** ORs footprint data `add` into `into` (both flat object id, mask pairs). */
function mergeFootprintData(into: number[], add: FootprintData): void {
  for (let i = 0; i < add.length; i += 2) {
    const o = add[i] as number;
    let j = 0;
    while (j < into.length && into[j] !== o) j += 2;
    if (j < into.length) into[j + 1] = (into[j + 1] as number) | (add[i + 1] as number);
    else into.push(o, add[i + 1] as number);
  }
}

/**
 * The coordinator's view of a split DPOR tree (parallel exploration): every node that subtree
 * tasks described (Dpor.takeRoots, Dpor.finishedRoot), in a trie of choices (a node's prefix is
 * its place: kept once, not per node), with what has been explored or handed out there. Races a
 * subtree reports against a node above its root (proposals) are claimed here as sequential DPOR's
 * addAt would place them: covered when one of the initials is explored, handed out or asleep
 * there; otherwise the first enabled initial within the bounds becomes a new subtree root that
 * sleeps on everything explored from the node.
 */
export class SplitTree {
  private readonly top: SplitNode = { children: null, entry: null };
  private readonly bound: number;
  private readonly faultBudget: number;

  constructor(opts: { preemptions: number; faults: number }) {
    this.bound = opts.preemptions < 0 ? Number.POSITIVE_INFINITY : opts.preemptions;
    this.faultBudget = opts.faults;
  }

  /** The trie node `depth` choices down `path`; made on the way when `make`, else null if never described. */
  private at(path: readonly number[], depth: number, make: boolean): SplitNode | null {
    let n = this.top;
    for (let k = 0; k < depth; k++) {
      const c = path[k] as number;
      let next = n.children?.get(c);
      if (!next) {
        if (!make) return null;
        next = { children: null, entry: null };
        (n.children ??= new Map()).set(c, next);
      }
      n = next;
    }
    return n;
  }

  /** Merges the node descriptions of one task (a split, or a finished subtree's root). */
  add(nodes: TaskNodes): void {
    for (const desc of nodes.descs) {
      if (desc.depth > nodes.path.length) throw new Error(`dpor: a node at depth ${desc.depth} below its task's path`);
      const t = this.at(nodes.path, desc.depth, true) as SplitNode;
      let e = t.entry;
      if (!e) t.entry = e = { desc, done: new Map(), given: new Set() };
      for (const [q, fp] of desc.done) {
        let u = e.done.get(q);
        if (!u) e.done.set(q, (u = []));
        mergeFootprintData(u, fp);
        e.given.delete(q);
      }
      for (const q of desc.given) if (!e.done.has(q)) e.given.add(q);
    }
  }

  private fits(n: NodeDesc, v: number): boolean {
    if (n.kind === 'data') return !n.fault || v === 0 || n.faults + 1 <= this.faultBudget;
    return n.preemptions + (isPreemption(n, v) ? 1 : 0) <= this.bound;
  }

  /**
   * Places the proposals of one round (in a fixed order) and returns the new subtree roots: one per
   * node, holding that node's new alternatives in order.
   */
  claimAll(proposals: readonly { readonly prefix: readonly number[]; readonly proposal: Proposal }[]): DporRoot[] {
    const byNode = new Map<SplitEntry, { prefix: readonly number[]; todo: number[] }>();
    for (const { prefix, proposal } of proposals) {
      const r = this.claimAt(prefix, proposal);
      if (!r) continue;
      const g = byNode.get(r.entry);
      if (g) g.todo.push(r.alt);
      else byNode.set(r.entry, { prefix: prefix.slice(0, proposal.depth), todo: [r.alt] });
    }
    const out: DporRoot[] = [];
    for (const [e, g] of byNode) out.push({ prefix: g.prefix, todo: g.todo, done: doneData(e), sleep: e.desc.sleep });
    return out;
  }

  /** Places a proposal made by the subtree below `prefix`: a new subtree root, or null when covered. */
  claim(prefix: readonly number[], p: Proposal): DporRoot | null {
    const r = this.claimAt(prefix, p);
    return r
      ? { prefix: prefix.slice(0, p.depth), todo: [r.alt], done: doneData(r.entry), sleep: r.entry.desc.sleep }
      : null;
  }

  private claimAt(prefix: readonly number[], p: Proposal): { entry: SplitEntry; alt: number } | null {
    const e = this.at(prefix, p.depth, false)?.entry;
    if (!e) throw new Error(`dpor: a proposal at depth ${p.depth} for a node no subtree described`);
    const n = e.desc;
    const asleep = (q: number): boolean => n.sleep.some(([s]) => s === q);
    for (const q of p.initials) if (e.done.has(q) || e.given.has(q) || asleep(q)) return null;
    for (const q of p.initials) {
      if (!n.enabled.includes(q) || !this.fits(n, q)) continue;
      e.given.add(q);
      return { entry: e, alt: q };
    }
    return null;
  }
}

/** What has been explored from a node, as a subtree root carries it. */
function doneData(e: SplitEntry): [number, FootprintData][] {
  return [...e.done].map(([x, fp]) => [x, [...fp]]);
}
