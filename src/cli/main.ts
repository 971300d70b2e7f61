/** The `kernsim` command. Each subcommand lives in its own file and registers itself here. */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { UsageError } from '../scenarios/index.js';
import { registerCheck } from './check.js';
import { registerExplore } from './explore.js';
import { registerList } from './list.js';

export const program = new Command()
  .name('kernsim')
  .description('Explore kernel-style concurrent code on a deterministic machine, with the kernel’s own sanitizers.')
  .addHelpText(
    'after',
    '\nExit status: 0 complete and clean (check: every cell matches, each complete), 1 findings (check: a\n' +
      'cell differs from docs/verdicts.md), 2 bad input, 3 incomplete without findings (check: every cell\n' +
      'matches but some did not finish: a budget, a time limit, runs cut at the step limit).',
  )
  .showHelpAfterError()
  .exitOverride();

registerList(program);
registerExplore(program);
registerCheck(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError) {
    process.stderr.write(`kernsim: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
