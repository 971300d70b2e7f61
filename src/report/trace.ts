/**
 * Chrome Trace Event JSON (the format the Perfetto UI and chrome://tracing
 * open) of a RunTrace: a process per CPU ("CPU N") holding a "running" track
 * and the tracks of each task pinned to it; a process "SRCU" with grace
 * periods and callback invocations; `X` slices, `i` instants for reports,
 * injected faults and printk lines, `M` metadata. ts is the step index, one
 * step shown as one microsecond (see docs/fidelity/report.md).
 */
import { writeFileSync, renameSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { layoutTrace } from './layout.js';
import type { RunTrace, TraceSlice } from './recorder.js';

export interface ChromeTraceEvent {
  name: string;
  ph: 'X' | 'i' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  s?: 't' | 'p' | 'g';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: ChromeTraceEvent[];
  displayTimeUnit: 'ms' | 'ns';
  otherData: Record<string, unknown>;
}

export interface TraceMeta {
  readonly title?: string;
  readonly token?: string;
  readonly [key: string]: unknown;
}

/** Process id of the global SRCU process (CPU processes are numbered by CPU). */
export const SRCU_PROCESS = 1000;

export function toChromeTrace(trace: RunTrace, meta: TraceMeta = {}): ChromeTrace {
  const lay = layoutTrace(trace);
  const ev: ChromeTraceEvent[] = [];
  const pidOf = (cpu: number): number => (cpu < 0 ? SRCU_PROCESS : cpu);
  lay.groups.forEach((g, i) => {
    const pid = g === 'SRCU' ? SRCU_PROCESS : i;
    ev.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: g } });
    ev.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, args: { sort_index: i } });
  });
  const comm = new Map(trace.tasks.map((t) => [t.pid, `${t.comm}-${t.pid}`]));
  lay.tracks.forEach((tr, i) => {
    const pid = pidOf(tr.cpu);
    ev.push({ name: 'thread_name', ph: 'M', pid, tid: tr.id, args: { name: tr.name } });
    ev.push({ name: 'thread_sort_index', ph: 'M', pid, tid: tr.id, args: { sort_index: i } });
  });
  const cpuTrack = new Map(lay.tracks.filter((t) => t.kind === 'cpu').map((t) => [t.cpu, t.id]));
  for (const r of lay.runs) {
    ev.push({
      name: comm.get(r.pid) ?? String(r.pid),
      cat: 'run',
      ph: 'X',
      ts: r.start,
      dur: r.end - r.start,
      pid: r.cpu,
      tid: cpuTrack.get(r.cpu) as number,
      args: { pid: r.pid, steps: `${r.start}..${r.end - 1}`, time_ns: trace.stepTimeNs[r.start] ?? 0 },
    });
  }
  for (const tr of lay.tracks) {
    for (let k = 0; k < tr.slices.length; k++) {
      const s = trace.slices[tr.slices[k] as number] as TraceSlice;
      const args: Record<string, unknown> = { steps: `${s.start}..${s.end - 1}` };
      if (s.detail !== undefined) args.detail = s.detail;
      if (s.open) args.open = true;
      if (s.pid >= 0) args.pid = s.pid;
      const name = s.kind === 'wait' ? `wait ${s.name}` : s.kind === 'ctx' ? contextName(s.name) : s.name;
      ev.push({ name, cat: s.kind, ph: 'X', ts: s.start, dur: s.end - s.start, pid: pidOf(tr.cpu), tid: tr.id, args });
    }
  }
  const cpuOf = new Map(trace.tasks.map((t) => [t.pid, t.cpu]));
  for (const i of trace.instants) {
    const tid = lay.funcTrack.get(i.pid);
    const cpu = cpuOf.get(i.pid) ?? 0;
    const args: Record<string, unknown> = { step: i.step, pid: i.pid };
    if (i.detail !== undefined) args.detail = i.detail;
    if (i.kind === 'report') {
      const r = trace.reports.find((x) => x.step === i.step && x.title === i.name);
      if (r) args.report = r.text;
    }
    ev.push({ name: i.name, cat: i.kind, ph: 'i', s: 't', ts: i.at, pid: cpu, tid: tid ?? 0, args });
  }
  return {
    traceEvents: ev,
    displayTimeUnit: 'ns',
    otherData: {
      tool: 'kernsim',
      version: trace.version,
      timeAxis: 'step index (1 step shown as 1 us); virtual time in args.time_ns',
      steps: trace.steps,
      end: trace.end,
      virtualTimeNs: trace.timeNs,
      reports: trace.reports.map((r) => r.title),
      ...meta,
    },
  };
}

/** "preempt" -> "preempt off", "srcu:foo" -> "srcu_read_lock(foo)". */
export function contextName(what: string): string {
  if (what === 'preempt') return 'preempt off';
  if (what === 'irq') return 'irqs off';
  if (what === 'bh') return 'bh off';
  if (what === 'non_block') return 'non_block';
  if (what === 'rcu') return 'rcu_read_lock';
  if (what === 'migrate') return 'migrate off';
  if (what.startsWith('srcu:')) return `srcu_read_lock(${what.slice(5)})`;
  return what;
}

/** Writes a file atomically: a temporary file next to it, then a rename. */
export function writeFileAtomic(file: string, data: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function writeTraceJson(file: string, trace: RunTrace, meta: TraceMeta = {}): void {
  writeFileAtomic(file, `${JSON.stringify(toChromeTrace(trace, meta))}\n`);
}
