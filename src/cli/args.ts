/** Argument parsers shared by the commands (commander's argParser callbacks). */
import { InvalidArgumentError } from '@commander-js/extra-typings';

/** An integer >= min. */
export function intArg(min: number) {
  return (v: string): number => {
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return Number(v);
  };
}

/** A positive finite number. */
export function numArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** A repeatable option's values, in order. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** What `kernsim check` and `kernsim fleet run --check` take from their shared options: the matrix's filters and bounds. */
export function checkMatrixOptions(o: {
  readonly scenario: string[];
  readonly variant: string[];
  readonly config: string[];
  readonly set: string[];
  readonly preemptions?: number | undefined;
  readonly faults?: number | undefined;
  readonly watchdogMs?: number | undefined;
  readonly shrink?: boolean | undefined;
}) {
  return {
    scenarios: o.scenario,
    variants: o.variant,
    configs: o.config,
    sets: o.set,
    ...(o.preemptions !== undefined ? { preemptions: o.preemptions } : {}),
    ...(o.faults !== undefined ? { faults: o.faults } : {}),
    watchdogMs: o.watchdogMs,
    shrink: o.shrink ?? false,
  };
}
