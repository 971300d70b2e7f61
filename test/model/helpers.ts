/** Helpers for the model tests: run a scenario × variant × config under a strategy. */
import { createSession, execute } from '../../src/run/session.js';
import { resolveSpec } from '../../src/run/spec.js';
import { loadScenario } from '../../src/scenarios/index.js';
import { Dpor } from '../../src/explore/dpor.js';
import { PctSearch } from '../../src/explore/pct.js';
import { explore } from '../../src/explore/explorer.js';
import '../../src/scenarios/builtin.js';
import type { ChoicePoint, Report, RunResult, Strategy } from '../../src/sim/index.js';
import { type ModelStats, model_stats } from '../../src/models/linux/variants.js';

/** A seeded xorshift random walk over schedule and data choices (faults with probability 1/faultDiv). */
export class Seeded implements Strategy {
  private s: number;
  private readonly faultDiv: number;
  constructor(seed: number, faultDiv = 4) {
    this.faultDiv = faultDiv;
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  private next(): number {
    this.s ^= this.s << 13;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    return this.s >>> 0;
  }
  choose(p: ChoicePoint): number {
    if (p.kind === 'data') return p.fault ? (this.next() % this.faultDiv === 0 ? 1 : 0) : this.next() % p.options;
    return p.enabled[this.next() % p.enabled.length] as number;
  }
}

export interface Sweep {
  runs: number;
  titles: Map<string, Report>;
  ends: Map<string, number>;
  results: RunResult[];
  stats: ModelStats[];
}

/** Runs `n` seeded random runs and collects the finding titles. */
export async function sweep(
  scenario: string,
  variant: string,
  config: string,
  n: number,
  sets: string[] = [],
  faultDiv = 4,
): Promise<Sweep> {
  const sc = await loadScenario(scenario);
  const spec = resolveSpec(sc, scenario, variant, config, sets);
  const session = createSession(spec);
  const out: Sweep = { runs: 0, titles: new Map(), ends: new Map(), results: [], stats: [] };
  for (let i = 1; i <= n; i++) {
    const r = execute(session, new Seeded(i, faultDiv));
    out.runs++;
    out.ends.set(r.end, (out.ends.get(r.end) ?? 0) + 1);
    for (const rep of r.reports) if (!out.titles.has(rep.title)) out.titles.set(rep.title, rep);
    out.results.push(r);
    out.stats.push(model_stats());
  }
  return out;
}

export interface DporSweep {
  titles: Map<string, Report>;
  complete: boolean;
  executions: number;
  ms: number;
}

/** DPOR exploration (preemption bound 2, fault budget 1 unless given) of one cell. */
export async function dpor(
  scenario: string,
  variant: string,
  config: string,
  sets: string[] = [],
  faults = 1,
  budget = 20000,
  preemptions = 2,
): Promise<DporSweep> {
  const sc = await loadScenario(scenario);
  const spec = resolveSpec(sc, scenario, variant, config, sets);
  const session = createSession(spec);
  const t0 = Date.now();
  const res = explore(new Dpor({ preemptions, faults }), (s) => execute(session, s), { scenario, budget });
  const titles = new Map<string, Report>();
  for (const f of res.findings) titles.set(f.title, f.report);
  return { titles, complete: res.complete, executions: res.executions, ms: Date.now() - t0 };
}

/** PCT (depth 2, seed 1 unless given) over `runs` runs of one cell: the sampled counterpart of dpor(). */
export async function pct(
  scenario: string,
  variant: string,
  config: string,
  sets: string[],
  faults: number,
  runs: number,
  seed = 1,
): Promise<DporSweep> {
  const sc = await loadScenario(scenario);
  const spec = resolveSpec(sc, scenario, variant, config, sets);
  const session = createSession(spec);
  const t0 = Date.now();
  const res = explore(new PctSearch({ seed, faults, depth: 2, count: runs }), (s) => execute(session, s), { scenario });
  const titles = new Map<string, Report>();
  for (const f of res.findings) titles.set(f.title, f.report);
  return { titles, complete: res.complete, executions: res.executions, ms: Date.now() - t0 };
}
