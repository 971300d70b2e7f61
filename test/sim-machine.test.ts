import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FirstChoice, Machine, type Observer, type SimEvent } from '../src/sim/index.js';

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
