/** The `kernsim` command. Each subcommand lives in its own file and registers itself here. */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { UsageError } from '../scenarios/index.js';
import { registerCheck } from './check.js';
import { registerExplore } from './explore.js';
import { registerList } from './list.js';

export const program = new Command()
  .name('kernsim')
  .description('Explore kernel-style concurrent code on a deterministic machine, with the kernel’s own sanitizers.')
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
