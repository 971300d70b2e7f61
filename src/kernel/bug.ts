/**
 * WARN_ON / WARN_ON_ONCE / WARN / BUG_ON (include/asm-generic/bug.h) and printk.
 * The reports are formatted by check/warn.ts; here we only raise the events.
 */
import { ACCESS_READ, ACCESS_WRITE, TaskKilled, current, machine, RunSlot } from '../sim/index.js';
import { onBoot } from './kernel.js';

const ONCE = new RunSlot('warn-once', () => new Set<string>());
const ONCE_ID = new RunSlot<number>('warn-once-id');

// The WARN_ON_ONCE() flags (the kernel's __warned bits in .data.once): which task reports a warning
// two tasks reach depends on their order, so the flags are state with an object id (one for all
// sites, allocated at boot): the call that fires writes it, one that finds its flag set reads it.
onBoot((k) => {
  k.machine.ext.set(ONCE_ID, k.machine.newId());
});

function once_id(): number {
  const m = machine();
  let id = m.ext.get(ONCE_ID);
  if (id === undefined) m.ext.set(ONCE_ID, (id = m.newId()));
  return id;
}

/** WARN_ON(cond): returns cond. `site` is the kernel source location, e.g. "mm/mmu_notifier.c:290". */
export function WARN_ON(cond: boolean, site = '', message = ''): boolean {
  if (cond) {
    const [file = '', line = '0'] = site.split(':');
    machine().emit({ type: 'warn', file, line: Number(line), message, task: current() } as never);
  }
  return cond;
}

/** WARN_ON_ONCE(cond): reports only the first time per site in a run. */
export function WARN_ON_ONCE(cond: boolean, site = '', message = ''): boolean {
  if (!cond) return false;
  const m = machine();
  const once = m.ext.of(ONCE);
  const key = site || current().frames.join('/');
  if (once.has(key)) {
    m.access(once_id(), ACCESS_READ);
    return true;
  }
  m.access(once_id(), ACCESS_WRITE);
  once.add(key);
  return WARN_ON(true, site, message);
}

/** WARN(cond, fmt): WARN_ON with a message line. */
export function WARN(cond: boolean, message: string, site = ''): boolean {
  return WARN_ON(cond, site, message);
}

/** BUG_ON(cond): reports "kernel BUG" and kills the current task. */
export function BUG_ON(cond: boolean, site = ''): void {
  if (!cond) return;
  const [file = '', line = '0'] = site.split(':');
  machine().emit({ type: 'bug', file, line: Number(line), task: current() } as never);
  throw new TaskKilled();
}

export function printk(level: string, text: string): void {
  const m = machine();
  m.emit({ type: 'printk', level, text, task: m.current } as never);
}

export const pr_info = (text: string): void => printk('info', text);
export const pr_err = (text: string): void => printk('err', text);
export const pr_warn = (text: string): void => printk('warn', text);
