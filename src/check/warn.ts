/**
 * WARN_ON / BUG_ON reports (kernel/panic.c __warn(), lib/bug.c report_bug(),
 * arch/x86/kernel/dumpstack.c die()).
 *
 * A WARN prints the cut-here banner, the optional message, the
 * "WARNING: CPU: N PID: P at FILE:LINE FUNC" line, the modules, the register
 * dump header and the call trace, then taints the kernel with W. A BUG prints
 * "kernel BUG at FILE:LINE!" and the invalid-opcode Oops; the kernel layer
 * then kills the task.
 *
 * The "at FILE:LINE FUNC" of the WARNING line names the function the WARN is in (the innermost
 * frame, machinery included, as the kernel's RIP does); the title names the first frame outside the
 * machinery. A WARN in lib/refcount.c (refcount_warn_saturate(): "refcount_t: underflow;
 * use-after-free." and its siblings) is titled as syzbot titles it, "WARNING: refcount bug in FUNC".
 */
import type { BugEvent, WarnEvent } from '../kernel/events.js';
import { locationOf } from '../sim/index.js';
import type { RunLog } from './format.js';
import type { Checker } from './checker.js';

const CUT_HERE = '------------[ cut here ]------------';
const END_TRACE = '---[ end trace 0000000000000000 ]---';

function installWarn(log: RunLog): void {
  function warn(ev: WarnEvent): void {
    const t = ev.task;
    const fn = locationOf(t.frames, t.entry);
    const lines = [CUT_HERE];
    if (ev.message) lines.push(ev.message);
    const inner = t.frames[t.frames.length - 1] ?? fn;
    const at = ev.file ? `${ev.file}:${ev.line} ${inner}` : inner;
    lines.push(`WARNING: CPU: ${t.cpu} PID: ${t.pid} at ${at}`);
    lines.push('Modules linked in:');
    lines.push(log.header(t));
    lines.push(`RIP: 0010:${inner}`);
    lines.push(`Call Trace:\n${traceOf(t.frames)}`);
    lines.push(END_TRACE);
    const title = ev.file === 'lib/refcount.c' ? `WARNING: refcount bug in ${fn}` : `WARNING in ${fn}`;
    log.m.report({ kind: 'warn', title, text: lines.join('\n') });
    log.taint('W');
  }

  function bug(ev: BugEvent): void {
    const t = ev.task;
    const fn = locationOf(t.frames, t.entry);
    const lines = [CUT_HERE];
    lines.push(ev.file ? `kernel BUG at ${ev.file}:${ev.line}!` : 'kernel BUG!');
    lines.push(log.die('Oops: invalid opcode', 0));
    lines.push(log.header(t));
    lines.push(`RIP: 0010:${fn}`);
    lines.push(`Call Trace:\n${traceOf(t.frames)}`);
    lines.push('Modules linked in:');
    lines.push(END_TRACE);
    log.m.report({ kind: 'warn', title: `kernel BUG in ${fn}`, text: lines.join('\n') });
    log.taint('D');
  }

  log.on('warn', warn);
  log.on('bug', bug);
}

function traceOf(frames: readonly string[]): string {
  const lines = [' <TASK>'];
  for (let i = frames.length - 1; i >= 0; i--) lines.push(` ${frames[i] as string}`);
  lines.push(' </TASK>');
  return lines.join('\n');
}

/** WARN_ON / BUG_ON: the checker (check/checker.ts). */
export const warn: Checker = { name: 'warn', install: ({ log }) => installWarn(log) };
