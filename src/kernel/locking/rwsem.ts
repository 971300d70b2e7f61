/** struct rw_semaphore (kernel/locking/rwsem.c): sleeping reader/writer lock. */
import { type KGen, current, markInternal } from '../../sim/index.js';
import { might_sleep } from '../sched/core.js';
import { LockCore, acquire, release, tryAcquire } from './lock.js';

markInternal(
  'down_read',
  'down_write',
  'up_read',
  'up_write',
  'down_read_trylock',
  'down_write_trylock',
  'down_read_killable',
);

export class rw_semaphore extends LockCore {
  constructor(name: string) {
    super(name, 'rwsem');
  }
  sleeps(): boolean {
    return true;
  }
}

export function init_rwsem(name: string): rw_semaphore {
  return new rw_semaphore(name);
}

function* down(s: rw_semaphore, shared: boolean, fn: string): KGen {
  const t = current();
  t.frames.push(fn);
  might_sleep('kernel/locking/rwsem.c', shared ? 1522 : 1575);
  yield* acquire(s, shared);
  t.frames.pop();
}

export const down_read = (s: rw_semaphore): KGen => down(s, true, 'down_read');
export const down_write = (s: rw_semaphore): KGen => down(s, false, 'down_write');

/** down_read_killable(): no signals are modelled, so it always succeeds (returns 0). */
export function* down_read_killable(s: rw_semaphore): KGen<number> {
  yield* down(s, true, 'down_read_killable');
  return 0;
}

export function* up_read(s: rw_semaphore): KGen {
  const t = current();
  t.frames.push('up_read');
  yield* release(s, true);
  t.frames.pop();
}

export function* up_write(s: rw_semaphore): KGen {
  const t = current();
  t.frames.push('up_write');
  yield* release(s, false);
  t.frames.pop();
}

export function* down_read_trylock(s: rw_semaphore): KGen<boolean> {
  const t = current();
  t.frames.push('down_read_trylock');
  const ok = yield* tryAcquire(s, true);
  t.frames.pop();
  return ok;
}

export function* down_write_trylock(s: rw_semaphore): KGen<boolean> {
  const t = current();
  t.frames.push('down_write_trylock');
  const ok = yield* tryAcquire(s, false);
  t.frames.pop();
  return ok;
}
