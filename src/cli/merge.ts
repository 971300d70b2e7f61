/** `kernsim merge FILE…`: shard files (--shard i/N --out FILE) added up into the single-machine result. */
import { intArg } from './args.js';
import type { Command } from '@commander-js/extra-typings';
import pc from 'picocolors';
import { checkJson, checkStatus, formatCheck } from './check.js';
import { exitStatus, formatResult } from './explore.js';
import { onInterrupt } from './interrupt.js';
import type { JsonOutput } from '../report/json.js';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('combine the shard files of one exploration or check (--shard i/N --out FILE) into its result')
    .argument('<files...>', 'the shard files, every shard 1..N once')
    .option('--json', 'print one JSON object (as explore/check --json)')
    .option('--jobs <n>', "worker threads for what no shard could explore (a DPOR tree's later rounds)", intArg(1))
    .action(async (files, o) => {
      onInterrupt();
      const { mergeShards } = await import('../fleet/merge.js');
      const m = await mergeShards(files, o.jobs !== undefined ? { jobs: o.jobs } : {});
      const color = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
      if (m.kind === 'check') {
        process.stdout.write(o.json ? checkJson(m.result) : formatCheck(m.result, color));
        process.exitCode = checkStatus(m.result);
        return;
      }
      if (m.ranHere.tasks > 0)
        process.stderr.write(
          `kernsim: merge: explored the later rounds of the DPOR tree here: ${m.ranHere.tasks} subtrees, ${m.ranHere.executions} executions\n`,
        );
      const out: JsonOutput = { version: 1, results: [m.result] };
      process.stdout.write(o.json ? `${JSON.stringify(out, null, 2)}\n` : formatResult(m.result, color));
      process.exitCode = exitStatus(m.result);
    });
}
