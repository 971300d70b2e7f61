/**
 * The stop flag: a request to stop at the next run boundary (Ctrl-C, or a
 * library caller's own reason). It lives in shared memory, so the pool's
 * worker threads see it too: a task carries the buffer and its thread adopts
 * it. The signal handlers that set it are the CLI's (cli/interrupt.ts).
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
