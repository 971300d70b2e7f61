/**
 * lockdep: the lock dependency validator (kernel/locking/lockdep.c), as an
 * observer of lock_acquire / lock_release events. Only with PROVE_LOCKING.
 *
 * - Classes are keyed by "type:name" (stable across runs and processes).
 * - On every non-trylock acquisition: check_deadlock() (same class already
 *   held, except a recursive read (read=2) after any read) reports "possible
 *   recursive locking detected"; then check_prevs_add() adds the edge
 *   prev -> next from the innermost held lock (and from trylocks above the
 *   first non-trylock one, as the kernel does). A new edge is first checked
 *   for a cycle: a BFS from next back to prev over "strong" paths (lockdep's
 *   recursive-read rule: a -(xR)-> edge may not be followed by a -(Sx)-> edge,
 *   where R = next taken as recursive read, S = prev held as a reader).
 * - sync=true (lock_map_sync, synchronize_srcu) is validated as a write
 *   acquisition but not pushed on the held stack.
 * - The first splat of a run turns lockdep off for the rest of the run
 *   (debug_locks_off()).
 * - A release of a lock the task does not hold is print_unlock_imbalance_bug()'s "WARNING: bad
 *   unlock balance detected!" (syzbot: "WARNING: bad unlock balance in FUNC").
 * - rcu_suspicious events print "WARNING: suspicious RCU usage" (once per
 *   site per run, like RCU_LOCKDEP_WARN's __warned), only with PROVE_RCU.
 *
 * Cross-run graph. The LockdepGraph (in CheckState) lives for a whole
 * exploration. Every edge remembers the run it was first seen in (a RunRef
 * holding a reference to that run's machine.choices array, complete once
 * the run ends). A cycle closed by edges from earlier runs carries those
 * runs' choice sequences in Report.prelude (oldest first): replaying the
 * preludes, then the run, in one checker state reproduces the splat.
 *
 * Parallel explorers: exportLockdepEdges(graph) returns plain JSON-able
 * edges (class keys, dependency-type mask, witness choices and trace);
 * importLockdepEdges(graph, edges) merges them into another graph (edges
 * already present keep their own witness). Imported witnesses get negative
 * run indices in import order, so they sort before local runs in a prelude.
 */
import type { LockAcquireEvent, LockClass, LockReleaseEvent, RcuSuspiciousEvent } from '../kernel/events.js';
import { type HeldLock, type Task, locationOf } from '../sim/index.js';
import { type RunLog, plainTrace } from './format.js';

/** A run that witnessed edges: its index in the exploration and its (eventually complete) choices. */
export interface RunRef {
  readonly index: number;
  readonly choices: readonly number[];
}

interface Witness {
  readonly run: RunRef;
  readonly comm: string;
  readonly pid: number;
  /** Frames (outermost first) when `to` was acquired with `from` held. */
  readonly trace: readonly string[];
}

interface Edge {
  readonly from: number;
  readonly to: number;
  /** Bit (prevShared ? 2 : 0) | (nextRecursive ? 1 : 0) set for each dependency type seen. */
  mask: number;
  readonly witness: Witness;
}

/** A lock class as exported: enough to re-create the key and print it. */
export interface ClassKey {
  readonly name: string;
  readonly type: string;
  readonly wait: string;
}

export interface LockdepEdgeExport {
  readonly from: ClassKey;
  readonly to: ClassKey;
  readonly mask: number;
  readonly witness: {
    readonly choices: readonly number[];
    readonly comm: string;
    readonly pid: number;
    readonly trace: readonly string[];
  };
}

/** The dependency graph of one exploration. */
export class LockdepGraph {
  readonly classes: ClassKey[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly byCls = new Map<LockClass, number>();
  readonly out: Edge[][] = [];
  readonly edges = new Map<number, Edge>();
  private importSeq = -1;

  classIndex(cls: LockClass): number {
    let i = this.byCls.get(cls);
    if (i === undefined) {
      i = this.keyIndex(cls);
      this.byCls.set(cls, i);
    }
    return i;
  }

  keyIndex(c: ClassKey): number {
    const key = `${c.type}:${c.name}`;
    let i = this.byKey.get(key);
    if (i === undefined) {
      i = this.classes.length;
      this.classes.push({ name: c.name, type: c.type, wait: c.wait });
      this.out.push([]);
      this.byKey.set(key, i);
    }
    return i;
  }

  edge(from: number, to: number): Edge | undefined {
    return this.edges.get(from * 0x100000 + to);
  }

  addEdge(from: number, to: number, bit: number, witness: Witness): void {
    const e = this.edge(from, to);
    if (e) {
      e.mask |= bit;
      return;
    }
    const n: Edge = { from, to, mask: bit, witness };
    this.edges.set(from * 0x100000 + to, n);
    (this.out[from] as Edge[]).push(n);
  }

  get size(): number {
    return this.edges.size;
  }

  /**
   * A strong path from `start` to `goal` for a new edge goal -> start of type
   * `newType`, or null. Returns the edges of the path in order.
   */
  findCycle(start: number, goal: number, newType: number): Edge[] | null {
    // BFS over (class, arrived-via-recursive-read) states.
    const startR = (newType & 1) !== 0;
    const visited = new Set<number>([start * 2 + (startR ? 1 : 0)]);
    const queue: { node: number; viaR: boolean; edge: Edge | null; parent: number }[] = [
      { node: start, viaR: startR, edge: null, parent: -1 },
    ];
    for (let qi = 0; qi < queue.length; qi++) {
      const cur = queue[qi] as (typeof queue)[number];
      for (const e of this.out[cur.node] as Edge[]) {
        let allowed = false;
        let anyN = false;
        for (let t = 0; t < 4; t++) {
          if ((e.mask & (1 << t)) === 0) continue;
          if (cur.viaR && (t & 2) !== 0) continue;
          allowed = true;
          if ((t & 1) === 0) anyN = true;
        }
        if (!allowed) continue;
        const viaR = !anyN;
        if (e.to === goal && !(viaR && (newType & 2) !== 0)) {
          const path = [e];
          for (let p = qi; p > 0; p = (queue[p] as (typeof queue)[number]).parent)
            path.unshift((queue[p] as (typeof queue)[number]).edge as Edge);
          return path;
        }
        const key = e.to * 2 + (viaR ? 1 : 0);
        if (visited.has(key)) continue;
        visited.add(key);
        queue.push({ node: e.to, viaR, edge: e, parent: qi });
      }
    }
    return null;
  }

  nextImportIndex(): number {
    return this.importSeq--;
  }
}

export function exportLockdepEdges(g: LockdepGraph): LockdepEdgeExport[] {
  const res: LockdepEdgeExport[] = [];
  for (const e of g.edges.values()) {
    res.push({
      from: g.classes[e.from] as ClassKey,
      to: g.classes[e.to] as ClassKey,
      mask: e.mask,
      witness: {
        choices: e.witness.run.choices.slice(),
        comm: e.witness.comm,
        pid: e.witness.pid,
        trace: e.witness.trace.slice(),
      },
    });
  }
  return res;
}

/** Merges exported edges; returns how many (edge, type) pairs were new. */
export function importLockdepEdges(g: LockdepGraph, edges: readonly LockdepEdgeExport[]): number {
  let added = 0;
  const runs = new Map<readonly number[], RunRef>();
  for (const x of edges) {
    const from = g.keyIndex(x.from);
    const to = g.keyIndex(x.to);
    const old = g.edge(from, to);
    if (old && (old.mask & x.mask) === x.mask) continue;
    added++;
    let run = runs.get(x.witness.choices);
    if (!run) runs.set(x.witness.choices, (run = { index: g.nextImportIndex(), choices: x.witness.choices }));
    g.addEdge(from, to, x.mask, { run, comm: x.witness.comm, pid: x.witness.pid, trace: x.witness.trace });
  }
  return added;
}

interface Held extends HeldLock {
  readonly ci: number;
  readonly readMode: 0 | 1 | 2;
  readonly trylock: boolean;
}

const BAN_CIRC = '='.repeat(54);
const DASH_CIRC = '-'.repeat(54);
const BAN_REC = '='.repeat(44);
const DASH_REC = '-'.repeat(44);
const BAN_RCU = '='.repeat(29);
const BAN_UNLOCK = '='.repeat(37);
const DASH_UNLOCK = '-'.repeat(37);
const DASH_RCU = '-'.repeat(29);

export function installLockdep(log: RunLog, graph: LockdepGraph, runIndex: number): void {
  const { m, config } = log;
  if (!config.PROVE_LOCKING) return;
  const run: RunRef = { index: runIndex, choices: m.choices };
  const heldOf = new Map<Task, Held[]>();
  const rcuWarned = new Set<string>();

  function stackOf(t: Task): Held[] {
    let s = heldOf.get(t);
    if (!s) heldOf.set(t, (s = []));
    return s;
  }

  function lockLine(lock: object, cls: ClassKey, at: string): string {
    return `${log.lockAddr(lock)} (${cls.name}){....}-${cls.wait}, at: ${at}`;
  }

  function splat(t: Task, kind: string, headline: string, text: string, prelude?: number[][]): void {
    log.debugLocks = false;
    const title = `${headline} in ${locationOf(t.frames)}`;
    if (prelude && prelude.length > 0) m.report({ kind, title, text, prelude });
    else m.report({ kind, title, text });
  }

  function recursive(ev: LockAcquireEvent, h: Held, stack: Held[]): void {
    const t = ev.task;
    const cls = graph.classes[h.ci] as ClassKey;
    const lines = [
      BAN_REC,
      'WARNING: possible recursive locking detected',
      log.ident(),
      DASH_REC,
      `${t.comm}/${t.pid} is trying to acquire lock:`,
      lockLine(ev.lock, cls, ev.at),
      '',
      'but task is already holding lock:',
      lockLine(h.lock, cls, h.at),
      '',
      'other info that might help us debug this:',
      ' Possible unsafe locking scenario:',
      '',
      '       CPU0',
      '       ----',
      `  ${h.readMode ? 'rlock' : 'lock'}(${cls.name});`,
      `  ${ev.sync ? 'sync' : ev.read ? 'rlock' : 'lock'}(${cls.name});`,
      '',
      ' *** DEADLOCK ***',
      '',
      ' May be due to missing lock nesting notation',
      '',
      log.heldLocks(t, stack),
      '',
      'stack backtrace:',
      log.dumpStack(t, ['dump_stack_lvl']),
    ];
    splat(t, 'lockdep', 'WARNING: possible recursive locking detected', lines.join('\n'));
  }

  function circular(ev: LockAcquireEvent, h: Held, next: number, path: Edge[], stack: Held[]): void {
    const t = ev.task;
    const to = graph.classes[next] as ClassKey;
    const from = graph.classes[h.ci] as ClassKey;
    const lines = [
      BAN_CIRC,
      'WARNING: possible circular locking dependency detected',
      log.ident(),
      DASH_CIRC,
      `${t.comm}/${t.pid} is trying to acquire lock:`,
      lockLine(ev.lock, to, ev.at),
      '',
      'but task is already holding lock:',
      lockLine(h.lock, from, h.at),
      '',
      'which lock already depends on the new lock.',
      '',
      '',
      'the existing dependency chain (in reverse order) is:',
    ];
    // path: next=L0 -> L1 -> ... -> Lk=prev; entry #j shows Lj with the trace of the edge into it.
    for (let j = path.length; j >= 1; j--) {
      const e = path[j - 1] as Edge;
      const c = graph.classes[e.to] as ClassKey;
      lines.push('', `-> #${j} (${c.name}){....}-${c.wait}:`, plainTrace(e.witness.trace, '       ', ['lock_acquire']));
    }
    lines.push(
      '',
      `-> #0 (${to.name}){....}-${to.wait}:`,
      plainTrace(t.frames, '       ', ['check_prev_add', 'validate_chain', '__lock_acquire', 'lock_acquire']),
      '',
      'other info that might help us debug this:',
      '',
    );
    const parentIdx = (path[path.length - 1] as Edge).from;
    const parent = graph.classes[parentIdx] as ClassKey;
    if (parentIdx !== next) lines.push('Chain exists of:', `  ${to.name} --> ${parent.name} --> ${from.name}`, '');
    const acq = ev.sync ? 'sync' : ev.read ? 'rlock' : 'lock';
    lines.push(
      ' Possible unsafe locking scenario:',
      '',
      '       CPU0                    CPU1',
      '       ----                    ----',
      `  ${h.readMode ? 'rlock' : 'lock'}(${from.name});`,
      `                               lock(${parent.name});`,
      `                               lock(${from.name});`,
      `  ${acq}(${to.name});`,
      '',
      ' *** DEADLOCK ***',
      '',
      log.heldLocks(t, stack),
      '',
      'stack backtrace:',
      log.dumpStack(t, ['dump_stack_lvl']),
    );
    const earlier = new Map<number, RunRef>();
    for (const e of path) if (e.witness.run !== run) earlier.set(e.witness.run.index, e.witness.run);
    const prelude = [...earlier.keys()].sort((a, b) => a - b).map((i) => (earlier.get(i) as RunRef).choices.slice());
    splat(t, 'lockdep', 'WARNING: possible circular locking dependency detected', lines.join('\n'), prelude);
  }

  function acquire(ev: LockAcquireEvent): void {
    if (!log.debugLocks) return;
    const t = ev.task;
    const next = graph.classIndex(ev.cls);
    const stack = stackOf(t);
    if (!ev.trylock) {
      for (let i = 0; i < stack.length; i++) {
        const h = stack[i] as Held;
        if (h.ci !== next) continue;
        if (ev.read === 2 && h.readMode !== 0) continue;
        recursive(ev, h, stack);
        return;
      }
      for (let i = stack.length - 1; i >= 0; i--) {
        const h = stack[i] as Held;
        if (h.ci !== next) {
          const type = (h.readMode !== 0 ? 2 : 0) | (ev.read === 2 ? 1 : 0);
          const old = graph.edge(h.ci, next);
          if (!old || (old.mask & (1 << type)) === 0) {
            const path = graph.findCycle(next, h.ci, type);
            if (path) {
              circular(ev, h, next, path, stack);
              return;
            }
            graph.addEdge(h.ci, next, 1 << type, { run, comm: t.comm, pid: t.pid, trace: t.frames.slice() });
          }
        }
        if (!h.trylock) break;
      }
    }
    if (!ev.sync)
      stack.push({
        lock: ev.lock,
        name: ev.cls.name,
        at: ev.at,
        read: ev.read !== 0,
        step: m.stepIndex,
        ci: next,
        readMode: ev.read,
        trylock: ev.trylock,
      });
  }

  function release(ev: LockReleaseEvent): void {
    if (!log.debugLocks) return;
    const stack = stackOf(ev.task);
    for (let i = stack.length - 1; i >= 0; i--) {
      if ((stack[i] as Held).lock === ev.lock) {
        stack.splice(i, 1);
        return;
      }
    }
    unbalanced(ev, stack);
  }

  /** print_unlock_imbalance_bug(): a release of a lock the task does not hold. */
  function unbalanced(ev: LockReleaseEvent, stack: Held[]): void {
    const t = ev.task;
    const lines = [
      BAN_UNLOCK,
      'WARNING: bad unlock balance detected!',
      log.ident(),
      DASH_UNLOCK,
      `${t.comm}/${t.pid} is trying to release lock (${ev.cls.name}) at:`,
      `[<0000000000000000>] ${locationOf(t.frames)}`,
      'but there are no more locks to release!',
      '',
      'other info that might help us debug this:',
      log.heldLocks(t, stack),
      '',
      'stack backtrace:',
      log.dumpStack(t, ['dump_stack_lvl']),
    ];
    splat(t, 'lockdep', 'WARNING: bad unlock balance', lines.join('\n'));
  }

  function rcuSuspicious(ev: RcuSuspiciousEvent): void {
    if (!config.PROVE_RCU || !log.debugLocks) return;
    const site = `${ev.file}:${ev.line}`;
    if (rcuWarned.has(site)) return;
    rcuWarned.add(site);
    const t = ev.task;
    const lines = [
      BAN_RCU,
      'WARNING: suspicious RCU usage',
      log.ident(),
      DASH_RCU,
      `${site} ${ev.message}!`,
      '',
      'other info that might help us debug this:',
      '',
      '',
      'rcu_scheduler_active = 2, debug_locks = 1',
      log.heldLocks(t),
      '',
      'stack backtrace:',
      log.dumpStack(t, ['dump_stack_lvl', 'lockdep_rcu_suspicious']),
    ];
    m.report({
      kind: 'lockdep',
      title: `WARNING: suspicious RCU usage in ${locationOf(t.frames)}`,
      text: lines.join('\n'),
    });
  }

  log.on('lock_acquire', acquire);
  log.on('lock_release', release);
  log.on('rcu_suspicious', rcuSuspicious);
}
