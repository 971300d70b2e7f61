/**
 * The differential self-check of DPOR at length: generated programs over every kernel primitive,
 * each explored by DPOR and by plain exhaustive enumeration (both unbounded, or both under
 * --preemptions P: bounded DPOR is a heuristic, and this measures what it misses); prints how many programs
 * ran, the primitives they used (programs per primitive, failing ones), every mismatch (the
 * program, the outcomes DPOR missed and the exhaustive run that reached each) shrunk, and the
 * programs where only a first-report-wins checker explains the difference (masked).
 *
 *   npm run selfcheck -- [--seed N] [--count N] [--focused N] [--max-executions N]
 *                        [--preemptions P] [--shrink-time SECONDS] [--no-shrink]
 *
 * Defaults: a random seed (printed, so the run can be repeated), 300 general programs and half as
 * many RCU-focused ones, 2000 executions of exhaustive enumeration at most per program, 30 s of
 * shrinking per failing program. SELFCHECK_SEED / SELFCHECK_COUNT set the seed and count too.
 * Exit status 1 when DPOR missed an outcome (or the check itself failed), else 0.
 */
import { parseArgs } from 'node:util';
import { describe, failing, failureText, report, runSuite, shrink, summary } from '../test/explore/differential-gen.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    count: { type: 'string' },
    focused: { type: 'string' },
    'max-executions': { type: 'string' },
    preemptions: { type: 'string' },
    'shrink-time': { type: 'string' },
    'no-shrink': { type: 'boolean', default: false },
  },
});

function int(v: string | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`selfcheck: ${what} must be a non-negative integer, not ${v}`);
    process.exit(2);
  }
  return n;
}

const seed = int(values.seed ?? process.env.SELFCHECK_SEED, '--seed') ?? Math.floor(Math.random() * 1_000_000);
const general = int(values.count ?? process.env.SELFCHECK_COUNT, '--count') ?? 300;
const focused = int(values.focused, '--focused') ?? Math.ceil(general / 2);
const maxExecutions = int(values['max-executions'], '--max-executions') ?? 2_000;
const shrinkMs = (int(values['shrink-time'], '--shrink-time') ?? 30) * 1000;
const preemptions = int(values.preemptions, '--preemptions') ?? -1;
const bound = preemptions < 0 ? 'unbounded' : `preemption bound ${preemptions}`;

console.log(
  `selfcheck: seed ${seed}, ${general} general + ${focused} RCU-focused programs, ${bound}, exhaustive enumeration up to ${maxExecutions} executions each`,
);
const r = runSuite({
  seed,
  general,
  focused,
  maxExecutions,
  preemptions,
  onProgram: (c, done, total) => {
    if (failing(c.diff)) console.log(`\n${failureText(c, seed)}\n`);
    if (done % 25 === 0 || done === total)
      console.log(`  ${done}/${total} programs (${c.source} #${c.index} ${c.diff.status}, ${c.ms.toFixed(0)} ms)`);
  },
});
console.log('');
console.log(summary(r));
const masked = r.checked.filter((c) => c.diff.status === 'masked');
if (masked.length > 0) {
  console.log(
    `\n${masked.length} programs where DPOR missed only titles a first-report-wins checker hides (might_sleep once per HZ, lockdep off after its first splat, WARN_ON_ONCE / RCU_LOCKDEP_WARN once per site):`,
  );
  for (const c of masked) console.log(`  ${c.source} #${c.index}: ${describe(c.prog).split('\n').join(' | ')}`);
}
const bad = r.checked.filter((c) => failing(c.diff));
if (bad.length === 0) {
  console.log(
    `\nOK: DPOR reached every outcome exhaustive enumeration reached on all ${r.checked.length - r.counts['too-large']} programs compared`,
  );
  process.exit(0);
}
console.log(`\nMISMATCH: DPOR missed outcomes of ${bad.length} programs`);
if (!values['no-shrink'])
  for (const c of bad) {
    const s = shrink(c, seed, { maxExecutions, timeMs: shrinkMs, preemptions });
    console.log(
      `\n${c.source} #${c.index} shrunk (${s.shrinks} fast-check shrinks, ${s.removals} removals${s.interrupted ? ', stopped at the time limit' : ''}):`,
    );
    console.log(report(s.prog, s.diff));
    console.log(`  as JSON: ${JSON.stringify(s.prog)}`);
  }
process.exit(1);
