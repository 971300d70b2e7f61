/**
 * Ctrl-C: SIGINT/SIGTERM ask the exploration to stop at the next run
 * boundary (the partial result is then printed, exit status 130); a second
 * one exits at once. The request is a flag in shared memory, so the pool's
 * worker threads (which get no signals) see it too: a task carries the
 * buffer and its thread adopts it.
 */
let buffer = new SharedArrayBuffer(4);
let flag = new Int32Array(buffer);

/** The stop flag's buffer, to hand to worker threads. */
export function stopBuffer(): SharedArrayBuffer {
  return buffer;
}

/** Makes this thread read (and write) another thread's stop flag. */
export function adoptStop(b: SharedArrayBuffer | undefined): void {
  if (!b || b === buffer) return;
  buffer = b;
  flag = new Int32Array(b);
}

export function stopRequested(): boolean {
  return Atomics.load(flag, 0) !== 0;
}

export function requestStop(): void {
  Atomics.store(flag, 0, 1);
}

/** For tests: clears the flag. */
export function resetStop(): void {
  Atomics.store(flag, 0, 0);
}

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
