/**
 * fast-check's scheduler (fc.scheduler()) running the two self-tests kernsim's random strategy is
 * compared with: the same tasks, with a scheduling point wherever kernsim's versions have one.
 *   - lost-update: 2 tasks read x, then write x + 1 (READ_ONCE / WRITE_ONCE: a point before each);
 *     the property records whether x ended at 1.
 *   - mutex-counter(4): 4 tasks lock a mutex, x++, unlock (a point at the lock and at the unlock);
 *     a locked mutex queues its waiters, like kernsim's mutex.
 * Each returns the number of schedules run per second (fc.assert with numRuns schedules).
 */
import fc from 'fast-check';

type Scheduler = fc.Scheduler<unknown>;

const point = (s: Scheduler): Promise<unknown> => s.schedule(Promise.resolve());

export async function lostUpdate(s: Scheduler): Promise<boolean> {
  let x = 0;
  const inc = async (): Promise<void> => {
    await point(s);
    const v = x;
    await point(s);
    x = v + 1;
  };
  await s.waitFor(Promise.all([inc(), inc()]));
  return x !== 2;
}

class Mutex {
  private locked = false;
  private readonly waiters: (() => void)[] = [];
  async lock(s: Scheduler): Promise<void> {
    await point(s);
    if (!this.locked) {
      this.locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
  async unlock(s: Scheduler): Promise<void> {
    await point(s);
    const next = this.waiters.shift();
    if (next) next();
    else this.locked = false;
  }
}

export async function mutexCounter(s: Scheduler, tasks = 4): Promise<boolean> {
  const m = new Mutex();
  let x = 0;
  const inc = async (): Promise<void> => {
    await m.lock(s);
    x++;
    await m.unlock(s);
  };
  await s.waitFor(Promise.all(Array.from({ length: tasks }, inc)));
  return x !== tasks;
}

/** Runs `runs` schedules of the peer program; returns schedules/s and how many showed the bug. */
export async function fastCheckRate(
  program: (s: Scheduler) => Promise<boolean>,
  runs: number,
): Promise<{ perSecond: number; buggy: number }> {
  let buggy = 0;
  const t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), async (s) => {
      if (await program(s)) buggy++;
      return true;
    }),
    { numRuns: runs, seed: 1 },
  );
  return { perSecond: (runs / (performance.now() - t0)) * 1000, buggy };
}
