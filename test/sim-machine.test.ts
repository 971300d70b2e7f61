import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FirstChoice, Machine, type Observer, RunSlot, type SimEvent } from '../src/sim/index.js';

function twoTasks(m: Machine): void {
  m.spawn('a', function* a() {
    yield undefined;
  });
  m.spawn('b', function* b() {
    yield undefined;
  });
}

test('an observer with wants() sees only the types it wants; Machine.wants() is false when no observer wants a type', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const seen: string[] = [];
  const typed: Observer = Object.assign((ev: SimEvent) => seen.push(ev.type), {
    wants: (type: string) => type === 'exit' || type === 'end',
  });
  m.observers.push(typed);
  assert.equal(m.wants('spawn'), false);
  assert.equal(m.wants('exit'), true);
  twoTasks(m);
  m.run();
  assert.deepEqual(seen, ['exit', 'exit', 'end']);
});

test('an observer without wants() sees every event, and makes Machine.wants() true for every type', () => {
  const m = new Machine({ strategy: new FirstChoice() }).activate();
  const seen: string[] = [];
  const typed: Observer = Object.assign((_ev: SimEvent) => undefined, { wants: () => false });
  m.observers.push(typed, (ev: SimEvent) => seen.push(ev.type));
  assert.equal(m.wants('spawn'), true);
  twoTasks(m);
  m.run();
  assert.deepEqual(seen, ['spawn', 'spawn', 'exit', 'exit', 'end']);
});

test('a run slot is per machine: of() makes its value at the first use on each machine, set() and get() see the same one', () => {
  let made = 0;
  const LIST = new RunSlot('test-list', (): number[] => {
    made++;
    return [];
  });
  const BARE = new RunSlot<number>('test-bare');
  const a = new Machine({ strategy: new FirstChoice() });
  const b = new Machine({ strategy: new FirstChoice() });
  assert.equal(a.ext.get(LIST), undefined, 'nothing before the first use');
  a.ext.of(LIST).push(1);
  a.ext.of(LIST).push(2);
  assert.deepEqual(a.ext.get(LIST), [1, 2]);
  assert.equal(made, 1, 'made once on a');
  assert.deepEqual(b.ext.of(LIST), [], "b's own");
  assert.equal(made, 2);
  assert.throws(() => a.ext.of(BARE), /run slot 'test-bare' has no init/);
  a.ext.set(BARE, 7);
  assert.equal(a.ext.of(BARE), 7);
  assert.equal(b.ext.get(BARE), undefined);
  a.ext.delete(LIST);
  assert.deepEqual(a.ext.of(LIST), [], 'made again after delete');
  assert.equal(made, 3);
});
