/**
 * Livelock (ours; the kernel has no such detector, the closest being the soft-lockup watchdog):
 * a run that reached the step limit although every ready task kept getting steps (the machine
 * calls runs that starve a ready task unfair and drops them), and in whose last half no task was
 * created, exited, blocked or woken, is a run in which tasks keep running without progress: a
 * retry loop, a task spinning on a condition nobody will change, two tasks undoing each other's
 * work. It is reported, never passed:
 *
 *   INFO: task COMM:PID livelocked in FUNC
 *
 * COMM:PID is the task that ran most steps in that window (the timer softirq only when nothing
 * else ran), FUNC its innermost model function; the title is the same line. A run cut at the step
 * limit with progress in its last half is neither: the exploration is incomplete (RunResult.cut).
 * An RCU stall reported at the same limit explains the run already, and wins.
 */
import { task_tgid_nr } from '../kernel/sched/core.js';
import { utsRelease, utsVersion } from '../kernel/config.js';
import { type StepLimitEvent, type Task, locationOf } from '../sim/index.js';
import type { RunLog } from './format.js';
import { taskTrace } from './format.js';
import type { Checker } from './checker.js';

function installLivelock(log: RunLog): void {
  const { config } = log;
  log.on<StepLimitEvent>('step_limit', (ev) => {
    const m = log.m;
    if (ev.progress) return;
    if (m.reports.some((r) => r.kind === 'rcu_stall' && r.step === m.stepIndex)) return;
    let spinner: Task | undefined;
    let most = 0;
    for (const [pid, n] of ev.stepsByPid) {
      if (pid === 0 && ev.stepsByPid.size > 1) continue;
      if (n > most) {
        most = n;
        spinner = m.task(pid);
      }
    }
    if (!spinner) return;
    const where = locationOf(spinner.frames, spinner.entry);
    const title = `INFO: task ${spinner.comm}:${spinner.pid} livelocked in ${where}`;
    const others = [...ev.stepsByPid]
      .filter(([pid]) => pid !== spinner.pid)
      .map(([pid, n]) => `${m.task(pid)?.comm ?? '?'}/${pid}: ${n}`);
    const lines = [
      title,
      `      ${log.tainted()} ${utsRelease(config)} ${utsVersion(config).split(' ')[0] as string}`,
      `kernsim: the run reached its step limit (${m.maxSteps} steps); in the last ${ev.window} steps no task was`,
      'created, exited, blocked or woken, and every ready task ran: the tasks keep running without',
      `progress. ${spinner.comm}/${spinner.pid} ran ${most} of those steps${others.length > 0 ? ` (also ${others.join(', ')})` : ''}.`,
      `task:${spinner.comm.slice(0, 15).padEnd(15)} state:R  running task     stack:0     pid:${String(spinner.pid).padEnd(5)} tgid:${String(task_tgid_nr(spinner)).padEnd(5)} ppid:${String(spinner.kthread ? 2 : 1).padEnd(6)} flags:0x00004000`,
      `Call Trace:\n${taskTrace(spinner.frames)}`,
    ];
    m.report({ kind: 'livelock', title, text: lines.join('\n') });
  });
}

/** livelock at the step limit (ours): the checker (check/checker.ts). */
export const livelock: Checker = { name: 'livelock', install: ({ log }) => installLivelock(log) };
