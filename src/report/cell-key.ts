/**
 * The one key of a check cell. Apart from report/json.ts (its schemas load zod, which the
 * commands never need at start-up: `kernsim check` and the HTML matrix only need the key).
 */

/** The one key of a scenario × variant × config cell (`scenario/variant/config`; no variant: `-`). */
export function cellKey(c: {
  readonly scenario: string;
  readonly variant: string | null;
  readonly config: string;
}): string {
  return `${c.scenario}/${c.variant ?? '-'}/${c.config}`;
}
