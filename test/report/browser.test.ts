/**
 * Opens the generated pages in a real headless Chromium (Debian's, through
 * playwright-core) from file://: no console errors, no network requests, the
 * lanes, the finding marker and the report are there; zooms once with the
 * mouse wheel and saves screenshots under test-output/report/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type MatrixInput, writeMatrixHtml, writeRunHtml } from '../../src/report/html.js';
import { chromiumMissing, launch, openFile, outPath } from './browser.js';
import { HOSTILE, fixtureRun } from './fixture.js';

const missing = chromiumMissing();
if (missing) process.stdout.write(`# browser tests skipped: ${missing}\n`);

describe('HTML pages in headless Chromium', { skip: missing ?? false }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
  });

  test('a run timeline: lanes, finding marker, linked report, zoom, no errors or requests', async () => {
    const file = outPath('run.html');
    writeRunHtml(file, { trace: fixtureRun({ hostile: true }), token: `ks1:${HOSTILE}` });
    const { page, errors, requests } = await openFile(browser, file);
    await page.waitForFunction(() => (globalThis as { __kernsim?: { ready: boolean } }).__kernsim?.ready === true);
    const labels = await page.locator('#lane-labels .label.lane').allTextContents();
    assert.ok(labels.includes(`${HOSTILE}-1`), 'the hostile task has a lane, shown as text');
    assert.ok(labels.includes('kworker/1:1-2'));
    assert.ok(labels.some((l) => l.startsWith('SRCU mn_srcu')));
    assert.equal(await page.locator('img').count(), 0, 'no injected <img>');
    assert.equal(await page.locator('.finding-marker').count(), 1);
    assert.ok(await page.locator('.finding-marker').isVisible());
    assert.match((await page.locator('#report-0').textContent()) ?? '', /possible circular locking dependency/);
    assert.equal(await page.locator('#token').textContent(), `ks1:${HOSTILE}`);

    type State = { k: number; domain: [number, number]; draws: number };
    const state = () => page.evaluate(() => (globalThis as unknown as { __kernsim: State }).__kernsim);
    const before = await state();
    const box = await page.locator('#lanes').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await page.mouse.wheel(0, -400);
    await page.waitForFunction((k) => (globalThis as unknown as { __kernsim: State }).__kernsim.k > k, before.k);
    const zoomed = await state();
    assert.ok(zoomed.domain[1] - zoomed.domain[0] < before.domain[1] - before.domain[0], 'the wheel zoomed in');

    // A call-trace line moves the timeline to where that function ran.
    await page.locator('#report-0 a.frame-link', { hasText: 'victim_inner' }).click();
    await page.waitForTimeout(100);
    const focused = await state();
    // (Spawned tasks' first steps are steps of their own now: the fixture's run is a step longer.)
    assert.ok(focused.domain[0] > 3 && focused.domain[1] < 16, `focused on victim_inner: ${focused.domain}`);
    await page.screenshot({ path: outPath('run.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });

  test('10^5 steps stay responsive', async () => {
    const file = outPath('long.html');
    writeRunHtml(file, { trace: fixtureRun({ loops: 50_000 }) });
    const { page, errors, requests } = await openFile(browser, file);
    await page.waitForFunction(() => (globalThis as { __kernsim?: { ready: boolean } }).__kernsim?.ready === true);
    const t0 = Date.now();
    const box = await page.locator('#lanes').boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + 50, box.y + 40);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -300);
    await page.waitForFunction(() => (globalThis as unknown as { __kernsim: { draws: number } }).__kernsim.draws > 2);
    process.stdout.write(`# long run: 5 wheel zooms drawn in ${Date.now() - t0} ms\n`);
    await page.screenshot({ path: outPath('long.png') });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });

  test('the verdict matrix: a finding cell opens its timeline', async () => {
    const check: MatrixInput = {
      version: 1,
      results: [
        {
          scenario: 'self-test',
          variant: null,
          config: 'default',
          strategy: 'dpor',
          executions: 3,
          complete: true,
          findings: [
            { title: 'possible deadlock in task_two', kind: 'deadlock', token: 'ks1-demo', report: 'see timeline' },
          ],
        },
        {
          scenario: 'self-test',
          variant: null,
          config: 'rt',
          strategy: 'dpor',
          executions: 3,
          complete: true,
          findings: [],
        },
      ],
    };
    const trace = fixtureRun();
    const file = outPath('matrix.html');
    writeMatrixHtml(file, check, { 'self-test/-/default': 'found', 'self-test/-/rt': 'found' }, () => trace);
    const { page, errors, requests } = await openFile(browser, file);
    await page.waitForSelector('#matrix');
    assert.equal(await page.locator('#matrix td.ok').count(), 1);
    assert.equal(await page.locator('#matrix td.bad').count(), 1);
    await page.locator('button.finding-cell').first().click();
    await page.waitForFunction(() => (globalThis as { __kernsim?: { ready: boolean } }).__kernsim?.ready === true);
    assert.ok((await page.locator('#matrix-timeline .label.lane').count()) > 3);
    assert.equal(await page.locator('#matrix-timeline .finding-marker').count(), 1);
    await page.screenshot({ path: outPath('matrix.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });
});
