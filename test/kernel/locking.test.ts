/**
 * Footprints of the locks (kernel/locking/lock.ts): what a trylock or *_is_locked() decides on is
 * the lock's state, which an acquisition and a release change, so DPOR reaches every outcome.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mutex_init,
  mutex_is_locked,
  mutex_lock,
  mutex_trylock,
  mutex_unlock,
} from '../../src/kernel/locking/mutex.js';
import { down_read, down_write_trylock, init_rwsem, up_read, up_write } from '../../src/kernel/locking/rwsem.js';
import {
  spin_is_locked,
  spin_lock,
  spin_lock_init,
  spin_trylock,
  spin_unlock,
} from '../../src/kernel/locking/spinlock.js';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import { dporOutcomes } from './helpers.js';

test('mutex_trylock: DPOR reaches both the failure (while held) and the success (after the unlock)', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const l = mutex_init('l');
    spawn_user(
      'holder',
      function* () {
        yield* mutex_lock(l);
        yield* mutex_unlock(l);
      },
      0,
    );
    spawn_user(
      'trier',
      function* () {
        const ok = yield* mutex_trylock(l);
        seen.add(`trylock=${ok}`);
        if (ok) yield* mutex_unlock(l);
      },
      1,
    );
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['trylock=false', 'trylock=true']);
});

test('spin_trylock on !RT and on PREEMPT_RT: both outcomes', () => {
  for (const rt of [false, true]) {
    const { seen, result } = dporOutcomes(
      (seen) => {
        const l = spin_lock_init('l');
        spawn_user(
          'holder',
          function* () {
            yield* spin_lock(l);
            yield* spin_unlock(l);
          },
          0,
        );
        spawn_user(
          'trier',
          function* () {
            const ok = yield* spin_trylock(l);
            seen.add(`trylock=${ok}`);
            if (ok) yield* spin_unlock(l);
          },
          1,
        );
      },
      { PREEMPT_RT: rt },
    );
    assert.equal(result.complete, true);
    assert.deepEqual(seen, ['trylock=false', 'trylock=true'], `PREEMPT_RT=${rt}`);
  }
});

test('mutex_is_locked / spin_is_locked read the lock state: before, during and after the hold', () => {
  const { seen } = dporOutcomes((seen) => {
    const m = mutex_init('m');
    const s = spin_lock_init('s');
    spawn_user(
      'holder',
      function* () {
        yield* mutex_lock(m);
        yield* spin_lock(s);
        yield* spin_unlock(s);
        yield* mutex_unlock(m);
      },
      0,
    );
    spawn_user(
      'looker',
      function* () {
        yield* cond_resched();
        seen.add(`mutex=${mutex_is_locked(m)}`);
        yield* cond_resched();
        seen.add(`spin=${spin_is_locked(s)}`);
      },
      1,
    );
  });
  assert.deepEqual(seen, ['mutex=false', 'mutex=true', 'spin=false', 'spin=true']);
});

test('down_write_trylock fails while a reader holds the rwsem and succeeds once the last reader left', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const s = init_rwsem('s');
    spawn_user(
      'reader',
      function* () {
        yield* down_read(s);
        yield* up_read(s);
      },
      0,
    );
    spawn_user(
      'writer',
      function* () {
        const ok = yield* down_write_trylock(s);
        seen.add(`trylock=${ok}`);
        if (ok) yield* up_write(s);
      },
      1,
    );
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['trylock=false', 'trylock=true']);
});

test('trylock keeps mutual exclusion: no run has two holders', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const l = mutex_init('l');
    let inside = 0;
    for (const name of ['a', 'b']) {
      spawn_user(name, function* () {
        if (!(yield* mutex_trylock(l))) {
          yield* mutex_lock(l);
        }
        inside++;
        seen.add(`inside=${inside}`);
        yield* cond_resched();
        inside--;
        yield* mutex_unlock(l);
      });
    }
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['inside=1']);
});
