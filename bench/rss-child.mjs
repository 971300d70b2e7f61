// Runs the built CLI in this process with the given arguments and prints its peak resident memory
// (process.resourceUsage().maxRSS, worker threads included) to stderr as `maxrss-kb N` when it exits.
// With the V8 flags bin/kernsim.js sets, so the figure is the CLI's.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
setFlagsFromString('--heap-growing-percent=50');
process.argv = [process.argv[0], 'kernsim', ...process.argv.slice(2)];
process.on('exit', () => process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`));
await import('../dist/cli/main.js');
