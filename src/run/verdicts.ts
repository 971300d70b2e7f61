/**
 * docs/verdicts.md: the expected verdict of every cell of the check matrix.
 *
 * The file's "Verdict matrix" table has the columns
 *   | scenario | variant | config | faults | expected |
 * where `expected` is `clean` or the finding titles separated by `<br>`. An optional
 * `preemptions` column overrides the default preemption bound for a cell; an optional `budget`
 * column makes a cell an explicitly incomplete sample of that many executions.
 * Everything else in the file (reasoning, failure-mode references, tokens) is prose.
 */
import { readFileSync } from 'node:fs';
import { cellKey } from '../report/cell-key.js';
import { UsageError } from '../scenarios/index.js';

export interface ExpectedCell {
  readonly scenario: string;
  readonly variant: string;
  readonly config: string;
  /** Fault budget for the cell. */
  readonly faults: number;
  /** Preemption bound for the cell (optional column; undefined: the default). */
  readonly preemptions: number | undefined;
  /**
   * Execution budget (optional column): the cell is a bounded sample, never complete; it is
   * shown as INCOMPLETE and matches on its findings only because the table says so.
   */
  readonly budget: number | undefined;
  /** Expected titles, sorted; empty means clean. */
  readonly titles: readonly string[];
}

export { cellKey };

export function parseVerdicts(text: string, file = 'docs/verdicts.md'): Map<string, ExpectedCell> {
  const cells = new Map<string, ExpectedCell>();
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#+\s*Verdict matrix/i.test(l));
  if (start < 0) throw new UsageError(`${file}: no "Verdict matrix" section`);
  let header: string[] | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (/^#/.test(line)) break;
    if (!line.startsWith('|')) {
      if (header) break;
      continue;
    }
    const cols = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split('|')
      .map((c) => c.trim());
    if (!header) {
      header = cols.map((c) => c.toLowerCase());
      for (const need of ['scenario', 'variant', 'config', 'faults', 'expected'])
        if (!header.includes(need)) throw new UsageError(`${file}: the verdict matrix has no '${need}' column`);
      continue;
    }
    if (cols.every((c) => /^:?-+:?$/.test(c))) continue;
    const get = (name: string): string => cols[(header as string[]).indexOf(name)] ?? '';
    const faults = Number(get('faults'));
    if (!Number.isInteger(faults) || faults < 0)
      throw new UsageError(`${file}:${i + 1}: bad fault budget '${get('faults')}'`);
    const pre = header.includes('preemptions') ? get('preemptions') : '';
    const preemptions = pre === '' || pre === '-' ? undefined : Number(pre);
    if (preemptions !== undefined && (!Number.isInteger(preemptions) || preemptions < -1))
      throw new UsageError(`${file}:${i + 1}: bad preemption bound '${pre}'`);
    const bud = header.includes('budget') ? get('budget') : '';
    const budget = bud === '' || bud === '-' ? undefined : Number(bud);
    if (budget !== undefined && (!Number.isInteger(budget) || budget < 1))
      throw new UsageError(`${file}:${i + 1}: bad budget '${bud}'`);
    const expected = get('expected').replace(/`/g, '');
    const titles =
      expected.toLowerCase() === 'clean'
        ? []
        : expected
            .split(/<br\s*\/?>/)
            .map((t) => t.trim())
            .filter(Boolean)
            .sort();
    const cell: ExpectedCell = {
      scenario: get('scenario'),
      variant: get('variant'),
      config: get('config'),
      faults,
      preemptions,
      budget,
      titles,
    };
    cells.set(cellKey(cell), cell);
  }
  if (cells.size === 0) throw new UsageError(`${file}: the verdict matrix is empty`);
  return cells;
}

export function loadVerdicts(file: string): Map<string, ExpectedCell> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  return parseVerdicts(text, file);
}
