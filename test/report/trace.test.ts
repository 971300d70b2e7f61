import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { type ChromeTraceEvent, toChromeTrace, writeTraceJson } from '../../src/report/trace.js';
import { fixtureRun } from './fixture.js';

/** The Chrome Trace Event format (JSON object form), as far as kernsim writes it. */
const Metadata = z.object({
  ph: z.literal('M'),
  name: z.enum(['process_name', 'process_sort_index', 'thread_name', 'thread_sort_index']),
  pid: z.number().int().nonnegative(),
  tid: z.number().int().nonnegative(),
  args: z.union([z.object({ name: z.string().min(1) }), z.object({ sort_index: z.number().int() })]),
});
const Complete = z.object({
  ph: z.literal('X'),
  name: z.string(),
  cat: z.string().min(1),
  pid: z.number().int().nonnegative(),
  tid: z.number().int().positive(),
  ts: z.number().nonnegative(),
  dur: z.number().positive(),
  args: z.record(z.string(), z.unknown()).optional(),
});
const Instant = z.object({
  ph: z.literal('i'),
  name: z.string(),
  cat: z.enum(['report', 'fault', 'printk', 'warn']),
  s: z.enum(['t', 'p', 'g']),
  pid: z.number().int().nonnegative(),
  tid: z.number().int().nonnegative(),
  ts: z.number().nonnegative(),
  args: z.record(z.string(), z.unknown()).optional(),
});
const ChromeTraceSchema = z.object({
  traceEvents: z.array(z.discriminatedUnion('ph', [Metadata, Complete, Instant])),
  displayTimeUnit: z.enum(['ms', 'ns']),
  otherData: z.record(z.string(), z.unknown()),
});

/** Every pair of X slices on one (pid, tid) is either disjoint or one contains the other. */
function assertNested(events: ChromeTraceEvent[]): void {
  const byTrack = new Map<string, ChromeTraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const k = `${e.pid}/${e.tid}`;
    let l = byTrack.get(k);
    if (!l) byTrack.set(k, (l = []));
    l.push(e);
  }
  for (const [k, l] of byTrack) {
    l.sort((a, b) => (a.ts as number) - (b.ts as number) || (b.dur as number) - (a.dur as number));
    const stack: number[] = [];
    for (const e of l) {
      const a = e.ts as number;
      const b = a + (e.dur as number);
      while (stack.length > 0 && (stack[stack.length - 1] as number) <= a) stack.pop();
      const top = stack[stack.length - 1];
      assert.ok(top === undefined || b <= top, `slice ${e.name} [${a}, ${b}) crosses its parent (ends ${top}) on ${k}`);
      stack.push(b);
    }
  }
}

test('the Chrome trace matches the schema and its slices nest on every track', () => {
  const trace = fixtureRun();
  const ct = toChromeTrace(trace, { title: 't', token: 'ks1-test' });
  const parsed = ChromeTraceSchema.parse(JSON.parse(JSON.stringify(ct)));
  assertNested(parsed.traceEvents as ChromeTraceEvent[]);

  const names = (ph: string, pred: (e: ChromeTraceEvent) => boolean = () => true) =>
    ct.traceEvents.filter((e) => e.ph === ph && pred(e)).map((e) => e.name);
  const meta = ct.traceEvents.filter((e) => e.ph === 'M').map((e) => String(e.args?.name));
  for (const n of [
    'CPU 0',
    'CPU 1',
    'SRCU',
    'running',
    'worker-1',
    'kworker/1:1-2',
    'worker-1 locks',
    'worker-1 context',
  ])
    assert.ok(meta.includes(n), `metadata names ${n}`);
  const cats = new Set(ct.traceEvents.filter((e) => e.ph === 'X').map((e) => e.cat));
  for (const c of ['run', 'func', 'lock', 'wait', 'ctx', 'srcu_gp', 'srcu_cb'])
    assert.ok(cats.has(c), `has ${c} slices`);
  const x = names('X');
  for (const n of [
    'task_one',
    'victim_inner',
    'mutex_lock',
    '&kvm->lock',
    'wait &mm->mmap_lock',
    'preempt off',
    'rcu_read_lock',
  ])
    assert.ok(x.includes(n), `slice ${n}`);
  assert.deepEqual(
    names('i', (e) => e.cat === 'report'),
    ['possible deadlock in task_two'],
  );
  assert.deepEqual(
    names('i', (e) => e.cat === 'fault'),
    ['fault: kmalloc(GFP_ATOMIC) fails'],
  );
  // SRCU grace periods and callbacks live in their own process, on their own tracks.
  const srcu = ct.traceEvents.filter((e) => e.cat === 'srcu_gp' || e.cat === 'srcu_cb');
  assert.ok(srcu.every((e) => e.pid === 1000));
  assert.equal(new Set(srcu.map((e) => e.tid)).size, 2);
  assert.equal(ct.otherData.token, 'ks1-test');
});

test('a long run (10^5 steps) records and converts quickly, still nested', () => {
  const trace = fixtureRun({ loops: 50_000 });
  assert.ok(trace.steps > 100_000);
  const ct = toChromeTrace(trace);
  ChromeTraceSchema.parse(ct);
  assertNested(ct.traceEvents);
});

test('writeTraceJson writes atomically (no temp file left) and the file parses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kernsim-trace-'));
  const f = join(dir, 'sub', 'run.json');
  writeTraceJson(f, fixtureRun());
  ChromeTraceSchema.parse(JSON.parse(readFileSync(f, 'utf8')));
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['run.json']);
});
