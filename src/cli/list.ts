/** `kernsim list`: the scenarios, variants and configs there are (run/catalog.ts). */
import type { Command } from '@commander-js/extra-typings';
import type { CatalogJson } from '../report/json.js';
import { catalog } from '../run/catalog.js';

type Entry = CatalogJson['scenarios'][number]['params'][number];

/** What an entry takes, in words: its choices, or an integer's range. */
function takes(e: Entry): string {
  if (e.choices) return `   (${e.choices.join(' | ')})`;
  if (e.min !== undefined || e.max !== undefined)
    return `   (${[e.min !== undefined ? `>= ${e.min}` : '', e.max !== undefined ? `<= ${e.max}` : ''].filter(Boolean).join(', ')})`;
  return '';
}

function entryLine(flag: string, e: Entry): string {
  return `      ${flag} ${e.name}=${String(e.default)}${takes(e)}${e.description ? `  ${e.description}` : ''}`;
}

export function listing(c: CatalogJson): string {
  const out: string[] = ['Scenarios:'];
  for (const s of c.scenarios) {
    out.push(`  ${s.name.padEnd(24)} ${s.description}${s.file ? `   (${s.file})` : ''}`);
    for (const p of s.params) out.push(entryLine('--param', p));
  }
  out.push('', 'Variants:');
  for (const v of c.variants) {
    out.push(`  ${v.name.padEnd(24)} ${v.description}${v.scenario ? `   (defined by ${v.scenario})` : ''}`);
    if (v.base) out.push(`      based on ${v.base}`);
    for (const k of v.knobs) out.push(entryLine('--set', k));
    for (const p of v.patches ?? [])
      out.push(`      patch ${p.name}: replaces ${p.function}()${p.description ? `: ${p.description}` : ''}`);
  }
  out.push('', 'Configs:');
  for (const k of c.configs)
    out.push(`  ${k.name.padEnd(24)} ${k.description}${k.scenario ? `   (defined by ${k.scenario})` : ''}`);
  return `${out.join('\n')}\n`;
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the scenarios, variants and configs')
    .option('--scenario <name|file>', 'list one scenario: a built-in name or a user file')
    .option(
      '--json',
      'print one JSON object (scenarios with their parameters, variants with knobs and choices, configs)',
    )
    .action(async (o) => {
      const c = await catalog(o.scenario);
      process.stdout.write(o.json ? `${JSON.stringify(c, null, 2)}\n` : listing(c));
    });
}
