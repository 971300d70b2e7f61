/**
 * lockdep's dependency graph (kernel/locking/lockdep.c: lock classes, the list of dependencies
 * and the BFS over them), kept across the runs of an exploration (CheckState), with the export
 * and import of its edges for parallel explorers. The validator is check/lockdep.ts; the report
 * printers are check/lockdep_report.ts.
 */
import type { LockClass } from '../kernel/events.js';

/** A run that witnessed edges: its index in the exploration and its (eventually complete) choices. */
export interface RunRef {
  readonly index: number;
  readonly choices: readonly number[];
}

export interface Witness {
  readonly run: RunRef;
  readonly comm: string;
  readonly pid: number;
  /** Frames (outermost first) when `to` was acquired with `from` held. */
  readonly trace: readonly string[];
}

export interface Edge {
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
