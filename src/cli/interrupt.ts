/**
 * Ctrl-C: SIGINT/SIGTERM ask the exploration to stop at the next run
 * boundary (the partial result is then printed, exit status 130); a second
 * one exits at once. The flag itself is the library's (run/stop.ts), shared
 * with the worker threads.
 */
import { requestStop, stopRequested } from '../run/stop.js';

export { stopRequested } from '../run/stop.js';

export const INTERRUPTED_STATUS = 130;

let installed: (() => void) | null = null;

/** Installs the handlers (once); returns a function that removes them. */
export function onInterrupt(): () => void {
  if (installed) return installed;
  const handler = (sig: NodeJS.Signals) => {
    if (stopRequested()) {
      process.stderr.write(`kernsim: ${sig} again: exiting now\n`);
      process.exit(INTERRUPTED_STATUS);
    }
    requestStop();
    process.stderr.write(
      `kernsim: ${sig}: stopping at the next run boundary to print what was explored (again to exit now)\n`,
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  installed = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    installed = null;
  };
  return installed;
}
