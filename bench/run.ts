/**
 * `npm run bench`: runs every bench/*.bench.ts in name order. A bench file
 * either does its work when imported or default-exports a (possibly async)
 * function that does; each prints its own results.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const f of files) {
  console.log(`# ${f}`);
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { default?: () => unknown };
  if (typeof mod.default === 'function') await mod.default();
  console.log('');
}
