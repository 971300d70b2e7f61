/**
 * Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). Pages are opened from
 * file://; any request to a non-file URL fails the test.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';

export const CHROMIUM = process.env.KERNSIM_CHROMIUM ?? '/usr/bin/chromium';
export const OUT_DIR = join(import.meta.dirname, '..', '..', 'test-output', 'report');

/** Why the browser tests cannot run here, or null when they can. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `${CHROMIUM} is not installed (scripts/ensure-chromium.sh installs Debian's chromium when run as root with apt-get; it could not here)`;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface OpenedPage {
  readonly page: Page;
  readonly errors: string[];
  readonly requests: string[];
}

/** Opens a file in a fresh page, recording console errors, page errors and non-file requests (which are aborted). */
export async function openFile(browser: Browser, file: string, width = 1500, height = 900): Promise<OpenedPage> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href);
  return { page, errors, requests };
}

export function outPath(name: string): string {
  mkdirSync(OUT_DIR, { recursive: true });
  return join(OUT_DIR, name);
}
