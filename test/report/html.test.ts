import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type MatrixInput,
  jsonForScript,
  matrixHtml,
  runHtml,
  toMatrixData,
  toViewData,
} from '../../src/report/html.js';
import { HOSTILE, fixtureRun } from './fixture.js';

/** The page's markup outside the inlined script elements (the data and the viewer code). */
function markupOf(html: string): string {
  return html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, '<script></script>');
}

test('hostile task and function names never reach the page as markup', () => {
  const trace = fixtureRun({ hostile: true });
  assert.ok(trace.tasks.some((t) => t.comm === HOSTILE));
  assert.ok(trace.slices.some((s) => s.name === HOSTILE));
  const html = runHtml({ trace, token: `ks1:${HOSTILE}`, title: `title ${HOSTILE}` });
  // Outside the scripts, only the escaped title appears.
  const markup = markupOf(html);
  assert.ok(!markup.includes('<img'), 'no <img> element in the markup');
  assert.ok(markup.includes('&#60;img src=x onerror=alert(1)&#62;'), 'the title is escaped');
  // The data element cannot be closed early: no '<' at all inside it.
  const data = /<script type="application\/json" id="kernsim-data">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  assert.ok(data.length > 0);
  assert.ok(!data.includes('<'), 'no < inside the JSON data');
  assert.ok(JSON.stringify(JSON.parse(data)).includes(HOSTILE), 'the name survives as data');
  // Exactly two script elements: the data and the viewer.
  assert.equal(html.match(/<script\b/g)?.length, 2);
  assert.equal(html.match(/<\/script>/g)?.length, 2);
});

test('jsonForScript escapes everything that could end or confuse a script element', () => {
  const s = jsonForScript({ a: '</script><!-- & \u2028\u2029 >' });
  assert.ok(!/[<>&\u2028\u2029]/.test(s));
  assert.deepEqual(JSON.parse(s), { a: '</script><!-- & \u2028\u2029 >' });
});

test('call-trace lines of the report link to where their functions ran', () => {
  const v = toViewData({ trace: fixtureRun() });
  const r = v.reports[0];
  assert.ok(r);
  const linked = r.lines.filter((l) => l.link).map((l) => l.text.trim());
  assert.deepEqual(linked, ['report_deadlock', 'task_two+0x10/0x40', 'victim_inner', 'hostile_fn']);
  const lane = v.lanes[r.lines.find((l) => l.text.includes('victim_inner'))?.link?.lane ?? -1];
  assert.equal(lane?.label, 'worker-1');
});

test('the verdict matrix compares each cell with its expectation', () => {
  const check: MatrixInput = {
    version: 1,
    results: [
      {
        scenario: 'simple-kvm',
        variant: 'v1',
        config: 'rt',
        strategy: 'dpor',
        executions: 10,
        complete: true,
        findings: [{ title: 'possible deadlock in task_two', kind: 'deadlock', token: 'ks1-x', report: 'r' }],
      },
      {
        scenario: 'simple-kvm',
        variant: 'v2',
        config: 'rt',
        strategy: 'dpor',
        executions: 12,
        complete: true,
        findings: [],
      },
      {
        scenario: 'simple-kvm',
        variant: 'v2',
        config: 'default',
        strategy: 'pct',
        executions: 5,
        complete: false,
        findings: [{ title: HOSTILE, kind: 'warn', token: 'ks1-y', report: HOSTILE }],
      },
    ],
  };
  const trace = fixtureRun();
  const m = toMatrixData(
    check,
    {
      'simple-kvm/v1/rt': { verdict: 'found', titles: ['possible deadlock'] },
      'simple-kvm/v2/rt': 'clean',
      'simple-kvm/v2/default': 'clean',
    },
    (f) => (f.token === 'ks1-x' ? trace : undefined),
  );
  assert.deepEqual(m.rows, ['simple-kvm · v1', 'simple-kvm · v2']);
  assert.deepEqual(m.cols, ['rt', 'default']);
  assert.deepEqual(
    m.cells.map((c) => [c.verdict, c.ok]),
    [
      ['found', true],
      ['clean', true],
      ['found', false],
    ],
  );
  assert.equal(m.runs.length, 2);
  assert.ok(m.runs[0] && m.runs[1] === null);
  assert.ok(!markupOf(matrixHtml(m)).includes('<img'));
});
