/**
 * Exceptions thrown by a scenario's own setup() or finish() (model code that
 * runs outside any task): reported as an Oops in the run's findings, never a
 * tool crash. The JavaScript call trace is kept (file names without host
 * directories, so the text does not depend on where the checkout lives), down
 * to the harness frame that called the hook.
 */
import { basename } from 'node:path';
import type { Machine } from '../sim/index.js';

export type Hook = 'setup' | 'finish';

/** Whether a value is a promise-like (an async setup()/finish()). */
function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    (typeof v === 'object' || typeof v === 'function') &&
    v !== null &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** Thrown for an async hook: the machine runs hooks synchronously. */
class AsyncHook extends Error {
  override readonly name = 'AsyncHook';
}

/** The error's JS stack as kernel-trace lines: function (file:line:col), innermost first. */
export function jsTrace(err: unknown): string[] {
  const stack = err instanceof Error && typeof err.stack === 'string' ? err.stack : '';
  const out: string[] = [];
  for (const line of stack.split('\n').slice(1)) {
    const m = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const file = (m[2] as string).replace(/^file:\/\//, '');
    // The harness frame that called the hook ends the model's part of the trace.
    if (/[\\/]src[\\/]run[\\/](session|model-error)\.ts$/.test(file) || file.startsWith('node:')) break;
    out.push(` ${m[1] ?? '<anonymous>'} (${basename(file)}:${m[3]}:${m[4]})`);
    if (out.length >= 16) break;
  }
  return out;
}

function scrub(msg: string): string {
  return msg.replace(/(?:file:\/\/)?(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}/g, (p) => basename(p));
}

/** Reports an exception of a scenario hook as an Oops of the run. */
export function reportHookException(m: Machine, scenario: string, hook: Hook, err: unknown): void {
  const async = err instanceof AsyncHook;
  const name = async ? 'async' : err instanceof Error ? err.name : typeof err;
  const message = scrub(err instanceof Error ? err.message : String(err));
  const title = async ? `Oops: async ${hook}()` : `Oops: ${name} in ${hook}()`;
  const lines = [
    async ? `Oops: ${hook}() returned a Promise` : `Oops: ${name}: ${message}`,
    `kernsim: scenario ${scenario}: ${hook}() ${async ? message : `threw ${name}: ${message}`}`,
    `RIP: 0010:${hook}`,
  ];
  const trace = jsTrace(err);
  if (trace.length > 0) lines.push(`Call Trace:\n${trace.join('\n')}`);
  lines.push('---[ end trace 0000000000000000 ]---');
  m.report({ kind: 'oops', title, text: lines.join('\n') });
}

/**
 * Runs a scenario hook; an exception (or a returned promise: an async hook whose awaits would
 * run outside the machine) becomes an Oops. Returns false when the hook failed.
 */
export function runHook(m: Machine, scenario: string, hook: Hook, fn: () => unknown): boolean {
  try {
    const r = fn();
    if (isThenable(r)) {
      // Its rejection (if any) is this report, not an unhandled rejection that kills the tool.
      Promise.resolve(r).then(undefined, () => {});
      throw new AsyncHook(
        'is async: the simulated machine runs it synchronously before (setup) or after (finish) the run, so code after an await would run outside the machine; make it synchronous',
      );
    }
    return true;
  } catch (e) {
    reportHookException(m, scenario, hook, e);
    return false;
  }
}
