/** `kernsim list`: the scenarios, variants and configs there are (`--scenario FILE`: a user file's). */
import type { Command } from '@commander-js/extra-typings';
import type { ParamDecl, Scenario, VariantInfo } from '../scenarios/api.js';
import { configs } from '../scenarios/configs.js';
import { knobDecl, scenarioVariant, scenarios, variants } from '../scenarios/index.js';
import { describeDecl } from '../scenarios/params.js';
import { loadAnyScenario } from '../run/load-scenario.js';
import '../scenarios/builtin.js';

function paramLines(s: Scenario, out: string[]): void {
  for (const [k, d] of Object.entries(s.params ?? {}))
    out.push(
      `      --param ${k}=${String(d.default)}   (${describeDecl(d)})${d.description ? ` ${d.description}` : ''}`,
    );
}

function knobLine(v: VariantInfo, k: string): string {
  const d = knobDecl(v, k) as ParamDecl;
  const declared = v.knobTypes && Object.hasOwn(v.knobTypes, k);
  const ch = v.choices?.[k];
  const what = ch ? ch.join(' | ') : declared ? describeDecl(d) : '';
  return `      --set ${k}=${String(v.knobs[k])}${what ? `   (${what})` : ''}${d.description ? ` ${d.description}` : ''}`;
}

function variantLines(v: VariantInfo, out: string[]): void {
  out.push(`  ${v.name.padEnd(24)} ${v.description}`);
  if (v.base !== undefined) out.push(`      based on ${v.base}`);
  for (const k of Object.keys(v.knobs)) out.push(knobLine(v, k));
  for (const p of v.patches ?? [])
    out.push(`      patch ${p.name}: replaces ${p.function}()${p.description ? `: ${p.description}` : ''}`);
}

export function listing(): string {
  const out: string[] = ['Scenarios:'];
  for (const s of scenarios()) {
    out.push(`  ${s.name.padEnd(24)} ${s.description}`);
    paramLines(s, out);
  }
  out.push('', 'Variants:');
  for (const v of variants()) variantLines(v, out);
  out.push('', 'Configs:');
  out.push(`  ${'default'.padEnd(24)} all sanitizers, !PREEMPT_RT (self-tests)`);
  for (const c of configs) out.push(`  ${c.name.padEnd(24)} ${c.description}`);
  return `${out.join('\n')}\n`;
}

/** One scenario (a user file's): its variants (its own in full), configs and parameters. */
export function scenarioListing(s: Scenario): string {
  const out: string[] = ['Scenario:', `  ${s.name.padEnd(24)} ${s.description}`];
  paramLines(s, out);
  out.push('', 'Variants:');
  if (s.variants.length === 0) out.push('  (none)');
  for (const n of s.variants) {
    const v = scenarioVariant(s, n);
    if (!v) out.push(`  ${n.padEnd(24)} (unknown variant)`);
    else if (s.variantDefs?.includes(v)) variantLines(v, out);
    else out.push(`  ${v.name.padEnd(24)} ${v.description} (built-in)`);
  }
  out.push('', 'Configs:');
  for (const n of s.configs.length > 0 ? s.configs : ['default']) {
    const own = s.configDefs?.find((c) => c.name === n);
    const named = own ?? configs.find((c) => c.name === n);
    const d = n === 'default' ? 'all sanitizers, !PREEMPT_RT (self-tests)' : (named?.description ?? '(unknown config)');
    out.push(`  ${n.padEnd(24)} ${d}${own ? ' (defined by the scenario)' : ''}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerList(program: Command): void {
  program
    .command('list')
    .description(
      'list the scenarios, variants and configs (--scenario FILE: that scenario, its variants, configs, parameters)',
    )
    .option('--scenario <name|file>', 'list one scenario: a built-in name or a user file')
    .action(async (o) => {
      if (o.scenario === undefined) process.stdout.write(listing());
      else process.stdout.write(scenarioListing((await loadAnyScenario(o.scenario)).scenario));
    });
}
