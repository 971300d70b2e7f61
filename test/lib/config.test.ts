/** KernelConfig is an exact type: a misspelt option does not compile (tsc runs over test/ in `npm test`). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type KernelConfig, makeConfig } from '../../src/kernel/config.js';

test('makeConfig: known options override the defaults; a misspelt one is a type error', () => {
  const rt = makeConfig({ PREEMPT_RT: true, MMU_NOTIFIER: true });
  assert.equal(rt.PREEMPT_RT, true);
  assert.equal(rt.MMU_NOTIFIER, true);
  assert.equal(makeConfig().PREEMPT_RT, false);
  // @ts-expect-error: PREEMT_RT is not an option (tsc fails if this line ever compiles).
  const typo = makeConfig({ PREEMT_RT: true });
  assert.equal(typo.PREEMPT_RT, false, 'at run time the typo is ignored: why it must not compile');
  // @ts-expect-error: options have their own types.
  const wrong: Partial<KernelConfig> = { NR_CPUS: 'two' };
  assert.equal(typeof wrong.NR_CPUS, 'string');
});
