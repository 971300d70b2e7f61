/**
 * Footprints of task_struct / signal_struct state (models/linux/include/linux/sched.ts): the
 * SIGKILL state, SIGNAL_GROUP_EXIT, PF_EXITING and the task_struct's usage count are plain fields,
 * so each struct records its reads and writes on an object id of its own. Present/absent: DPOR
 * (no preemption bound) reaches both outcomes of each race only if it sees the dependency.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cond_resched, spawn_user } from '../../src/kernel/sched/core.js';
import {
  do_send_sig_info_sigkill,
  fatal_signal_pending,
  get_task_struct,
  new_task_struct,
  put_task_struct,
  task_struct_of,
} from '../../src/models/linux/include/linux/sched.js';
import { dporOutcomes } from '../kernel/helpers.js';

test('fatal_signal_pending() races with the SIGKILL: DPOR reaches the check before and after the kill', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const victim = spawn_user('victim', function* () {
      yield* cond_resched();
      seen.add(`victim saw sigkill=${fatal_signal_pending(task_struct_of(victim))}`);
    });
    new_task_struct(victim, null, null);
    spawn_user('killer', function* () {
      yield* cond_resched();
      yield* do_send_sig_info_sigkill(task_struct_of(victim));
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['victim saw sigkill=false', 'victim saw sigkill=true']);
});

test("another task's fatal_signal_pending(p) races with the SIGKILL of p (no wake-up or IPI to order them)", () => {
  const { seen, result } = dporOutcomes((seen) => {
    const victim = spawn_user('victim', function* () {});
    const ts = new_task_struct(victim, null, null);
    spawn_user('observer', function* () {
      yield* cond_resched();
      seen.add(`observer saw sigkill=${fatal_signal_pending(ts)}`);
    });
    spawn_user('killer', function* () {
      yield* cond_resched();
      yield* do_send_sig_info_sigkill(ts);
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['observer saw sigkill=false', 'observer saw sigkill=true']);
});

test('two put_task_struct() race for the last reference: DPOR reaches each task freeing it', () => {
  const { seen, result } = dporOutcomes((seen) => {
    const owner = spawn_user('owner', function* () {
      yield* cond_resched();
      const p = task_struct_of(owner);
      yield* put_task_struct(p);
      if (p.usage === 0) seen.add('owner dropped the last reference');
    });
    const ts = new_task_struct(owner, null, null);
    get_task_struct(ts);
    spawn_user('other', function* () {
      yield* cond_resched();
      yield* put_task_struct(ts);
      if (ts.usage === 0) seen.add('other dropped the last reference');
    });
  });
  assert.equal(result.complete, true);
  assert.deepEqual(seen, ['other dropped the last reference', 'owner dropped the last reference']);
});
