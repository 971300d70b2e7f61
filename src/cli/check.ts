/**
 * `kernsim check`: every scenario × variant × config of the model, explored
 * with DPOR under default bounds, printed as a verdict matrix beside the
 * expected verdicts of docs/verdicts.md. Exit 0 when every cell matches,
 * 1 when one does not, 2 on bad input. The matrix itself is run/matrix.ts (imported when the
 * command runs: `kernsim list` and `--help` load none of it).
 */
import { checkMatrixOptions, collect, intArg } from './args.js';
import { availableParallelism } from 'node:os';
import type { Command } from '@commander-js/extra-typings';
import pc from 'picocolors';
import type { CheckResult } from '../run/matrix.js';
import { DEFAULTS } from '../run/options.js';
import { WATCHDOG_MS_DEFAULT } from '../run/watchdog.js';
import { cellKey } from '../report/cell-key.js';
import { INTERRUPTED_STATUS, onInterrupt, stopRequested } from './interrupt.js';
import { checkOutputPaths, writing } from './output.js';
import { checkShard, sharded } from './shard.js';

/** The verdict matrix as text. */
export function formatCheck(r: CheckResult, c = pc.createColors(false)): string {
  const out: string[] = [];
  const w = (s: string, n: number) => s.padEnd(n);
  const sw = Math.max(8, ...r.cells.map((x) => x.result.scenario.length));
  const vw = Math.max(7, ...r.cells.map((x) => (x.result.variant ?? '').length));
  out.push(
    c.bold(`${w('', 6)}${w('scenario', sw + 2)}${w('variant', vw + 2)}${w('config', 8)}${w('execs', 8)}verdict`),
  );
  let last = '';
  for (const cell of r.cells) {
    const res = cell.result;
    if (last && last !== res.scenario) out.push('');
    last = res.scenario;
    const status = !cell.compared ? '  -   ' : cell.match ? c.green('  ok  ') : c.red(' DIFF ');
    const incomplete = res.complete ? '' : c.yellow(`INCOMPLETE: ${res.incomplete_reason ?? 'not exhausted'}; `);
    const verdict =
      cell.found.length === 0
        ? res.complete
          ? `clean, complete within bound (preemptions ≤ ${res.bounds.preemptions ?? '∞'}, faults ≤ ${res.bounds.faults})`
          : `${incomplete}no findings in what was explored`
        : `${incomplete}${cell.found.join('\n'.padEnd(7 + sw + 2 + vw + 2 + 8 + 8))}`;
    out.push(
      `${status}${w(res.scenario, sw + 2)}${w(res.variant ?? '', vw + 2)}${w(res.config, 8)}${w(String(res.executions), 8)}${verdict}`,
    );
    if (cell.compared && !cell.match) {
      const pad = ''.padEnd(6 + sw + 2 + vw + 2 + 8 + 8);
      if (!cell.expected) out.push(`${pad}${c.red('expected: no verdict for this cell in docs/verdicts.md')}`);
      else {
        const exp = cell.expected.titles.length === 0 ? 'clean' : cell.expected.titles.join('; ');
        out.push(`${pad}${c.red(`expected: ${exp}`)}`);
        if (!res.complete && cell.found.length > 0) out.push(`${pad}${c.red(`INCOMPLETE: ${res.incomplete_reason}`)}`);
      }
    }
  }
  out.push('');
  const tokens = new Map<string, string>();
  for (const cell of r.cells)
    for (const f of cell.result.findings)
      if (!tokens.has(f.title))
        tokens.set(
          f.title,
          `${f.shrunk_token}   (${cell.result.scenario} ${cell.result.variant} ${cell.result.config})`,
        );
  if (tokens.size > 0) {
    out.push(c.bold('Findings (replay one with: kernsim replay TOKEN; explore the cell to get a shrunk token)'));
    for (const [t, tok] of tokens) out.push(`  ${t}`, `    ${tok}`);
    out.push('');
  }
  const n = r.cells.length;
  const incomplete = r.cells.filter((x) => !x.result.complete).length;
  const compared = r.cells.some((x) => x.compared);
  const summary = compared
    ? `${n} cells: ${r.matched} match docs/verdicts.md, ${n - r.matched} differ${incomplete ? `, ${incomplete} incomplete` : ''}`
    : `${n} cells explored with --set (the design changed, so nothing is compared with docs/verdicts.md)`;
  const execs = r.results.reduce((a, x) => a + x.executions, 0);
  out.push(`${summary}; ${execs} executions in ${(r.elapsed_ms / 1000).toFixed(1)} s.`);
  return `${out.join('\n')}\n`;
}

/** Rows for docs/verdicts.md from a result (a starting point for review, never the source of truth). */
export function verdictRows(r: CheckResult): string {
  const rows = [
    '| scenario | variant | config | preemptions | faults | budget | expected |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const cell of r.cells) {
    const res = cell.result;
    const exp = cell.found.length === 0 ? 'clean' : cell.found.map((t) => `\`${t}\``).join('<br>');
    rows.push(
      `| ${res.scenario} | ${res.variant} | ${res.config} | ${res.bounds.preemptions ?? -1} | ${res.bounds.faults} | ${cell.expected?.budget ?? '-'} | ${exp} |`,
    );
  }
  return `${rows.join('\n')}\n`;
}

/**
 * --jobs above the machine's cores only adds threads that wait for a core and memory each
 * (`--jobs 8` on 2 cores: 2.6x the time, 3.5x the memory of `--jobs 1`): capped, with a word,
 * unless --force-jobs.
 */
export function capJobs(jobs: number, force: boolean, cores = availableParallelism()): { jobs: number; note?: string } {
  if (force || jobs <= cores) return { jobs };
  return {
    jobs: cores,
    note: `--jobs ${jobs} capped at ${cores}, the machine's cores (--force-jobs runs ${jobs} threads)`,
  };
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('explore every scenario × variant × config of the model and compare with docs/verdicts.md')
    .option('--scenario <name>', 'only this scenario (repeatable)', collect, [] as string[])
    .option('--variant <name>', 'only this variant (repeatable)', collect, [] as string[])
    .option('--config <name>', 'only this config (repeatable)', collect, [] as string[])
    .option('--set <knob=value>', 'change a design knob (then nothing is compared)', collect, [] as string[])
    .option(
      '--preemptions <n>',
      `preemption bound (default: per cell in docs/verdicts.md, else ${DEFAULTS.preemptions})`,
      intArg(-1),
    )
    .option('--faults <n>', `fault budget (default: per cell in docs/verdicts.md, else ${DEFAULTS.faults})`, intArg(0))
    .option('--jobs <n>', 'worker threads (default and at most: the machine’s cores)', intArg(1))
    .option('--force-jobs', 'run --jobs threads even beyond the machine’s cores')
    .option('--verdicts <file>', 'expected verdicts (default: the model’s docs/verdicts.md)')
    .option(
      '--watchdog-ms <n>',
      'stop a run whose task goes this long without a scheduling point, and report it',
      intArg(1),
      WATCHDOG_MS_DEFAULT,
    )
    .option('--json', 'print one JSON object (the explore schema, plus per-cell comparison)')
    .option('--html <file>', 'write the verdict matrix as a self-contained HTML page')
    .option('--shrink', 'shrink every finding (slower; explore shrinks by default)')
    .option('--print-table', 'also print the found verdicts as docs/verdicts.md table rows')
    // --shard/--out (issue 14): this machine's cells of a sharded check, for kernsim merge (cli/shard.ts).
    .option('--shard <i/N>', 'explore cell k (in matrix order) when k mod N = i - 1; merge with kernsim merge')
    .option('--out <file.ndjson>', "write this shard's cells as NDJSON (default with --shard: stdout)")
    .action(async (o) => {
      let jobs = o.jobs;
      if (jobs !== undefined) {
        const c = capJobs(jobs, o.forceJobs ?? false);
        if (c.note) process.stderr.write(`kernsim: ${c.note}\n`);
        jobs = c.jobs;
      }
      const opts = {
        ...checkMatrixOptions(o),
        ...(jobs !== undefined ? { jobs } : {}),
        ...(o.verdicts !== undefined ? { verdicts: o.verdicts } : {}),
      };
      if (sharded(o))
        return checkShard(opts, {
          ...o,
          others: { '--html': o.html, '--print-table': o.printTable },
        });
      checkOutputPaths({ '--html': o.html });
      onInterrupt();
      const tty = Boolean(process.stderr.isTTY) && !o.json;
      const cliProgress = tty ? (await import('cli-progress')).default : null;
      const bar = cliProgress
        ? new cliProgress.SingleBar(
            { format: 'kernsim check [{bar}] {value}/{total} cells | {duration}s', hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      const { runCheck } = await import('../run/matrix.js');
      const r = await runCheck({
        ...opts,
        onCell: (done, total) => {
          if (!bar) return;
          if (done === 1) bar.start(total, 0);
          bar.update(done);
          if (done === total) bar.stop();
        },
      });
      if (o.json) {
        process.stdout.write(checkJson(r));
      } else {
        process.stdout.write(formatCheck(r, pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR)));
        if (o.printTable) process.stdout.write(`\n${verdictRows(r)}`);
      }
      if (stopRequested()) {
        process.exitCode = INTERRUPTED_STATUS;
        if (o.html) process.stderr.write('kernsim: interrupted: --html not written\n');
        return;
      }
      if (o.html) {
        const { writeCheckHtml } = await import('../run/visual.js');
        const byKey = new Map(r.cells.map((c) => [cellKey(c.result), c]));
        await writing(o.html, () =>
          writeCheckHtml(o.html as string, r, (e) => {
            const exp = byKey.get(cellKey(e))?.expected;
            if (!exp) return undefined;
            return exp.titles.length === 0 ? 'clean' : { verdict: 'found', titles: exp.titles };
          }),
        );
      }
      process.exitCode = checkStatus(r);
    });
}

/** `kernsim check --json`'s text (also `kernsim merge`'s and `kernsim fleet run --check`'s). */
export function checkJson(r: CheckResult): string {
  const json = {
    version: 1,
    results: r.cells.map((c) => ({
      ...c.result,
      expected: c.expected ? (c.expected.titles.length ? c.expected.titles : 'clean') : null,
      match: c.compared ? c.match : null,
    })),
    elapsed_ms: r.elapsed_ms,
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** 1 when a cell differs (with --set: when one has findings), else 3 when one is incomplete, else 0. */
export function checkStatus(r: CheckResult): number {
  const compared = r.cells.some((c) => c.compared);
  const incomplete = r.cells.some((c) => !c.result.complete);
  return (compared ? r.matched < r.cells.length : r.cells.some((c) => c.found.length > 0)) ? 1 : incomplete ? 3 : 0;
}
