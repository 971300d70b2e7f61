/**
 * Oops: an exception thrown by model code becomes a kernel Oops report, never
 * a tool crash (machine.onException). A TypeError that reads or writes a
 * property of null/undefined is a NULL pointer dereference (page fault at
 * address 0); a GeneralProtectionFault (kernel/lib/list.ts: a poison pointer dereferenced) is
 * the kernel's "Oops: general protection fault, probably for non-canonical address 0x…" die
 * (arch/x86/kernel/traps.c exc_general_protection()), titled as syzbot does, "general protection
 * fault in FUNC"; anything else is reported as "Oops: <ErrName>: <message>".
 * Only the error's name and message are printed (host paths stripped), never
 * a host stack, so the text is the same on every machine.
 */
import { type Machine, type Report, type Task, locationOf } from '../sim/index.js';
import { GeneralProtectionFault } from '../kernel/lib/list.js';
import { type RunLog, taskTrace } from './format.js';
import type { Checker } from './checker.js';

const NULL_READ = /^Cannot read propert(y|ies) of (null|undefined)/;
const NULL_WRITE = /^Cannot set propert(y|ies) of (null|undefined)/;

/** Removes host file paths and URLs from an error message. */
function scrub(msg: string): string {
  return msg.replace(/(?:file:\/\/)?(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}/g, '<path>');
}

function oopsHandler(log: RunLog): (t: Task, err: unknown) => Report {
  return (t: Task, err: unknown): Report => {
    const m: Machine = log.m;
    const name = err instanceof Error ? err.name : 'Error';
    const message = scrub(err instanceof Error ? err.message : String(err));
    const fn = locationOf(t.frames, t.entry);
    const isRead = err instanceof TypeError && NULL_READ.test(message);
    const isWrite = err instanceof TypeError && NULL_WRITE.test(message);
    const lines: string[] = [];
    let title: string;
    if (isRead || isWrite) {
      title = `BUG: kernel NULL pointer dereference in ${fn}`;
      lines.push('BUG: kernel NULL pointer dereference, address: 0000000000000000');
      lines.push(`#PF: supervisor ${isWrite ? 'write' : 'read'} access in kernel mode`);
      lines.push(`#PF: error_code(0x000${isWrite ? 2 : 0}) - not-present page`);
      lines.push('PGD 0 P4D 0');
      lines.push(log.die('Oops: Oops', isWrite ? 2 : 0));
    } else if (err instanceof GeneralProtectionFault) {
      // die_addr(desc, regs, error_code, gp_addr): "Oops: <desc>: 0000 [#1] ..." (__die_header()).
      title = `general protection fault in ${fn}`;
      lines.push(log.die(`Oops: ${message}`, 0));
    } else {
      title = `Oops: ${name} in ${fn}`;
      lines.push(`Oops: ${name}: ${message}`);
      lines.push(log.die('Oops: general protection fault', 0));
    }
    lines.push(log.header(t));
    lines.push(`RIP: 0010:${fn}`);
    if (!(err instanceof GeneralProtectionFault)) lines.push(`kernsim: ${name}: ${message}`);
    lines.push(`Call Trace:\n${taskTrace(t.frames)}`);
    lines.push('Modules linked in:');
    lines.push('---[ end trace 0000000000000000 ]---');
    log.taint('D');
    return { kind: 'oops', title, text: lines.join('\n'), step: m.stepIndex, pid: t.pid };
  };
}

/** Oops: exceptions thrown by model code are reported through machine.onException. */
export const oops: Checker = {
  name: 'oops',
  install: ({ log }) => {
    const handler = oopsHandler(log);
    return {
      begin(): void {
        log.m.onException = handler;
      },
    };
  },
};
