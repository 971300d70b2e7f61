/**
 * What a model variant is: a named design with user-settable knobs (`--set knob=value`), fixed
 * design parameters, and optionally patches (model functions replaced by name, the way a kernel
 * patch replaces a function body). Built-in variants live with their model
 * (models/linux/variants.ts); a user declares one with defineVariant() (scenarios/api.ts).
 */
import type { KGen } from '../sim/index.js';

export type KnobValue = string | number | boolean;

/**
 * A declared knob or scenario parameter: its type, default and allowed values (validated on
 * `--set` / `--param`, shown by `kernsim list`).
 */
export type ParamDecl =
  | {
      readonly type: 'int';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      readonly description?: string;
    }
  | { readonly type: 'bool'; readonly default: boolean; readonly description?: string }
  | {
      readonly type: 'enum';
      readonly choices: readonly string[];
      readonly default: string;
      readonly description?: string;
    }
  | { readonly type: 'string'; readonly default: string; readonly description?: string };

/** The value type a declaration gives (ctx.params.n is a number for an 'int'). */
export type ParamValue<D extends ParamDecl> = D extends { type: 'int' }
  ? number
  : D extends { type: 'bool' }
    ? boolean
    : D extends { type: 'enum'; choices: readonly (infer E)[] }
      ? E
      : string;

export type ParamValues<P extends Readonly<Record<string, ParamDecl>>> = { readonly [K in keyof P]: ParamValue<P[K]> };

/**
 * A patch: `body` runs instead of the model function `function` (a kfunc's name) for every
 * caller in a variant that carries it, the kernel's own threads included, in that function's
 * frame. `original` is the replaced body, so a patch can call through.
 */
export interface KernelPatch {
  readonly name: string;
  readonly description: string;
  /** The replaced model function's name (as its kfunc carries it: kernel names). */
  readonly function: string;
  // biome-ignore lint/suspicious/noExplicitAny: a patch takes the replaced function's own arguments.
  readonly body: (original: (...args: any[]) => KGen<any>, ...args: any[]) => KGen<any>;
}

/** A model variant: a named design with knobs (e.g. v2 with alloc_fail=stay_attached). */
export interface VariantInfo {
  readonly name: string;
  readonly description: string;
  /** Knob names with their default values. */
  readonly knobs: Readonly<Record<string, KnobValue>>;
  /** Allowed values per knob (for validation and `kernsim list`). */
  readonly choices?: Readonly<Record<string, readonly KnobValue[]>>;
  /** Declared knobs (a user variant's): type, range, description; the rest are typed by their default. */
  readonly knobTypes?: Readonly<Record<string, ParamDecl>>;
  /** The built-in variant this one starts from (its design, knobs and patches come first). */
  readonly base?: string;
  /** Fixed design parameters over the base's (the model reads them where the designs differ). */
  readonly design?: Readonly<Record<string, KnobValue>>;
  /** Model functions this variant replaces (the base's patches, then its own). */
  readonly patches?: readonly KernelPatch[];
  /**
   * A user variant's source hash (sha256 of its definition and of its patches' source text,
   * first 32 hex digits): tokens carry it so that a replay under changed code is refused.
   */
  readonly sourceHash?: string;
}

/** The declaration a knob of `v` has: declared, or typed by its default (and choices). */
export function knobDecl(v: VariantInfo, key: string): ParamDecl | undefined {
  if (!Object.hasOwn(v.knobs, key)) return undefined;
  const declared = v.knobTypes && Object.hasOwn(v.knobTypes, key) ? v.knobTypes[key] : undefined;
  if (declared) return declared;
  const d = v.knobs[key] as KnobValue;
  const ch = v.choices && Object.hasOwn(v.choices, key) ? v.choices[key] : undefined;
  if (ch && typeof d === 'string') return { type: 'enum', choices: ch.map(String), default: d };
  if (typeof d === 'boolean') return { type: 'bool', default: d };
  if (typeof d === 'number') return { type: 'int', default: d };
  return { type: 'string', default: d };
}
