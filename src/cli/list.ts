/** `kernsim list`: the scenarios, variants and configs there are (run/catalog.ts). */
import type { Command } from '@commander-js/extra-typings';
import { type CatalogJson, catalog } from '../run/catalog.js';

export function listing(c: CatalogJson): string {
  const out: string[] = ['Scenarios:'];
  for (const s of c.scenarios) {
    out.push(`  ${s.name.padEnd(24)} ${s.description}${s.file ? `   (${s.file})` : ''}`);
    for (const p of s.params)
      out.push(`      --param ${p.name}=${String(p.default)}${p.choices ? `   (${p.choices.join(' | ')})` : ''}`);
  }
  out.push('', 'Variants:');
  for (const v of c.variants) {
    out.push(`  ${v.name.padEnd(24)} ${v.description}`);
    for (const k of v.knobs)
      out.push(`      --set ${k.name}=${String(k.default)}${k.choices ? `   (${k.choices.join(' | ')})` : ''}`);
  }
  out.push('', 'Configs:');
  for (const k of c.configs) out.push(`  ${k.name.padEnd(24)} ${k.description}`);
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
