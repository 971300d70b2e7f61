/**
 * Global deadlock: at the end of a run that finished with nothing runnable,
 * the wait-for graph (a task waiting to acquire a lock -> the lock's owners;
 * a blocked task -> the owners of what it sleeps on) is searched for a
 * cycle. A task waiting on itself (synchronize_srcu inside its own read
 * section) is a cycle of length one. The report lists every waiting task,
 * what it waits on and who holds it, with its trace. Not a kernel report
 * format (the kernel has no such global detector); titled
 * "DEADLOCK: circular wait in FUNC", FUNC the wait site of the lowest pid in
 * a cycle.
 */
import { type Task, locationOf } from '../sim/index.js';
import { type RunLog, taskTrace } from './format.js';
import type { Checker } from './checker.js';

interface Wait {
  readonly what: string;
  readonly owners: readonly Task[];
  readonly spinning: boolean;
}

function waitOf(t: Task): Wait | null {
  if (t.dead || t.pid === 0) return null;
  const p = t.pending;
  if (p !== undefined) {
    if (p.canAcquire(t)) return null;
    return { what: p.describe(), owners: p.owners(), spinning: !p.sleeping };
  }
  if (t.blocked && t.waitingOn) return { what: t.waitingOn.describe(), owners: t.waitingOn.owners(), spinning: false };
  return null;
}

function installDeadlock(log: RunLog): { atEnd(): void } {
  return {
    atEnd(): void {
      const m = log.m;
      // Made at the first waiting task (most runs end with none).
      let found: Map<Task, Wait> | null = null;
      for (const t of m.tasks) {
        const w = waitOf(t);
        if (w) (found ??= new Map<Task, Wait>()).set(t, w);
      }
      if (found === null) return;
      const waits: Map<Task, Wait> = found;
      const reaches = (from: Task, target: Task): boolean => {
        const seen = new Set<Task>();
        const stack = [from];
        while (stack.length > 0) {
          const x = stack.pop() as Task;
          for (const o of waits.get(x)?.owners ?? []) {
            if (o === target) return true;
            if (!seen.has(o)) {
              seen.add(o);
              stack.push(o);
            }
          }
        }
        return false;
      };
      const inCycle = [...waits.keys()].filter((t) => reaches(t, t)).sort((a, b) => a.pid - b.pid);
      const first = inCycle[0];
      if (!first) return;
      const title = `DEADLOCK: circular wait in ${locationOf(first.frames, first.entry)}`;
      if (m.reported(title)) return;
      // One simple cycle through the lowest pid, for the headline.
      const cyc = new Set(inCycle);
      const chain = [first];
      for (let cur = first; ; ) {
        const next: Task = (waits.get(cur) as Wait).owners.find((o) => cyc.has(o) && reaches(o, first)) ?? first;
        if (next === first || chain.includes(next)) break;
        chain.push(next);
        cur = next;
      }
      const lines = [
        'DEADLOCK: circular wait: these tasks can never run again',
        `cycle: ${[...chain, first].map((t) => `${t.comm}/${t.pid}`).join(' -> ')}`,
      ];
      for (const [t, w] of [...waits].sort((a, b) => a[0].pid - b[0].pid)) {
        const holders = w.owners.length > 0 ? w.owners.map((o) => `${o.comm}/${o.pid}`).join(', ') : 'nobody';
        lines.push(
          '',
          `task ${t.comm}/${t.pid}${cyc.has(t) ? ' (in cycle)' : ''} ${w.spinning ? 'spins on' : 'waits for'} ${w.what}, held by ${holders}`,
        );
        if (t.held.length > 0) lines.push(log.heldLocks(t));
        lines.push(`Call Trace:\n${taskTrace(t.frames)}`);
      }
      m.report({ kind: 'deadlock', title, text: lines.join('\n') });
    },
  };
}

/** the wait-for graph at the end of a run: the checker (check/checker.ts). */
export const deadlock: Checker = { name: 'deadlock', install: ({ log }) => installDeadlock(log) };
