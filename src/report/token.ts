/**
 * Replay tokens: one shell-safe string, `ks1-` + base64url(JSON), carrying
 * everything needed to reproduce one run: scenario reference, variant (and a
 * user variant's source hash: its definition and its patches' source text),
 * config, knob overrides, scenario parameters, prelude runs (earlier runs a cross-run finding depends on),
 * the choices, the index of the report it stands for, and the run's digest so
 * that a token that no longer fits the model is rejected instead of being
 * replayed wrongly.
 *
 * The payload is checked with zod, loaded at the first decode (about 70 ms of module loading
 * that `kernsim list` and a plain exploration never need; the CommonJS build, as require() can
 * load it synchronously: the schema is this module's own, so which copy of zod does not matter).
 */
import { createRequire } from 'node:module';
import type * as Z from 'zod';

export const TOKEN_VERSION = 1;
const PREFIX = `ks${TOKEN_VERSION}-`;

function makeSchema(z: typeof Z) {
  const knob = z.union([z.string(), z.number(), z.boolean()]);
  const choice = z.number().int().min(0);
  return z
    .object({
      /** Scenario name, or a user scenario file's absolute path. */
      s: z.string().min(1).max(4096),
      /** A user scenario file's content hash (sha256, first 32 hex digits): replay loads only that content. */
      h: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .optional(),
      /** Variant (absent: the scenario's default). */
      v: z.string().optional(),
      /** A user variant's source hash (defineVariant: its definition and patches' source; 32 hex digits). */
      vh: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .optional(),
      /** Config name. */
      c: z.string().min(1),
      /** Knob overrides (--set). */
      k: z.record(z.string(), knob).optional(),
      /** Scenario parameters given (--param). */
      q: z.record(z.string(), knob).optional(),
      /** Prelude runs' choices. */
      p: z.array(z.array(choice)).optional(),
      /** Choices. */
      x: z.array(choice),
      /** Index of the report in the run (-1: none). */
      r: z.number().int().min(-1),
      /** Run digest (16 hex digits). */
      d: z.string().regex(/^[0-9a-f]{16}$/),
    })
    .strict();
}

type Payload = Z.infer<ReturnType<typeof makeSchema>>;

let schema: ReturnType<typeof makeSchema> | undefined;

/** The payload's schema, made (and zod loaded) at the first call. */
function payloadSchema(): ReturnType<typeof makeSchema> {
  // report/json.ts's zod when it is loaded (library use), else zod through require().
  const loaded = (globalThis as Record<symbol, unknown>)[Symbol.for('kernsim.zod')] as typeof Z | undefined;
  schema ??= makeSchema(loaded ?? (createRequire(import.meta.url)('zod') as typeof Z));
  return schema;
}

export interface TokenData {
  readonly scenario: string;
  /** Content hash of a user scenario file (absent for a built-in scenario). */
  readonly scenarioHash?: string | undefined;
  readonly variant: string | undefined;
  /** Source hash of a user variant (absent for a built-in one). */
  readonly variantHash?: string | undefined;
  readonly config: string;
  readonly overrides: Readonly<Record<string, string | number | boolean>>;
  /** Scenario parameters given with --param (absent or empty: the defaults). */
  readonly params?: Readonly<Record<string, string | number | boolean>> | undefined;
  readonly prelude: readonly (readonly number[])[];
  readonly choices: readonly number[];
  readonly reportIndex: number;
  readonly digest: string;
}

/** A token that cannot be decoded. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export function encodeToken(t: TokenData): string {
  const o: Payload = { s: t.scenario, c: t.config, x: [...t.choices], r: t.reportIndex, d: t.digest };
  if (t.scenarioHash !== undefined) o.h = t.scenarioHash;
  if (t.variant !== undefined) o.v = t.variant;
  if (t.variantHash !== undefined) o.vh = t.variantHash;
  if (Object.keys(t.overrides).length > 0) o.k = { ...t.overrides };
  if (t.params && Object.keys(t.params).length > 0) o.q = { ...t.params };
  if (t.prelude.length > 0) o.p = t.prelude.map((p) => [...p]);
  return PREFIX + Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');
}

export function decodeToken(token: string): TokenData {
  const s = token.trim();
  const m = /^ks(\d+)-([A-Za-z0-9_-]+)$/.exec(s);
  if (!m) throw new TokenError('malformed token: expected ks1-<base64url>');
  if (Number(m[1]) !== TOKEN_VERSION)
    throw new TokenError(`token format version ${m[1]} is not supported (this kernsim reads version ${TOKEN_VERSION})`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(m[2] as string, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed token: its payload is not valid JSON');
  }
  const r = payloadSchema().safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TokenError(
      `malformed token: ${issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid payload'}`,
    );
  }
  const o = r.data;
  // A key such as '__proto__' is dropped by the record parse: refuse it rather than replay without it.
  for (const [field, what] of [
    ['k', 'knob'],
    ['q', 'param'],
  ] as const) {
    const raw = (json as Record<string, unknown>)[field];
    if (raw && typeof raw === 'object') {
      const kept = Object.keys(o[field] ?? {});
      const lost = Object.keys(raw).find((key) => !kept.includes(key));
      if (lost !== undefined) throw new TokenError(`malformed token: ${field}: ${what} name '${lost}' is not allowed`);
    }
  }
  return {
    scenario: o.s,
    ...(o.h !== undefined ? { scenarioHash: o.h } : {}),
    variant: o.v,
    ...(o.vh !== undefined ? { variantHash: o.vh } : {}),
    config: o.c,
    // Own entries only, in a fresh object (a '__proto__' key stays a key, never a prototype).
    overrides: Object.fromEntries(Object.entries(o.k ?? {})),
    ...(o.q !== undefined ? { params: Object.fromEntries(Object.entries(o.q)) } : {}),
    prelude: o.p ?? [],
    choices: o.x,
    reportIndex: o.r,
    digest: o.d,
  };
}
