/**
 * The public API for scenarios: programs that drive kernel code on the
 * simulated machine. A user writes one in a TypeScript file
 * (`export default defineScenario({...})`) and runs it with
 * `kernsim explore --scenario ./file.ts`, without touching the engine.
 *
 * The same file may declare its own designs (docs/patches.md):
 * - definePatch() replaces a model function by name for every caller (a kernel patch),
 * - defineVariant() declares a variant (design parameters, typed knobs, patches), from
 *   scratch or based on a built-in variant, that the scenario lists in `variants`,
 * - `params` declares scenario parameters (`--param name=value`), `configs` may define
 *   kernel configs of the scenario's own.
 */
import { createHash } from 'node:crypto';
import { BASE_DESIGN } from '../models/linux/variants.js';
import type { KernelPatch, KnobValue, ParamDecl, ParamValues, VariantInfo } from '../models/variant.js';
import { type KGen, machine } from '../sim/index.js';
import type { NamedConfig } from './configs.js';
import { UsageError, findVariant, normalizeScenario, runKnobs } from './index.js';
import { NAME_RE, checkDecls } from './params.js';

export type { KernelPatch, KnobValue, NamedConfig, ParamDecl, ParamValues, VariantInfo };
export type { ConfigDefinition, Scenario, ScenarioContext, ScenarioDefinition } from './types.js';
import type { Scenario, ScenarioDefinition } from './types.js';

/**
 * Declares a scenario. A definition that does not hold together (a bad parameter declaration,
 * a config or variant defined twice) throws a one-line UsageError when the file is loaded.
 */
export function defineScenario<const P extends Readonly<Record<string, ParamDecl>> = Record<never, ParamDecl>>(
  s: ScenarioDefinition<P>,
): Scenario {
  return normalizeScenario(s, `scenario '${String((s as { name?: unknown })?.name)}'`);
}

/** What definePatch() takes. */
export interface PatchDefinition<A extends unknown[], R> {
  /** The patch's name (shown by `kernsim list`). */
  readonly name: string;
  readonly description?: string;
  /** The model function it replaces: the name its kfunc carries (a kernel function name). */
  readonly function: string;
  /** The replacement: gets the original body (call through with `yield* original(...args)`) and the arguments. */
  readonly body: (original: (...args: A) => KGen<R>, ...args: A) => KGen<R>;
}

/**
 * Declares a patch: in a variant that carries it, every call of the model function
 * `function` (from any task: the scenario's, the kernel's own threads and exit paths) runs
 * `body` instead, in that function's frame (its name stays in call traces). Whether such a
 * function exists is checked when the variant is selected (one line, exit status 2).
 */
/* A body with annotated parameters and an unannotated `original` infers nothing: the defaults
   (any) then let it through, and `original` calls through untyped. definePatch<[args], R>() types it. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
export function definePatch<A extends unknown[] = any[], R = any>(p: PatchDefinition<A, R>): KernelPatch {
  const where = `definePatch '${String((p as { name?: unknown })?.name)}'`;
  if (!p || typeof p !== 'object') throw new UsageError('definePatch takes an object');
  if (typeof p.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.name))
    throw new UsageError(`${where}: name must be a word (letters, digits, '.', '_', '-')`);
  if (typeof p.function !== 'string' || !NAME_RE.test(p.function))
    throw new UsageError(`${where}: function must name a model function`);
  if (typeof p.body !== 'function' || /^Async/.test(p.body.constructor.name))
    throw new UsageError(`${where}: body must be a generator function (function* or *body() {...})`);
  if (p.description !== undefined && typeof p.description !== 'string')
    throw new UsageError(`${where}: description must be a string`);
  return Object.freeze({
    name: p.name,
    description: p.description ?? '',
    function: p.function,
    body: p.body as unknown as KernelPatch['body'],
  });
}

/** What defineVariant() takes. */
export interface VariantDefinition<K extends Readonly<Record<string, ParamDecl>>> {
  readonly name: string;
  readonly description: string;
  /** A variant to start from (a built-in's name, or one made with defineVariant): its design, knobs and patches come first. */
  readonly base?: string | VariantInfo;
  /**
   * Fixed design parameters. Over a built-in base these are the model's Design fields
   * (models/linux/variants.ts), checked by name and type; from scratch, the user's own.
   */
  readonly design?: Readonly<Record<string, KnobValue>>;
  /** Knobs (`--set knob=value`) with their type and default, added to (or redeclaring) the base's. */
  readonly knobs?: K;
  /** Model functions replaced in this variant (after the base's). */
  readonly patches?: readonly KernelPatch[];
}

function canonical(v: unknown): unknown {
  if (typeof v === 'function') return `fn:${v.toString()}`;
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** The source hash of a variant's definition (its patches by their bodies' source text). */
export function variantSourceHash(def: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(def)))
    .digest('hex')
    .slice(0, 32);
}

/**
 * Declares a variant. A scenario runs under it when it lists it in `variants`
 * (`kernsim explore --scenario FILE --variant NAME`); `kernsim list --scenario FILE` shows it.
 * Bad definitions (an unknown base or design field, a knob whose default does not fit its
 * declaration) throw a one-line UsageError when the file is loaded.
 */
export function defineVariant<const K extends Readonly<Record<string, ParamDecl>> = Record<never, ParamDecl>>(
  d: VariantDefinition<K>,
): VariantInfo {
  if (!d || typeof d !== 'object') throw new UsageError('defineVariant takes an object');
  const where = `defineVariant '${String(d.name)}'`;
  if (typeof d.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(d.name))
    throw new UsageError(`${where}: name must be a word (letters, digits, '.', '_', '-')`);
  if (typeof d.description !== 'string') throw new UsageError(`${where}: description must be a string`);
  if (findVariant(d.name)) throw new UsageError(`${where}: a built-in variant has that name`);
  let base: VariantInfo | undefined;
  if (d.base !== undefined) {
    base =
      typeof d.base === 'string'
        ? findVariant(d.base)
        : d.base && typeof d.base === 'object' && typeof d.base.name === 'string'
          ? d.base
          : undefined;
    if (!base) throw new UsageError(`${where}: unknown base variant '${String(d.base)}' (see 'kernsim list')`);
  }
  const design: Record<string, KnobValue> = {};
  if (d.design !== undefined) {
    if (!d.design || typeof d.design !== 'object') throw new UsageError(`${where}: design must be an object`);
    for (const [k, v] of Object.entries(d.design)) {
      if (!['string', 'number', 'boolean'].includes(typeof v))
        throw new UsageError(`${where}: design.${k} must be a string, number or boolean`);
      if (base) {
        if (!Object.hasOwn(BASE_DESIGN, k))
          throw new UsageError(`${where}: '${k}' is not a design parameter of the model (models/linux/variants.ts)`);
        const want = typeof BASE_DESIGN[k as keyof typeof BASE_DESIGN];
        if (typeof v !== want) throw new UsageError(`${where}: design.${k} takes a ${want}; got ${JSON.stringify(v)}`);
      }
      design[k] = v;
    }
  }
  const checked = checkDecls(d.knobs, `${where}: knob`);
  if (!checked.ok) throw new UsageError(checked.message);
  const knobTypes = checked.decls;
  for (const [k, decl] of Object.entries(knobTypes)) {
    if (base && Object.hasOwn(BASE_DESIGN, k)) {
      const want = typeof BASE_DESIGN[k as keyof typeof BASE_DESIGN];
      if (typeof decl.default !== want)
        throw new UsageError(`${where}: knob '${k}' is the design parameter ${k}, which takes a ${want}`);
    }
  }
  const patches = d.patches ?? [];
  if (!Array.isArray(patches)) throw new UsageError(`${where}: patches must be a list made with definePatch()`);
  for (const p of patches)
    if (!p || typeof p !== 'object' || typeof p.function !== 'string' || typeof p.body !== 'function')
      throw new UsageError(`${where}: patches must be made with definePatch()`);
  const knobs: Record<string, KnobValue> = { ...(base?.knobs ?? {}) };
  const choices: Record<string, readonly KnobValue[]> = {};
  for (const [k, c] of Object.entries(base?.choices ?? {})) if (!Object.hasOwn(knobTypes, k)) choices[k] = c;
  for (const [k, decl] of Object.entries(knobTypes)) {
    knobs[k] = decl.default;
    if (decl.type === 'enum') choices[k] = decl.choices;
  }
  const info: VariantInfo = {
    name: d.name,
    description: d.description,
    knobs,
    choices,
    knobTypes: { ...(base?.knobTypes ?? {}), ...knobTypes },
    ...(base ? { base: base.base ?? base.name } : {}),
    design: { ...(base?.design ?? {}), ...design },
    patches: [...(base?.patches ?? []), ...patches],
  };
  return Object.freeze({
    ...info,
    sourceHash: variantSourceHash({ ...info, base: base?.name ?? null, baseHash: base?.sourceHash ?? null }),
  });
}

/** The running variant's effective knob values (for a patch body: `variantKnobs().skip_barrier`). */
export function variantKnobs(): Readonly<Record<string, KnobValue>> {
  return runKnobs();
}

/**
 * For a patch body: the function that called the patched one (the frame below it), e.g.
 * `if (caller() === 'kvm_destroy_vm') return;`.
 */
export function caller(): string | undefined {
  const f = machine().current.frames;
  return f[f.length - 2];
}
