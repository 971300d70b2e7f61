/** Frames for scenario code that runs outside a kfunc (a finish() check, a plain task body). */
import { current } from '../sim/index.js';

/**
 * Runs `body` with `name` pushed on the current task's frame stack, so a report made inside it
 * is titled "… in name" (finish() runs as swapper/0). A task body wraps itself with kfunc().
 */
export function inFrame(name: string, body: () => void): void {
  const frames = current().frames;
  frames.push(name);
  try {
    body();
  } finally {
    frames.pop();
  }
}
