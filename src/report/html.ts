/**
 * Self-contained, offline HTML pages: a run's timeline with its findings, and
 * the verdict matrix of `kernsim check` whose finding cells open their
 * timelines. The viewer (viewer/main.js: canvas lanes, d3-zoom, d3-scale) is
 * bundled with esbuild into one IIFE when a page is written, and inlined with
 * the data (a JSON script element with `<` escaped). Model text (task and
 * function names, reports) only ever reaches the page as data and is put in
 * the DOM with textContent, never as markup.
 */
import { cellKey } from './cell-key.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type TrackKind, layoutTrace } from './layout.js';
import type { RunTrace, TraceSlice } from './recorder.js';
import { writeFileAtomic } from './trace.js';

export const VIEW_VERSION = 1;

export interface ViewLink {
  readonly lane: number;
  readonly start: number;
  readonly end: number;
}

export interface ViewReport {
  readonly title: string;
  readonly kind: string;
  readonly step: number;
  readonly at: number;
  readonly lane: number;
  readonly lines: { readonly text: string; readonly link?: ViewLink }[];
}

export interface ViewLane {
  readonly group: string;
  readonly label: string;
  readonly kind: TrackKind;
  readonly pid: number;
  readonly rows: number;
  /** Flat: start, end, depth, name index, kind index, open (0/1) per slice; sorted by start. */
  readonly s: number[];
}

export interface ViewData {
  readonly version: number;
  readonly title: string;
  readonly token: string | null;
  readonly subtitle: string;
  readonly span: number;
  readonly steps: number;
  readonly end: string;
  readonly timeNs: number;
  readonly names: string[];
  readonly kinds: string[];
  readonly lanes: ViewLane[];
  readonly instants: {
    readonly kind: string;
    readonly lane: number;
    readonly at: number;
    readonly step: number;
    readonly name: string;
    readonly detail: string;
  }[];
  readonly reports: ViewReport[];
  readonly printk: { readonly step: number; readonly pid: number; readonly level: string; readonly text: string }[];
  /** Virtual time at the start of each step (omitted for very long runs). */
  readonly stepTimeNs: number[] | null;
}

export interface RunPage {
  readonly trace: RunTrace;
  /** The kernel-style report text(s) to show; defaults to the reports recorded in the trace. */
  readonly report?: string | readonly string[];
  readonly token?: string | null;
  readonly title?: string;
  readonly subtitle?: string;
}

const KINDS = ['run', 'func', 'lock', 'wait', 'ctx', 'sleep', 'srcu_gp', 'srcu_cb'];

/** Builds the viewer's data for one run. */
export function toViewData(page: RunPage): ViewData {
  const { trace } = page;
  const lay = layoutTrace(trace);
  const names: string[] = [];
  const nameIdx = new Map<string, number>();
  const intern = (n: string): number => {
    let i = nameIdx.get(n);
    if (i === undefined) {
      i = names.length;
      names.push(n);
      nameIdx.set(n, i);
    }
    return i;
  };
  const comm = new Map(trace.tasks.map((t) => [t.pid, `${t.comm}-${t.pid}`]));
  const laneOfTrack = new Map<number, number>();
  const lanes: ViewLane[] = [];
  // Where each function slice ended up, for call-trace links.
  const funcAt = new Map<string, { lane: number; s: TraceSlice }[]>();
  for (const tr of lay.tracks) {
    const s: number[] = [];
    if (tr.kind === 'cpu') {
      for (const r of lay.runs)
        if (r.cpu === tr.cpu) s.push(r.start, r.end, 0, intern(comm.get(r.pid) ?? String(r.pid)), 0, 0);
    } else {
      for (let k = 0; k < tr.slices.length; k++) {
        const sl = trace.slices[tr.slices[k] as number] as TraceSlice;
        const label = sl.kind === 'wait' ? `wait ${sl.name}` : sl.name;
        s.push(sl.start, sl.end, tr.depth[k] as number, intern(label), KINDS.indexOf(sl.kind), sl.open ? 1 : 0);
        if (sl.kind === 'func') {
          let l = funcAt.get(sl.name);
          if (!l) funcAt.set(sl.name, (l = []));
          l.push({ lane: lanes.length, s: sl });
        }
      }
    }
    laneOfTrack.set(tr.id, lanes.length);
    lanes.push({ group: tr.group, label: tr.name, kind: tr.kind, pid: tr.pid, rows: tr.maxDepth + 1, s });
  }
  const laneOfPid = (pid: number): number => laneOfTrack.get(lay.funcTrack.get(pid) ?? -1) ?? 0;

  const reportTexts =
    page.report === undefined
      ? trace.reports.map((r) => r.text)
      : typeof page.report === 'string'
        ? [page.report]
        : [...page.report];
  const reports: ViewReport[] = reportTexts.map((text, i) => {
    const r = trace.reports[i] ?? trace.reports[0];
    const step = r?.step ?? trace.steps;
    const inst = r
      ? trace.instants.find((x) => x.kind === 'report' && x.step === r.step && x.name === r.title)
      : undefined;
    const pid = r?.pid ?? 0;
    const at = inst?.at ?? step;
    return {
      title: r?.title ?? text.split('\n')[0] ?? '',
      kind: r?.kind ?? 'report',
      step,
      at,
      lane: laneOfPid(pid),
      lines: text.split('\n').map((line) => {
        const link = linkFor(line, funcAt, pid, at, laneOfPid(pid));
        return link ? { text: line, link } : { text: line };
      }),
    };
  });

  return {
    version: VIEW_VERSION,
    title: page.title ?? trace.reports[0]?.title ?? 'kernsim run',
    token: page.token ?? null,
    subtitle:
      page.subtitle ??
      `${trace.steps} steps, ${trace.tasks.length} tasks, ${trace.nrCpus} CPUs, virtual time ${trace.timeNs} ns, end: ${trace.end}`,
    span: trace.span,
    steps: trace.steps,
    end: trace.end,
    timeNs: trace.timeNs,
    names,
    kinds: KINDS,
    lanes,
    instants: trace.instants.map((i) => ({
      kind: i.kind,
      lane: laneOfPid(i.pid),
      at: i.at,
      step: i.step,
      name: i.name,
      detail: i.detail ?? '',
    })),
    reports,
    printk: trace.printk,
    stepTimeNs: trace.stepTimeNs.length <= 200_000 ? trace.stepTimeNs : null,
  };
}

const FRAME_RE = /^\s*(?:\?\s+)?([A-Za-z_.$<][^\s+]*)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?:\s.*)?$/;

/**
 * The timeline place a call-trace line refers to: the slice of that function
 * on the reporting task containing the report, else its latest one before the
 * report on any task, else its first one.
 */
function linkFor(
  line: string,
  funcAt: Map<string, { lane: number; s: TraceSlice }[]>,
  pid: number,
  at: number,
  lane: number,
): ViewLink | undefined {
  const m = FRAME_RE.exec(line);
  if (!m) return undefined;
  const fn = m[1] as string;
  const cands = funcAt.get(fn);
  if (!cands || cands.length === 0) return undefined;
  const pick =
    cands.find((c) => c.lane === lane && c.s.pid === pid && c.s.start <= at && at <= c.s.end) ??
    [...cands].reverse().find((c) => c.s.pid === pid && c.s.start <= at) ??
    [...cands].reverse().find((c) => c.s.start <= at) ??
    cands[0];
  if (!pick) return undefined;
  return { lane: pick.lane, start: pick.s.start, end: pick.s.end };
}

// ---------------------------------------------------------------- the matrix

/** One `kernsim check` finding. */
export interface CheckFinding {
  readonly title: string;
  readonly kind: string;
  readonly token: string;
  readonly report: string;
}

export interface CheckResultEntry {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
  readonly strategy: string;
  readonly executions: number;
  readonly complete: boolean;
  readonly findings: readonly CheckFinding[];
}

/** What a verdict matrix page is drawn from: a check result (run/matrix.ts) or an exploration's. */
export interface MatrixInput {
  readonly version: 1;
  readonly results: readonly CheckResultEntry[];
}

/** found: a bug is expected (optionally with these titles); clean: no finding expected. */
export type Verdict = 'found' | 'clean';

export interface Expected {
  readonly verdict: Verdict;
  /** Titles (or substrings of titles) the cell is expected to find. */
  readonly titles?: readonly string[];
}

/** Expected verdicts: a function of the cell, or a record keyed by cellKey(). */
export type ExpectedVerdicts =
  | ((r: CheckResultEntry) => Expected | Verdict | undefined)
  | Readonly<Record<string, Expected | Verdict>>;

export { cellKey };

export interface MatrixData {
  readonly version: number;
  readonly title: string;
  readonly rows: string[];
  readonly cols: string[];
  readonly cells: {
    readonly row: number;
    readonly col: number;
    readonly strategy: string;
    readonly executions: number;
    readonly complete: boolean;
    readonly expected: Verdict | null;
    readonly expectedTitles: readonly string[];
    readonly verdict: Verdict;
    /** null when there is no expectation. */
    readonly ok: boolean | null;
    readonly findings: {
      readonly title: string;
      readonly kind: string;
      readonly token: string;
      readonly run: number;
    }[];
  }[];
  /** Timelines of the findings (index = finding.run), or null where none could be replayed. */
  readonly runs: (ViewData | null)[];
}

function expectationOf(expected: ExpectedVerdicts | undefined, r: CheckResultEntry): Expected | undefined {
  if (!expected) return undefined;
  const e = typeof expected === 'function' ? expected(r) : expected[cellKey(r)];
  if (e === undefined) return undefined;
  return typeof e === 'string' ? { verdict: e } : e;
}

export function toMatrixData(
  check: MatrixInput,
  expected: ExpectedVerdicts | undefined,
  traceOf: (f: CheckFinding, r: CheckResultEntry) => RunTrace | undefined,
  title = 'kernsim check: verdicts',
): MatrixData {
  const rows: string[] = [];
  const cols: string[] = [];
  const runs: (ViewData | null)[] = [];
  const cells: MatrixData['cells'][number][] = [];
  for (const r of check.results) {
    const rk = r.variant ? `${r.scenario} · ${r.variant}` : r.scenario;
    if (!rows.includes(rk)) rows.push(rk);
    if (!cols.includes(r.config)) cols.push(r.config);
    const exp = expectationOf(expected, r);
    const verdict: Verdict = r.findings.length > 0 ? 'found' : 'clean';
    const titles = exp?.titles ?? [];
    const ok = exp ? exp.verdict === verdict && titles.every((t) => r.findings.some((f) => f.title.includes(t))) : null;
    const findings = r.findings.map((f) => {
      let tr: RunTrace | undefined;
      try {
        tr = traceOf(f, r);
      } catch {
        tr = undefined;
      }
      runs.push(
        tr
          ? toViewData({
              trace: tr,
              report: f.report,
              token: f.token,
              title: f.title,
              subtitle: `${cellKey(r)} · ${r.strategy}`,
            })
          : null,
      );
      return { title: f.title, kind: f.kind, token: f.token, run: runs.length - 1 };
    });
    cells.push({
      row: rows.indexOf(rk),
      col: cols.indexOf(r.config),
      strategy: r.strategy,
      executions: r.executions,
      complete: r.complete,
      expected: exp?.verdict ?? null,
      expectedTitles: titles,
      verdict,
      ok,
      findings,
    });
  }
  return { version: VIEW_VERSION, title, rows, cols, cells, runs };
}

// ---------------------------------------------------------------- pages

let bundle: string | null = null;

/** The viewer bundled into one IIFE (esbuild, at first use; cached). */
export function viewerBundle(): string {
  if (bundle !== null) return bundle;
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = fileURLToPath(new URL('./viewer/main.js', import.meta.url));
  const out = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error('esbuild produced no viewer bundle');
  bundle = file.text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  return bundle;
}

/** JSON safe inside a <script> element: no '<', '>', '&', U+2028 or U+2029 survive unescaped. */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, kind: 'run' | 'matrix', data: unknown): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body data-page="${kind}">
<div id="app"></div>
<script type="application/json" id="kernsim-data">${jsonForScript(data)}</script>
<script>${viewerBundle()}</script>
</body>
</html>
`;
}

export function runHtml(p: RunPage): string {
  const v = toViewData(p);
  return page(v.title, 'run', v);
}

export function matrixHtml(m: MatrixData): string {
  return page(m.title, 'matrix', m);
}

/** Writes a run's timeline page (atomically). */
export function writeRunHtml(file: string, p: RunPage): void {
  writeFileAtomic(file, runHtml(p));
}

/**
 * Writes the verdict matrix page (atomically). `traceOf` gives a finding's
 * recorded run (cli/visual.ts replays its token); the timelines are embedded.
 */
export function writeMatrixHtml(
  file: string,
  check: MatrixInput,
  expected: ExpectedVerdicts | undefined,
  traceOf: (f: CheckFinding, r: CheckResultEntry) => RunTrace | undefined = () => undefined,
): void {
  writeFileAtomic(file, matrixHtml(toMatrixData(check, expected, traceOf)));
}
