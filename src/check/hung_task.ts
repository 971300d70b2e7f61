/**
 * Hung task detector (kernel/hung_task.c), only with CONFIG_DETECT_HUNG_TASK.
 *
 * Virtual time makes the 120 s timeout free: at the end of a run that
 * finished with nothing runnable, a task that is blocked in
 * TASK_UNINTERRUPTIBLE (not TASK_WAKEKILL, not TASK_NOLOAD) or waits to
 * acquire a sleeping lock (not a _killable variant) can never run again, so
 * khungtaskd would fire. Each such task gets the kernel's report with
 * sched_show_task() and, with lockdep, debug_show_all_locks(); at most
 * hung_task_warnings (10) reports per run. None after an Oops or BUG (TAINT_DIE), as
 * check_hung_uninterruptible_tasks() returns then.
 */
import { task_tgid_nr } from '../kernel/sched/core.js';
import { utsRelease, utsVersion } from '../kernel/config.js';
import { type Machine, type Task, locationOf } from '../sim/index.js';
import { type RunLog, taskTrace } from './format.js';
import type { Checker } from './checker.js';

const TASK_UNINTERRUPTIBLE = 2;
const TASK_WAKEKILL = 0x100;
const TASK_NOLOAD = 0x400;
const HUNG_TASK_WARNINGS = 10;

/** Whether a task is stuck in an uninterruptible sleep (or a sleeping lock wait) that can never end. */
export function isHung(t: Task): boolean {
  if (t.dead || t.pid === 0) return false;
  const p = t.pending;
  if (p !== undefined) {
    if (!p.sleeping || p.canAcquire(t)) return false;
    for (let i = t.frames.length - 1; i >= 0; i--) if ((t.frames[i] as string).endsWith('_killable')) return false;
    return true;
  }
  if (!t.blocked) return false;
  const s = t.state;
  return (s & TASK_UNINTERRUPTIBLE) !== 0 && (s & TASK_WAKEKILL) === 0 && (s & TASK_NOLOAD) === 0;
}

/** debug_show_all_locks(). */
export function showAllLocks(log: RunLog, m: Machine): string {
  if (!log.debugLocks) return 'INFO: lockdep is turned off.';
  const lines = ['', 'Showing all locks held in the system:'];
  for (const t of m.tasks) if (!t.dead && t.held.length > 0) lines.push(log.heldLocks(t));
  lines.push('', '=============================================', '');
  return lines.join('\n');
}

export function schedShowTask(t: Task): string {
  const comm = t.comm.slice(0, 15).padEnd(15);
  const ppid = t.kthread ? 2 : 1;
  const head =
    `task:${comm} state:D stack:${'0'.padEnd(5)} pid:${String(t.pid).padEnd(5)} ` +
    `tgid:${String(task_tgid_nr(t)).padEnd(5)} ppid:${String(ppid).padEnd(6)} flags:0x00004000`;
  const top = t.pending !== undefined ? ['__schedule', 'schedule'] : ['__schedule'];
  return `${head}\nCall Trace:\n${taskTrace(t.frames, top)}`;
}

function installHungTask(log: RunLog): { atEnd(): void } {
  const { config } = log;
  return {
    atEnd(): void {
      if (!config.DETECT_HUNG_TASK) return;
      const m = log.m;
      // check_hung_uninterruptible_tasks(): "If the system crashed already then all bets are off,
      // do not report extra hung tasks" (test_taint(TAINT_DIE): an Oops or BUG happened).
      if (log.tainted_by('D')) return;
      let warnings = HUNG_TASK_WARNINGS;
      for (const t of m.tasks) {
        if (!isHung(t)) continue;
        const title = `INFO: task hung in ${locationOf(t.frames, t.entry)}`;
        if (m.reported(title)) continue;
        if (warnings-- <= 0) break;
        const lines = [
          `INFO: task ${t.comm}:${t.pid} blocked for more than ${config.hung_task_timeout_secs} seconds.`,
          `      ${log.tainted()} ${utsRelease(config)} ${utsVersion(config).split(' ')[0] as string}`,
          '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
          schedShowTask(t),
        ];
        if (config.PROVE_LOCKING) lines.push(showAllLocks(log, m));
        m.report({ kind: 'hung_task', title, text: lines.join('\n') });
      }
    },
  };
}

/** DETECT_HUNG_TASK: the checker (check/checker.ts). */
export const hung_task: Checker = { name: 'hung_task', install: ({ log }) => installHungTask(log) };
