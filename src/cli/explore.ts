/**
 * `kernsim explore` and `kernsim replay`. What runs an exploration, a replay or draws a picture
 * is imported when the command runs (`await import`), not at start-up: `kernsim list` and
 * `--help` load none of it.
 */
import { intArg, numArg, collect } from './args.js';
import { type Command, Option } from '@commander-js/extra-typings';
import pc from 'picocolors';
import type { Progress } from '../explore/explorer.js';
import { UsageError } from '../scenarios/index.js';
import type { JsonOutput, ReplayJson, ResultJson } from '../report/json.js';
import { TokenError } from '../report/token.js';
import { DEFAULTS, STRATEGIES, type StrategyName } from '../run/options.js';
import { WATCHDOG_KIND, WATCHDOG_MS_DEFAULT } from '../run/watchdog.js';
import { INTERRUPTED_STATUS, onInterrupt, stopRequested } from './interrupt.js';
import { checkOutputPaths, writing } from './output.js';
import { exploreShard, sharded } from './shard.js';

function colors() {
  return pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
}

/** The text form of one exploration result. */
export function formatResult(r: ResultJson, c = pc.createColors(false)): string {
  const out: string[] = [];
  const head = `${r.scenario}${r.variant ? ` --variant ${r.variant}` : ''} --config ${r.config}: ${r.strategy}`;
  out.push(c.bold(head));
  for (const f of r.findings) {
    out.push('', c.red(`== ${f.title}`));
    out.push(
      `kind: ${f.kind}   found in execution ${f.execution}   preemptions: ${f.preemptions}   faults: ${f.faults}   steps: ${f.steps}`,
    );
    out.push(`token:  ${f.token}`);
    out.push(
      `shrunk: ${f.shrunk_token}   (preemptions: ${f.shrunk.preemptions}, faults: ${f.shrunk.faults}, steps: ${f.shrunk.steps})`,
    );
    out.push('', f.report.replace(/\n$/, ''));
  }
  out.push('');
  const bounds =
    r.strategy === 'dpor'
      ? ` (preemption bound ${r.bounds.preemptions ?? 'none'}, fault budget ${r.bounds.faults})`
      : ` (fault budget ${r.bounds.faults})`;
  const stats = Object.entries(r.stats)
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toExponential(3) : v}`)
    .join(' ');
  const n = r.findings.length;
  const what = `${r.executions} executions, ${r.steps} steps, ${(r.elapsed_ms / 1000).toFixed(2)} s${stats ? `; ${stats}` : ''}`;
  if (r.complete) {
    // Under a preemption bound, DPOR's search is not a proof for every run within the bound (bounded
    // DPOR with sleep sets can miss a trace whose only in-bound orders it prunes: docs/fidelity/explore.md).
    const every = r.strategy === 'dpor' && r.bounds.preemptions === null;
    out.push(
      n > 0
        ? c.red(
            `FOUND ${n} finding${n === 1 ? '' : 's'}: ${every ? 'explored every trace' : 'finished the bounded search'}${bounds}: ${what}`,
          )
        : c.green(`OK: no findings in ${every ? 'any trace' : 'the bounded search'}${bounds}: ${what}`),
    );
  } else {
    out.push(
      c.yellow(
        `INCOMPLETE: ${r.incomplete_reason}; ${n > 0 ? `${n} finding${n === 1 ? '' : 's'}` : 'no findings in what was explored'}${bounds}: ${what}`,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}

/** 0 complete and clean, 1 findings, 3 incomplete without findings. */
export function exitStatus(r: ResultJson): number {
  if (r.findings.length > 0) return 1;
  return r.complete ? 0 : 3;
}

async function progressBar(): Promise<{ update(p: Progress): void; stop(): void } | null> {
  if (!process.stderr.isTTY) return null;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {value} executions | {rate}/s | {findings} findings',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(100, 0, { rate: 0, findings: 0 });
  return {
    update(p: Progress) {
      const rate = Math.round(p.executions / Math.max(0.001, p.elapsedMs / 1000));
      bar.setTotal(
        p.fraction !== undefined
          ? Math.max(p.executions, Math.round(p.executions / Math.max(p.fraction, 1e-9)))
          : p.executions + 1,
      );
      bar.update(p.executions, { rate, findings: p.findings });
    },
    stop() {
      bar.stop();
    },
  };
}

export function registerExplore(program: Command): void {
  program
    .command('explore')
    .description('explore a scenario and report findings with replay tokens')
    .requiredOption('--scenario <name|file>', 'built-in scenario name or scenario file')
    .option('--variant <name>', 'model variant')
    .option('--config <name>', 'kernel config')
    .option('--set <knob=value>', 'override a variant knob (repeatable)', collect, [] as string[])
    .option('--param <name=value>', 'set a scenario parameter (repeatable)', collect, [] as string[])
    .addOption(new Option('--strategy <name>', 'exploration strategy').choices(STRATEGIES).default(DEFAULTS.strategy))
    .option('--preemptions <n>', 'dpor preemption bound (-1: none)', intArg(-1), DEFAULTS.preemptions)
    .option('--faults <n>', 'fault budget per run', intArg(0), DEFAULTS.faults)
    .option('--budget <n>', 'stop after N executions', intArg(1))
    .option('--time <seconds>', 'stop after this much wall time', numArg)
    .option('--seed <n>', 'seed for pct/random', intArg(0), DEFAULTS.seed)
    .option('--jobs <n>', 'worker threads (default: the number of cores)', intArg(1))
    .option('--depth <d>', 'pct bug depth', intArg(1), DEFAULTS.depth)
    .option(
      '--watchdog-ms <n>',
      'stop a run whose task goes this long without a scheduling point, and report it',
      intArg(1),
      WATCHDOG_MS_DEFAULT,
    )
    .option('--no-shrink', 'do not shrink findings')
    .option('--json', 'print one JSON object')
    // --trace/--html (report/, issue 6): pictures of the findings, written by run/visual.ts.
    .option('--trace <file.json>', "write the first finding's run as Chrome Trace Event JSON")
    .option('--html <file.html>', 'write a self-contained HTML timeline of the findings')
    // --shard/--out (issue 14): this machine's part of a sharded exploration, for kernsim merge (cli/shard.ts).
    .option('--shard <i/N>', 'explore part i of N (a deterministic partition; merge the parts with kernsim merge)')
    .option('--out <file.ndjson>', "write this shard's result as NDJSON (default with --shard: stdout)")
    .action(async (o) => {
      const req = {
        scenario: o.scenario,
        variant: o.variant,
        config: o.config,
        sets: o.set,
        params: o.param,
        strategy: o.strategy as StrategyName,
        preemptions: o.preemptions,
        faults: o.faults,
        budget: o.budget,
        timeLimitS: o.time,
        seed: o.seed,
        ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
        depth: o.depth,
        watchdogMs: o.watchdogMs,
        shrink: o.shrink,
      };
      if (sharded(o)) return exploreShard(req, { ...o, others: { '--trace': o.trace, '--html': o.html } });
      checkOutputPaths({ '--trace': o.trace, '--html': o.html });
      onInterrupt();
      const { baseRunToken, runExploration } = await import('../run/exploration.js');
      const bar = o.json ? null : await progressBar();
      let r: ResultJson;
      try {
        r = await runExploration({ ...req, ...(bar ? { onProgress: (p: Progress) => bar.update(p) } : {}) });
      } finally {
        bar?.stop();
      }
      const out: JsonOutput = { version: 1, results: [r] };
      process.stdout.write(o.json ? `${JSON.stringify(out, null, 2)}\n` : formatResult(r, colors()));
      process.exitCode = exitStatus(r);
      if (stopRequested()) {
        process.exitCode = INTERRUPTED_STATUS;
        if (o.trace || o.html) process.stderr.write('kernsim: interrupted: --trace/--html not written\n');
        return;
      }
      const baseToken =
        o.trace && r.findings.length === 0
          ? await baseRunToken(o.scenario, o.variant, o.config, o.set, o.param)
          : undefined;
      if (o.trace || o.html) {
        // issue 6 (run/visual.ts, loaded only for a picture)
        const { writeExploreVisuals } = await import('../run/visual.js');
        await writing('the pictures', () =>
          writeExploreVisuals(r, {
            trace: o.trace,
            html: o.html,
            baseToken,
            note: (l) => process.stderr.write(`kernsim: ${l}\n`),
          }),
        );
      }
      process.exitCode = exitStatus(r);
    });

  program
    .command('replay')
    .description('replay a token and print its report')
    .argument('<token>', 'a ks1-… token from explore')
    .option(
      '--scenario <file>',
      "the scenario file to replay the token on (a token of a user scenario needs it when the token's file is not there or has changed)",
    )
    .option('--json', 'print one JSON object')
    .option(
      '--watchdog-ms <n>',
      'stop the run if a task goes this long without a scheduling point, and report it',
      intArg(1),
      WATCHDOG_MS_DEFAULT,
    )
    // --trace/--html (report/, issue 6): the replayed run as a picture, written by run/visual.ts.
    .option('--trace <file.json>', 'write the run as Chrome Trace Event JSON')
    .option('--html <file.html>', 'write a self-contained HTML timeline of the run')
    .action(async (token, o) => {
      checkOutputPaths({ '--trace': o.trace, '--html': o.html });
      const { replay } = await import('../run/replay-json.js');
      let out: ReplayJson;
      try {
        out = await replay(token, { scenario: o.scenario, watchdogMs: o.watchdogMs });
      } catch (e) {
        if (e instanceof TokenError) throw new UsageError(e.message);
        throw e;
      }
      if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      else if (out.finding) process.stdout.write(`${out.finding.report.replace(/\n$/, '')}\n`);
      else process.stdout.write(`no finding: the run ended (${out.end}) after ${out.steps} steps\n`);
      process.exitCode = out.finding ? 1 : 0;
      if (out.finding?.kind === WATCHDOG_KIND) {
        if (o.trace || o.html) process.stderr.write('kernsim: the run hangs: --trace/--html not written\n');
        return;
      }
      if (o.trace || o.html) {
        // issue 6 (run/visual.ts, loaded only for a picture)
        const { writeTokenVisuals } = await import('../run/visual.js');
        await writing('the pictures', () =>
          writeTokenVisuals(token, { trace: o.trace, html: o.html, scenarioFile: o.scenario }),
        );
      }
      process.exitCode = out.finding ? 1 : 0;
    });
}
