/**
 * Tracks of a RunTrace, shared by the Chrome trace (trace.ts) and the HTML
 * timeline (html.ts): per CPU a "running" track and, for each task pinned to
 * it, a functions track, lock tracks and a state track (contexts and sleeps);
 * one track per SRCU grace-period and callback lane. Slices on a track always
 * nest properly (a slice that would cross another goes to a further track).
 */
import type { RunTrace, SliceKind, TraceSlice } from './recorder.js';

export type TrackKind = 'cpu' | 'func' | 'locks' | 'state' | 'srcu';

export interface Track {
  /** Unique, stable, 1-based (used as the Chrome trace tid). */
  readonly id: number;
  /** CPU number, or -1 for global tracks (SRCU). */
  readonly cpu: number;
  readonly group: string;
  readonly name: string;
  readonly kind: TrackKind;
  /** Task pid, or -1. */
  readonly pid: number;
  /** Indices into trace.slices, sorted by start (then longest first). */
  readonly slices: number[];
  /** Nesting depth of each slice in `slices`. */
  readonly depth: number[];
  maxDepth: number;
}

/** A run of consecutive steps of one task on a CPU. */
export interface CpuRun {
  readonly cpu: number;
  readonly pid: number;
  readonly start: number;
  readonly end: number;
}

export interface Layout {
  readonly groups: string[];
  readonly tracks: Track[];
  readonly runs: CpuRun[];
  /** Track id of each task's functions track (instants go there). */
  readonly funcTrack: Map<number, number>;
}

const TASK_KINDS: Record<SliceKind, TrackKind | null> = {
  func: 'func',
  lock: 'locks',
  wait: 'locks',
  ctx: 'state',
  sleep: 'state',
  srcu_gp: null,
  srcu_cb: null,
};

function bySpan(trace: RunTrace) {
  return (a: number, b: number): number => {
    const x = trace.slices[a] as TraceSlice;
    const y = trace.slices[b] as TraceSlice;
    return x.start - y.start || y.end - x.end || a - b;
  };
}

/** Splits slices into properly nested tracks; returns, per track, the slice indices and depths. */
export function packNested(trace: RunTrace, idx: number[]): { slices: number[]; depth: number[]; maxDepth: number }[] {
  idx.sort(bySpan(trace));
  const lanes: { slices: number[]; depth: number[]; maxDepth: number; stack: TraceSlice[] }[] = [];
  for (const i of idx) {
    const s = trace.slices[i] as TraceSlice;
    let placed = false;
    for (const l of lanes) {
      const st = l.stack;
      let n = st.length;
      while (n > 0 && (st[n - 1] as TraceSlice).end <= s.start) n--;
      if (n > 0 && (st[n - 1] as TraceSlice).end < s.end) continue;
      st.length = n;
      st.push(s);
      l.slices.push(i);
      l.depth.push(n);
      if (n > l.maxDepth) l.maxDepth = n;
      placed = true;
      break;
    }
    if (!placed) lanes.push({ slices: [i], depth: [0], maxDepth: 0, stack: [s] });
  }
  return lanes.map(({ slices, depth, maxDepth }) => ({ slices, depth, maxDepth }));
}

export function layoutTrace(trace: RunTrace): Layout {
  const tracks: Track[] = [];
  const groups: string[] = [];
  const funcTrack = new Map<number, number>();
  const byTask = new Map<string, number[]>();
  const global = new Map<string, number[]>();
  trace.slices.forEach((s, i) => {
    const k = TASK_KINDS[s.kind];
    if (k === null) {
      const name = s.track ?? s.kind;
      let l = global.get(name);
      if (!l) global.set(name, (l = []));
      l.push(i);
    } else {
      const key = `${s.pid}:${k}`;
      let l = byTask.get(key);
      if (!l) byTask.set(key, (l = []));
      l.push(i);
    }
  });

  const runs: CpuRun[] = [];
  const runOpen: (CpuRun | null)[] = new Array(trace.nrCpus).fill(null);
  const cpuOf = new Map(trace.tasks.map((t) => [t.pid, t.cpu]));
  trace.stepPid.forEach((pid, i) => {
    const cpu = cpuOf.get(pid) ?? 0;
    const r = runOpen[cpu];
    if (r && r.pid === pid && r.end === i) (r as { end: number }).end = i + 1;
    else {
      const n: CpuRun = { cpu, pid, start: i, end: i + 1 };
      runs.push(n);
      runOpen[cpu] = n;
    }
  });

  let id = 1;
  for (let cpu = 0; cpu < trace.nrCpus; cpu++) {
    const group = `CPU ${cpu}`;
    groups.push(group);
    tracks.push({ id: id++, cpu, group, name: 'running', kind: 'cpu', pid: -1, slices: [], depth: [], maxDepth: 0 });
    for (const t of trace.tasks) {
      if (t.cpu !== cpu) continue;
      const label = `${t.comm}-${t.pid}`;
      const used = trace.stepPid.includes(t.pid) || trace.instants.some((i) => i.pid === t.pid);
      const kinds: [TrackKind, string][] = [
        ['func', label],
        ['locks', `${label} locks`],
        ['state', `${label} context`],
      ];
      for (const [kind, name] of kinds) {
        const idx = byTask.get(`${t.pid}:${kind}`) ?? [];
        if (idx.length === 0 && (kind !== 'func' || (!used && t.pid === 0))) continue;
        const packed = idx.length === 0 ? [{ slices: [], depth: [], maxDepth: 0 }] : packNested(trace, idx);
        packed.forEach((p, n) => {
          const tr: Track = {
            id: id++,
            cpu,
            group,
            name: n === 0 ? name : `${name} #${n + 1}`,
            kind,
            pid: t.pid,
            ...p,
          };
          if (kind === 'func' && n === 0) funcTrack.set(t.pid, tr.id);
          tracks.push(tr);
        });
      }
    }
  }
  if (global.size > 0) groups.push('SRCU');
  for (const [name, idx] of [...global].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    packNested(trace, idx).forEach((p, n) => {
      tracks.push({
        id: id++,
        cpu: -1,
        group: 'SRCU',
        name: n === 0 ? name : `${name} #${n + 1}`,
        kind: 'srcu',
        pid: -1,
        ...p,
      });
    });
  }
  // Tasks that never got a functions track (never ran, pid 0 idle) still need one for their instants.
  for (const t of trace.tasks) {
    if (funcTrack.has(t.pid) || !trace.instants.some((i) => i.pid === t.pid)) continue;
    const tr: Track = {
      id: id++,
      cpu: t.cpu,
      group: `CPU ${t.cpu}`,
      name: `${t.comm}-${t.pid}`,
      kind: 'func',
      pid: t.pid,
      slices: [],
      depth: [],
      maxDepth: 0,
    };
    funcTrack.set(t.pid, tr.id);
    tracks.push(tr);
  }
  return { groups, tracks, runs, funcTrack };
}
