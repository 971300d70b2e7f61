/**
 * Declared knobs and scenario parameters (models/variant.ts' ParamDecl): the declarations are
 * checked with zod when a file defines them, and `--set knob=value` / `--param name=value`
 * values are parsed against them. Every message is one line (a UsageError: exit status 2).
 *
 * zod is loaded at the first declaration or integer value to check (about 70 ms of module
 * loading that the built-in scenarios, which declare none, and `kernsim list` never need; the
 * CommonJS build, as require() can load it synchronously: the schemas are this module's own).
 */
import { createRequire } from 'node:module';
import type * as Z from 'zod';
import type { KnobValue, ParamDecl } from '../models/variant.js';

let zod: typeof Z | undefined;

/** zod, loaded at the first call: report/json.ts's when it is loaded (library use), else through require(). */
function loadZod(): typeof Z {
  zod ??=
    ((globalThis as Record<symbol, unknown>)[Symbol.for('kernsim.zod')] as typeof Z | undefined) ??
    (createRequire(import.meta.url)('zod') as typeof Z);
  return zod;
}

function makeDeclSchema(z: typeof Z) {
  const description = z.string().max(500).optional();
  return z.discriminatedUnion('type', [
    z
      .object({
        type: z.literal('int'),
        default: z.number().int(),
        min: z.number().int().optional(),
        max: z.number().int().optional(),
        description,
      })
      .strict()
      .refine((d) => d.min === undefined || d.default >= d.min, { message: 'the default is below min' })
      .refine((d) => d.max === undefined || d.default <= d.max, { message: 'the default is above max' }),
    z.object({ type: z.literal('bool'), default: z.boolean(), description }).strict(),
    z
      .object({
        type: z.literal('enum'),
        choices: z.array(z.string().min(1)).min(1),
        default: z.string(),
        description,
      })
      .strict()
      .refine((d) => d.choices.includes(d.default), { message: 'the default is not one of the choices' }),
    z.object({ type: z.literal('string'), default: z.string(), description }).strict(),
  ]);
}

let declSchema: ReturnType<typeof makeDeclSchema> | undefined;

/** A knob or parameter name: what `--set`/`--param` and tokens carry. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The first zod issue as "path: message". */
export function firstIssue(e: Z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid';
  const path = i.path.map(String).join('.');
  return path ? `${path}: ${i.message}` : i.message;
}

/**
 * Checks a record of declarations (a scenario's params, a variant's knobs); `what` names the
 * definer in the message ("scenario 'x' param"). Returns the declarations as given.
 */
export function checkDecls(
  decls: unknown,
  what: string,
):
  | { readonly ok: true; readonly decls: Readonly<Record<string, ParamDecl>> }
  | { readonly ok: false; readonly message: string } {
  if (decls === undefined) return { ok: true, decls: {} };
  if (decls === null || typeof decls !== 'object' || Array.isArray(decls))
    return { ok: false, message: `${what}s must be an object of declarations` };
  const out: Record<string, ParamDecl> = {};
  for (const key of Object.keys(decls)) {
    if (!NAME_RE.test(key)) return { ok: false, message: `${what} name '${key}' is not an identifier` };
    declSchema ??= makeDeclSchema(loadZod());
    const r = declSchema.safeParse((decls as Record<string, unknown>)[key]);
    if (!r.success) return { ok: false, message: `${what} '${key}': ${firstIssue(r.error)}` };
    out[key] = r.data as ParamDecl;
  }
  return { ok: true, decls: out };
}

/** What a declaration takes, in words (for messages and `kernsim list`). */
export function describeDecl(d: ParamDecl): string {
  switch (d.type) {
    case 'int':
      return `an integer${d.min !== undefined ? ` >= ${d.min}` : ''}${d.max !== undefined ? `${d.min !== undefined ? ' and' : ''} <= ${d.max}` : ''}`;
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${d.choices.join(', ')}`;
    default:
      return 'a string';
  }
}

/** Parses a command-line value against its declaration; a one-line reason when it does not fit. */
export function parseValue(d: ParamDecl, raw: string): { ok: true; value: KnobValue } | { ok: false; message: string } {
  switch (d.type) {
    case 'int': {
      const z = loadZod();
      const r = z
        .string()
        .regex(/^-?\d+$/)
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .safe()
            .min(d.min ?? Number.MIN_SAFE_INTEGER)
            .max(d.max ?? Number.MAX_SAFE_INTEGER),
        )
        .safeParse(raw);
      return r.success ? { ok: true, value: r.data } : { ok: false, message: `takes ${describeDecl(d)}` };
    }
    case 'bool':
      if (raw === 'true' || raw === 'false') return { ok: true, value: raw === 'true' };
      return { ok: false, message: `takes ${describeDecl(d)}` };
    case 'enum':
      return d.choices.includes(raw) ? { ok: true, value: raw } : { ok: false, message: `takes ${describeDecl(d)}` };
    default:
      return { ok: true, value: raw };
  }
}

/**
 * Parses `name=value` assignments against declarations (`flag`: --set or --param; `owner`:
 * "variant 'v2'" or "scenario 'x'"). Returns the given values only (what tokens store).
 */
export function parseAssignments(
  assignments: readonly string[],
  decls: (name: string) => ParamDecl | undefined,
  flag: '--set' | '--param',
  owner: string,
  unknown: (name: string) => string,
): { ok: true; values: Record<string, KnobValue> } | { ok: false; message: string } {
  const word = flag === '--set' ? 'knob' : 'param';
  // Names are user input: own properties only (never 'constructor', 'toString', '__proto__').
  const values = new Map<string, KnobValue>();
  for (const s of assignments) {
    const eq = s.indexOf('=');
    if (eq <= 0) return { ok: false, message: `${flag} expects ${word}=value, got '${s}'` };
    const key = s.slice(0, eq);
    const d = decls(key);
    if (!d) return { ok: false, message: unknown(key) };
    if (values.has(key)) return { ok: false, message: `${flag} ${key} given twice` };
    const raw = s.slice(eq + 1);
    const r = parseValue(d, raw);
    if (!r.ok) return { ok: false, message: `${word} '${key}' of ${owner} ${r.message}; got '${raw}'` };
    values.set(key, r.value);
  }
  return { ok: true, values: Object.fromEntries(values) as Record<string, KnobValue> };
}
