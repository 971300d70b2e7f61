/** The `kernsim` command. Each subcommand lives in its own file and registers itself here. */
import { Command, CommanderError } from '@commander-js/extra-typings';
import type { Command as PlainCommand } from 'commander';
import { UsageError } from '../scenarios/index.js';
import { registerCheck } from './check.js';
import { registerExplore } from './explore.js';
import { registerFleet } from './fleet.js';
import { registerList } from './list.js';
import { registerMerge } from './merge.js';

export const program = new Command()
  .name('kernsim')
  .description('Explore kernel-style concurrent code on a deterministic machine, with the kernel’s own sanitizers.')
  .addHelpText(
    'after',
    '\nExit status: 0 complete and clean (check: every cell matches, each complete), 1 findings (check: a\n' +
      'cell differs from docs/verdicts.md), 2 bad input, 3 incomplete without findings (check: every cell\n' +
      'matches but some did not finish: a budget, a time limit, runs cut at the step limit), 4 internal\n' +
      'error (a bug in kernsim), 130 interrupted (Ctrl-C: the partial result is printed). See docs/errors.md.',
  )
  .exitOverride();

registerList(program);
registerExplore(program);
registerCheck(program);
registerMerge(program);
registerFleet(program);

/** Commander's own errors: one line, and where to read more (never a page of help). */
function oneLineErrors(cmd: PlainCommand): void {
  const name = cmd.parent === null ? 'kernsim' : `kernsim ${cmd.name()}`;
  cmd.configureOutput({
    outputError: (str, write) => {
      const line = str.split('\n').find((l) => l.trim() !== '') ?? str;
      write(`kernsim: ${line.replace(/^error: /, '').trim()} (see '${name} --help')\n`);
    },
  });
  for (const c of cmd.commands) oneLineErrors(c);
}
oneLineErrors(program as unknown as PlainCommand);

/**
 * An option that takes one value given twice (`--strategy dpor --strategy pct`) is refused:
 * commander would silently keep the last. Repeatable options (their default is a list) are not.
 */
program.hook('preAction', (_root, action) => {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(action.name());
  const args = at >= 0 ? argv.slice(at + 1) : argv;
  for (const o of action.options) {
    if (Array.isArray(o.defaultValue) || !(o.required || o.optional)) continue;
    const flags = [o.long, o.short].filter((f): f is string => typeof f === 'string');
    let n = 0;
    for (const a of args) {
      if (a === '--') break;
      if (flags.some((f) => a === f || a.startsWith(`${f}=`))) n++;
    }
    if (n > 1) throw new UsageError(`${o.long ?? o.short} given ${n} times (it takes one value)`);
  }
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof UsageError) {
    process.stderr.write(`kernsim: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    // A bug in kernsim itself (never the model's: those are findings): its own status, with the stack.
    process.stderr.write(`kernsim: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 4;
  }
}
