/**
 * `kernsim fleet run` and `kernsim fleet work`: one exploration (or a whole check) spread over
 * worker processes on any number of machines through BullMQ on Redis (src/fleet/fleet.ts).
 * BullMQ is only loaded when a fleet command runs.
 */
import { checkMatrixOptions, collect, intArg, numArg } from './args.js';
import { type Command, Option } from '@commander-js/extra-typings';
import pc from 'picocolors';
import type { FleetProgress } from '../fleet/fleet.js';
import { UsageError } from '../scenarios/index.js';
import { checkJson, checkStatus, formatCheck } from './check.js';
import { exitStatus, formatResult } from './explore.js';
import { INTERRUPTED_STATUS, onInterrupt, stopRequested } from './interrupt.js';
import { checkOutputPaths } from './output.js';
import type { JsonOutput } from '../report/json.js';
import type { StrategyName } from '../run/options.js';
import { WATCHDOG_MS_DEFAULT } from '../run/watchdog.js';

/** Progress on stderr: a line redrawn every second on a terminal, a plain line every 10 s otherwise. */
function progress(): (p: FleetProgress) => void {
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  return (p) => {
    if (!tty && p.elapsedMs - last < 10_000) return;
    last = p.elapsedMs;
    const line = `fleet: ${p.done} done, ${p.pending} in the queue, ${p.executions} executions, ${(p.elapsedMs / 1000).toFixed(0)} s`;
    process.stderr.write(tty ? `\r${line}\u001b[K` : `${line}\n`);
  };
}

function one(v: readonly string[], what: string): string | undefined {
  if (v.length > 1)
    throw new UsageError(`fleet run: ${what} given ${v.length} times (it takes one value without --check)`);
  return v[0];
}

export function registerFleet(program: Command): void {
  const fleet = program
    .command('fleet')
    .description('spread one exploration or a whole check over worker processes through BullMQ on Redis');

  fleet
    .command('run')
    .description('enqueue an exploration (or, with --check, every cell of the check) and print its result')
    .requiredOption('--redis <url>', 'the Redis server (redis://host:port)')
    .option('--check', 'run the check (the verdict matrix) instead of one exploration')
    .option(
      '--scenario <name|file>',
      'scenario (with --check: only this scenario, repeatable)',
      collect,
      [] as string[],
    )
    .option('--variant <name>', 'model variant (with --check: repeatable)', collect, [] as string[])
    .option('--config <name>', 'kernel config (with --check: repeatable)', collect, [] as string[])
    .option('--set <knob=value>', 'override a variant knob (repeatable)', collect, [] as string[])
    .option('--param <name=value>', 'set a scenario parameter (repeatable; without --check)', collect, [] as string[])
    .addOption(
      new Option('--strategy <name>', 'exploration strategy')
        .choices(['dpor', 'pct', 'random'] as const)
        .default('dpor' as const),
    )
    .option('--preemptions <n>', 'dpor preemption bound (-1: none)', intArg(-1))
    .option('--faults <n>', 'fault budget per run', intArg(0))
    .option('--budget <n>', 'pct/random: executions', intArg(1))
    .option('--time <seconds>', 'stop launching subtrees after this much wall time', numArg)
    .option('--seed <n>', 'seed for pct/random', intArg(0), 1)
    .option('--depth <d>', 'pct bug depth', intArg(1), 2)
    .option(
      '--watchdog-ms <n>',
      'stop a run whose task (or check cell) goes this long without a scheduling point, and report it',
      intArg(1),
      WATCHDOG_MS_DEFAULT,
    )
    .option('--shrink', 'shrink findings (the default without --check)')
    .option('--no-shrink', 'do not shrink findings')
    .option('--verdicts <file>', 'with --check: the expected verdicts')
    .option('--state <file>', 'resume from this file if it exists; save the results there if the run cannot finish')
    .option('--json', 'print one JSON object (as explore/check --json)')
    .action(async (o) => {
      if (o.state !== undefined) checkOutputPaths({ '--state': o.state });
      const { fleetCheck, fleetExplore } = await import('../fleet/fleet.js');
      onInterrupt();
      const run = {
        redis: o.redis,
        state: o.state,
        onProgress: o.json ? undefined : progress(),
        note: (l: string) => process.stderr.write(`kernsim: ${l}\n`),
      };
      const color = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
      if (o.check) {
        if (o.param.length > 0) throw new UsageError('fleet run: --param is for one exploration (not with --check)');
        const { DEFAULT_VERDICTS } = await import('../run/matrix.js');
        const r = await fleetCheck({ ...checkMatrixOptions(o), verdicts: o.verdicts ?? DEFAULT_VERDICTS }, run);
        if (process.stderr.isTTY && !o.json) process.stderr.write('\n');
        process.stdout.write(o.json ? checkJson(r) : formatCheck(r, color));
        process.exitCode = stopRequested() ? INTERRUPTED_STATUS : checkStatus(r);
        return;
      }
      const scenario = one(o.scenario, '--scenario');
      if (scenario === undefined) throw new UsageError('fleet run: --scenario is required (or --check)');
      const r = await fleetExplore(
        {
          scenario,
          variant: one(o.variant, '--variant'),
          config: one(o.config, '--config'),
          sets: o.set,
          params: o.param,
          strategy: o.strategy as StrategyName,
          ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
          ...(o.faults !== undefined ? { faults: o.faults } : {}),
          budget: o.budget,
          timeLimitS: o.time,
          seed: o.seed,
          depth: o.depth,
          watchdogMs: o.watchdogMs,
          shrink: o.shrink ?? true,
        },
        run,
      );
      if (process.stderr.isTTY && !o.json) process.stderr.write('\n');
      const out: JsonOutput = { version: 1, results: [r] };
      process.stdout.write(o.json ? `${JSON.stringify(out, null, 2)}\n` : formatResult(r, color));
      process.exitCode = stopRequested() ? INTERRUPTED_STATUS : exitStatus(r);
    });

  fleet
    .command('work')
    .description('pull jobs (subtrees, check cells) from the queue and run them, until stopped')
    .requiredOption('--redis <url>', 'the Redis server (redis://host:port)')
    .option('--jobs <n>', 'jobs at once, each on its own thread (default: the number of cores)', intArg(1))
    .option(
      '--lock-ms <ms>',
      "how long a job stays claimed by a worker that stopped answering (then it's retried)",
      intArg(1000),
      30_000,
    )
    .option('--idle <seconds>', 'exit after this long without a job', numArg)
    .action(async (o) => {
      const { fleetWork } = await import('../fleet/fleet.js');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const n = await fleetWork({
          redis: o.redis,
          ...(o.jobs !== undefined ? { jobs: o.jobs } : {}),
          lockMs: o.lockMs,
          ...(o.idle !== undefined ? { idleSeconds: o.idle } : {}),
          note: (l) => process.stderr.write(`kernsim: fleet work: ${l}\n`),
          signal: stop.signal,
        });
        process.stderr.write(`kernsim: fleet work: ran ${n} job${n === 1 ? '' : 's'}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        // A connection or thread the libraries keep open after the worker is done (a Redis that
        // went away mid-command) must not keep the process alive: it exits with its status soon
        // after (an unref'd timer never delays a normal exit).
        setTimeout(() => process.exit(), 2_000).unref();
      }
    });
}
