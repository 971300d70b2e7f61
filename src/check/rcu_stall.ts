/**
 * RCU CPU stall warnings (kernel/rcu/tree_stall.h, CONFIG_RCU_STALL_COMMON, always on in the
 * kernel): kernel/rcu/tree.ts emits 'rcu_stall' when a run that cannot end (it reached the step
 * limit, standing for a run that goes on for ever, so past RCU_CPU_STALL_TIMEOUT of 21 s) still has
 * a grace period waiting for readers. Tasks preempted or blocked inside rcu_read_lock() are printed
 * as rcu_print_task_stall() does ("Tasks blocked on level-0 rcu_node"), tasks holding their CPU
 * non-preemptibly as print_cpu_stall_info() does; then sched_show_task() of each. The syzbot title
 * is "INFO: rcu detected stall in FUNC", FUNC the first stalling task's innermost model function.
 */
import { task_tgid_nr } from '../kernel/sched/core.js';
import type { RcuStallEvent } from '../kernel/rcu/events.js';
import { locationOf } from '../sim/index.js';
import type { RunLog } from './format.js';
import { taskTrace } from './format.js';
import type { Checker } from './checker.js';

/** CONFIG_RCU_CPU_STALL_TIMEOUT (seconds). */
const RCU_CPU_STALL_TIMEOUT = 21;

function installRcuStall(log: RunLog): void {
  const { config } = log;
  log.on<RcuStallEvent>('rcu_stall', (ev) => {
    const m = log.m;
    const first = ev.tasks[0];
    if (!first) return;
    const title = `INFO: rcu detected stall in ${locationOf(first.frames, first.entry)}`;
    if (m.reported(title)) return;
    const blockedInReader = ev.tasks.filter((t) => t.rcu_read_lock_nesting > 0);
    const onCpu = ev.tasks.filter((t) => t.rcu_read_lock_nesting === 0);
    const ticks = RCU_CPU_STALL_TIMEOUT * config.HZ + 1;
    const lines = ['rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'];
    for (const t of onCpu)
      lines.push(`rcu: \t${t.cpu}-....: (${ticks} ticks this GP) idle=0000/1/0x4000000000000000 softirq=0/0 fqs=0`);
    if (blockedInReader.length > 0)
      lines.push(
        `rcu: \tTasks blocked on level-0 rcu_node (CPUs 0-${m.nrCpus - 1}): ${blockedInReader.map((t) => `P${t.pid}`).join(' ')}`,
      );
    const detector = m.tasks.find((t) => !t.dead && !ev.tasks.includes(t))?.cpu ?? 0;
    lines.push(`rcu: \t(detected by ${detector}, t=${ticks} jiffies, g=${ev.gp_seq * 4 + 1}, q=1 ncpus=${m.nrCpus})`);
    for (const t of ev.tasks) {
      const comm = t.comm.slice(0, 15).padEnd(15);
      lines.push(
        `task:${comm} state:R  running task     stack:0     pid:${String(t.pid).padEnd(5)} tgid:${String(task_tgid_nr(t)).padEnd(5)} ppid:${String(t.kthread ? 2 : 1).padEnd(6)} flags:0x00004008`,
        `Call Trace:\n${taskTrace(t.frames)}`,
      );
    }
    m.report({ kind: 'rcu_stall', title, text: lines.join('\n') });
  });
}

/** RCU CPU stall warnings: the checker (check/checker.ts). */
export const rcu_stall: Checker = { name: 'rcu_stall', install: ({ log }) => installRcuStall(log) };
