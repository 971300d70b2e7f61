/**
 * Pictures of runs for the CLI: replays a token's choices with the machine's
 * trace on and records the run (report/recorder.ts), then writes the Chrome
 * trace (`--trace FILE.json`), the HTML timeline (`--html FILE.html`) or the
 * verdict matrix page (`kernsim check --html`). All files are written
 * atomically.
 */
import { TokenError } from '../report/token.js';
import { type RunTrace, traceRecorder } from '../report/recorder.js';
import {
  type CheckFinding,
  type MatrixInput,
  type CheckResultEntry,
  type ExpectedVerdicts,
  matrixHtml,
  toMatrixData,
  writeMatrixHtml,
  writeRunHtml,
} from '../report/html.js';
import { writeFileAtomic, writeTraceJson } from '../report/trace.js';
import type { Report } from '../sim/index.js';
import { runToken } from './replay.js';
import { WATCHDOG_KIND } from './watchdog.js';

export interface TracedRun {
  readonly trace: RunTrace;
  /** The report the token stands for (null for a token of a clean run). */
  readonly report: Report | null;
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
  /** Whether the traced run's digest equals the token's (it must: tracing only observes). */
  readonly digestMatches: boolean;
}

/** Replays a token (its prelude runs first, untraced) and records the final run with trace on. */
export async function traceToken(token: string, scenarioFile?: string): Promise<TracedRun> {
  const rec = traceRecorder();
  const run = await runToken(token, { scenarioFile, tail: 'complete', trace: true, observers: [rec.observer] });
  const { token: t, spec, result: r } = run;
  const trace = rec.finish();
  const report = t.reportIndex >= 0 ? (r.reports[t.reportIndex] ?? null) : null;
  if (t.reportIndex >= 0 && !report)
    throw new TokenError(`token does not fit the current model: the traced run has no report #${t.reportIndex}`);
  return {
    trace,
    report,
    scenario: spec.scenarioRef,
    variant: spec.variant?.name ?? null,
    config: spec.configName,
    digestMatches: r.digest === t.digest,
  };
}

export interface VisualOptions {
  /** Chrome Trace Event JSON file. */
  readonly trace?: string | undefined;
  /** Self-contained HTML timeline. */
  readonly html?: string | undefined;
  readonly title?: string | undefined;
  /** replay --scenario FILE. */
  readonly scenarioFile?: string | undefined;
  /** explore: the token of the scenario's run without preemptions or faults (--trace without a finding). */
  readonly baseToken?: string | undefined;
  /** Where to say what was written instead of what was asked for. */
  readonly note?: (line: string) => void;
}

/** `kernsim replay TOKEN --trace F.json --html F.html`: returns the files written. */
export async function writeTokenVisuals(token: string, opts: VisualOptions): Promise<string[]> {
  if (!opts.trace && !opts.html) return [];
  const run = await traceToken(token, opts.scenarioFile);
  const title = opts.title ?? run.report?.title ?? `${run.scenario} (no finding)`;
  const written: string[] = [];
  const subtitle = `${run.scenario}${run.variant ? ` · ${run.variant}` : ''} · ${run.config} · ${run.trace.steps} steps · end: ${run.trace.end}`;
  if (opts.trace) {
    writeTraceJson(opts.trace, run.trace, {
      title,
      token,
      scenario: run.scenario,
      variant: run.variant,
      config: run.config,
    });
    written.push(opts.trace);
  }
  if (opts.html) {
    writeRunHtml(opts.html, {
      trace: run.trace,
      ...(run.report ? { report: run.report.text } : { report: [] }),
      token,
      title,
      subtitle,
    });
    written.push(opts.html);
  }
  return written;
}

async function traceOrUndefined(f: CheckFinding): Promise<RunTrace | undefined> {
  // A run the watchdog stopped would hang this thread: it has no timeline.
  if (f.kind === WATCHDOG_KIND) return undefined;
  try {
    return (await traceToken(f.token)).trace;
  } catch {
    return undefined;
  }
}

/**
 * `kernsim check --html F.html`: the verdict matrix, with the timeline of
 * every finding (its token replayed with trace on) embedded in the page.
 */
export async function writeCheckHtml(
  file: string,
  check: MatrixInput,
  expected?: ExpectedVerdicts,
  title?: string,
): Promise<void> {
  const traces = new Map<string, RunTrace | undefined>();
  for (const r of check.results) for (const f of r.findings) traces.set(f.token, await traceOrUndefined(f));
  const traceOf = (f: CheckFinding, _r: CheckResultEntry) => traces.get(f.token);
  if (title === undefined) writeMatrixHtml(file, check, expected, traceOf);
  else writeFileAtomic(file, matrixHtml(toMatrixData(check, expected, traceOf, title)));
}

/**
 * `kernsim explore … --html F.html`: the timeline of the (first) finding, or
 * with several findings a one-cell matrix whose findings open their timelines.
 */
export async function writeExploreHtml(file: string, result: CheckResultEntry): Promise<void> {
  const first = result.findings[0];
  if (result.findings.length === 1 && first && first.kind !== WATCHDOG_KIND) {
    await writeTokenVisuals(first.token, { html: file, title: first.title });
    return;
  }
  const n = result.findings.length;
  const cell = `${result.scenario}${result.variant ? ` ${result.variant}` : ''} ${result.config}`;
  const what = n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'}`;
  await writeCheckHtml(file, { version: 1, results: [result] }, undefined, `kernsim explore: ${cell}: ${what}`);
}

/** `kernsim explore … --trace F.json --html F.html`: the trace of the first finding and the HTML page. */
export async function writeExploreVisuals(result: CheckResultEntry, opts: VisualOptions): Promise<string[]> {
  const written: string[] = [];
  const first = result.findings.find((f) => f.kind !== WATCHDOG_KIND);
  if (opts.trace && first)
    written.push(...(await writeTokenVisuals(first.token, { trace: opts.trace, title: first.title })));
  else if (opts.trace && opts.baseToken) {
    // No finding to picture: the scenario's run without preemptions or faults, and say so.
    written.push(...(await writeTokenVisuals(opts.baseToken, { trace: opts.trace })));
    opts.note?.(`no finding: ${opts.trace} has the scenario's run without preemptions or faults`);
  } else if (opts.trace && result.findings.length > 0)
    opts.note?.(`the only finding is a run that hangs: ${opts.trace} not written (no run to show)`);
  else if (opts.trace) opts.note?.(`no finding: ${opts.trace} not written (no run to show)`);
  if (opts.html) {
    await writeExploreHtml(opts.html, result);
    written.push(opts.html);
  }
  return written;
}
