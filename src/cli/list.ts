/** `kernsim list`: the scenarios, variants and configs there are. */
import type { Command } from '@commander-js/extra-typings';
import { configs } from '../scenarios/configs.js';
import { scenarios, variants } from '../scenarios/index.js';
import '../scenarios/builtin.js';

export function listing(): string {
  const out: string[] = ['Scenarios:'];
  for (const s of scenarios()) out.push(`  ${s.name.padEnd(24)} ${s.description}`);
  out.push('', 'Variants:');
  for (const v of variants()) {
    out.push(`  ${v.name.padEnd(24)} ${v.description}`);
    for (const [k, d] of Object.entries(v.knobs)) {
      const ch = v.choices?.[k];
      out.push(`      --set ${k}=${String(d)}${ch ? `   (${ch.join(' | ')})` : ''}`);
    }
  }
  out.push('', 'Configs:');
  out.push(`  ${'default'.padEnd(24)} all sanitizers, !PREEMPT_RT (self-tests)`);
  for (const c of configs) out.push(`  ${c.name.padEnd(24)} ${c.description}`);
  return `${out.join('\n')}\n`;
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the scenarios, variants and configs')
    .action(() => {
      process.stdout.write(listing());
    });
}
