/**
 * The JSON kernsim prints (`explore --json`, `check --json`, `replay --json`, `list --json`)
 * and the library returns, as zod schemas: the one definition of a finding, an exploration
 * result, a check cell, a replay and the catalog. The types are inferred from the schemas, so
 * the printed JSON, the library's return values and a script's validation
 * (`ExploreJson.parse(JSON.parse(out))`) cannot drift. The commands import only the types from
 * here (importing a value would load zod, about 70 ms, at every start-up); kernsim/explore
 * (run/index.ts) exports the schemas, made with the same zod a script imports.
 */
import * as zodModule from 'zod';
import { z } from 'zod';

// The zod the schemas are made with, for the modules that load it lazily (report/token.ts,
// scenarios/params.ts): once this module is loaded, the library's replay() and a user file's
// declarations use this copy instead of loading a second one through require() (~70 ms).
(globalThis as Record<symbol, unknown>)[Symbol.for('kernsim.zod')] = zodModule;

export const StrategyNameSchema = z.enum(['dpor', 'pct', 'random']);

/** One finding: its title, kind, report text and the tokens that replay it. */
export const FindingJsonSchema = z
  .object({
    title: z.string(),
    kind: z.string(),
    token: z.string(),
    report: z.string(),
    shrunk_token: z.string(),
    /** The execution (1-based) in which it was first found. */
    execution: z.number().int(),
    preemptions: z.number().int(),
    faults: z.number().int(),
    steps: z.number().int(),
    shrunk: z.object({ preemptions: z.number().int(), faults: z.number().int(), steps: z.number().int() }).readonly(),
  })
  .readonly();
export type FindingJson = z.infer<typeof FindingJsonSchema>;

/** One exploration of scenario × variant × config. */
export const ResultJsonSchema = z
  .object({
    scenario: z.string(),
    variant: z.string().nullable(),
    config: z.string(),
    strategy: StrategyNameSchema,
    executions: z.number().int(),
    complete: z.boolean(),
    /** Why an incomplete exploration stopped (absent when complete). */
    incomplete_reason: z.string().optional(),
    bounds: z.object({ preemptions: z.number().int().nullable(), faults: z.number().int() }).readonly(),
    steps: z.number().int(),
    /** Runs abandoned as redundant (sleep-set blocked) or over the bound. */
    abandoned: z.number().int(),
    /** Runs cut at the scenario's step limit that no liveness check explained (then incomplete). */
    cut_runs: z.number().int(),
    elapsed_ms: z.number(),
    jobs: z.number().int(),
    stats: z.record(z.string(), z.union([z.number(), z.string()])),
    findings: z.array(FindingJsonSchema).readonly(),
  })
  .readonly();
export type ResultJson = z.infer<typeof ResultJsonSchema>;

/** `kernsim explore --json`. */
export const ExploreJsonSchema = z
  .object({ version: z.literal(1), results: z.array(ResultJsonSchema).readonly() })
  .readonly();
export type JsonOutput = z.infer<typeof ExploreJsonSchema>;

/** A check cell: the exploration's result, what docs/verdicts.md expects and whether they match. */
export const CheckCellJsonSchema = z
  .object({
    ...ResultJsonSchema.unwrap().shape,
    /** 'clean', the expected titles, or null when docs/verdicts.md has no row for the cell. */
    expected: z.union([z.literal('clean'), z.array(z.string()).readonly(), z.null()]),
    /** null when nothing was compared (--set changed the design). */
    match: z.boolean().nullable(),
  })
  .readonly();
export type CheckCellJson = z.infer<typeof CheckCellJsonSchema>;

/** `kernsim check --json`. */
export const CheckJsonSchema = z
  .object({ version: z.literal(1), results: z.array(CheckCellJsonSchema).readonly(), elapsed_ms: z.number() })
  .readonly();
export type CheckJson = z.infer<typeof CheckJsonSchema>;

/** `kernsim replay --json`. */
export const ReplayJsonSchema = z
  .object({
    version: z.literal(1),
    scenario: z.string(),
    variant: z.string().nullable(),
    config: z.string(),
    steps: z.number().int(),
    end: z.string(),
    digest: z.string(),
    finding: z.object({ title: z.string(), kind: z.string(), report: z.string() }).readonly().nullable(),
  })
  .readonly();
export type ReplayJson = z.infer<typeof ReplayJsonSchema>;

const CatalogValue = z.union([z.string(), z.number(), z.boolean()]);

/** A scenario parameter or a variant knob: name, type, default, allowed values. */
const CatalogSetting = z.object({
  name: z.string(),
  type: z.string(),
  default: CatalogValue,
  choices: z.array(CatalogValue).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  description: z.string().optional(),
});

/**
 * `kernsim list --json` (run/catalog.ts): the scenarios, the variants with their knobs and the
 * configs with their options.
 */
export const CatalogJsonSchema = z
  .object({
    version: z.literal(1),
    scenarios: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        /** The scenario file (absolute path) for a user scenario; null for a built-in one. */
        file: z.string().nullable(),
        variants: z.array(z.string()),
        configs: z.array(z.string()),
        /** Scenario parameters (`--param name=value`): name, type, default, allowed values. */
        params: z.array(CatalogSetting),
      }),
    ),
    variants: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        knobs: z.array(CatalogSetting),
        /** A scenario's own variant (defineVariant): that scenario; absent for a built-in one. */
        scenario: z.string().optional(),
        /** The variant it is based on. */
        base: z.string().optional(),
        /** The model functions it replaces (definePatch). */
        patches: z.array(z.object({ name: z.string(), function: z.string(), description: z.string() })).optional(),
      }),
    ),
    configs: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        options: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])),
        /** A config a scenario defines: that scenario; absent for a named one. */
        scenario: z.string().optional(),
      }),
    ),
  })
  .readonly();
export type CatalogJson = z.infer<typeof CatalogJsonSchema>;

/** The one key of a check cell (report/cell-key.ts, which loads no zod). */
export { cellKey } from './cell-key.js';
