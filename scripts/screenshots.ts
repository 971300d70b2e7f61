/**
 * README screenshots: docs/img/timeline.png (a failure's HTML timeline) and
 * docs/img/matrix.png (the verdict matrix page), taken with Debian's headless
 * chromium through playwright-core.
 *
 *   node --import tsx scripts/screenshots.ts
 *
 * Uses `kernsim check` (the model's matrix; the v2 finding for the timeline)
 * when it has results; otherwise the self-test scenarios (ABBA deadlock).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { runExploration } from '../src/run/exploration.js';
import { writeCheckHtml, writeTokenVisuals } from '../src/run/visual.js';
import type { CheckResultEntry, Expected, MatrixInput, Verdict } from '../src/report/html.js';

const root = resolve(import.meta.dirname, '..');
const img = join(root, 'docs', 'img');
const work = join(root, 'test-output', 'screenshots');
mkdirSync(img, { recursive: true });
mkdirSync(work, { recursive: true });

type Entry = CheckResultEntry & { expected?: readonly string[] | 'clean' | null };

function modelCheck(): { version: 1; results: Entry[] } | null {
  try {
    const out = execFileSync('node', [join(root, 'bin/kernsim.js'), 'check', '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const j = JSON.parse(out) as { version: 1; results: Entry[] };
    return j.results.length > 0 ? j : null;
  } catch (e) {
    const out = (e as { stdout?: string }).stdout;
    if (!out) return null;
    const j = JSON.parse(out) as { version: 1; results: Entry[] };
    return j.results.length > 0 ? j : null;
  }
}

async function selfTestCheck(): Promise<{ version: 1; results: Entry[] }> {
  const cells: [string, Verdict][] = [
    ['selftest-abba', 'found'],
    ['selftest-lost-update', 'found'],
    ['selftest-mutex-counter', 'clean'],
    ['selftest-independent', 'clean'],
  ];
  const results: Entry[] = [];
  for (const [scenario, v] of cells) {
    const r = await runExploration({ scenario, jobs: 1 });
    results.push({ ...r, expected: v === 'clean' ? 'clean' : [] });
  }
  return { version: 1, results };
}

const model = modelCheck();
const check = model ?? (await selfTestCheck());
process.stdout.write(
  `screenshots from ${model ? 'kernsim check (the model)' : 'the self-test scenarios (no model check results yet)'}\n`,
);
const expected = (r: CheckResultEntry): Expected | undefined => {
  const e = (r as Entry).expected;
  if (e === undefined || e === null) return undefined;
  return e === 'clean' ? { verdict: 'clean' } : { verdict: 'found', titles: e };
};
const withFinding = check.results.filter((r) => r.findings.length > 0);
const pick = withFinding.find((r) => r.variant === 'v2') ?? withFinding[0];
const finding = pick?.findings[0];
if (!finding) throw new Error('no finding to picture');

const runHtml = join(work, 'timeline.html');
const matrixHtml = join(work, 'matrix.html');
await writeTokenVisuals(finding.token, { html: runHtml, title: finding.title });
await writeCheckHtml(matrixHtml, check as MatrixInput, expected);

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1500, height: 820 } });
  await page.goto(pathToFileURL(runHtml).href);
  await page.waitForFunction(() => (globalThis as { __kernsim?: { ready: boolean } }).__kernsim?.ready === true);
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(img, 'timeline.png') });
  const m = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await m.goto(pathToFileURL(matrixHtml).href);
  await m.waitForSelector('#matrix');
  await m.locator('button.finding-cell').first().click();
  await m.waitForTimeout(300);
  await m.evaluate(() => globalThis.scrollTo(0, 0));
  await m.screenshot({ path: join(img, 'matrix.png') });
} finally {
  await browser.close();
}
process.stdout.write(`wrote ${join(img, 'timeline.png')} and ${join(img, 'matrix.png')}\n`);
