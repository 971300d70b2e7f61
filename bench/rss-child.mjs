// Runs the CLI (bin/kernsim.js, with the V8 flags it sets) in this process with the given arguments
// and prints its peak resident memory (process.resourceUsage().maxRSS, worker threads included) to
// stderr as `maxrss-kb N` when it exits.
process.argv = [process.argv[0], 'kernsim', ...process.argv.slice(2)];
process.on('exit', () => process.stderr.write(`maxrss-kb ${process.resourceUsage().maxRSS}\n`));
await import('../bin/kernsim.js');
