/**
 * Simulated call stacks.
 *
 * Model functions are generator functions wrapped with kfunc(), which pushes
 * the function's name on the current task's frame stack on entry and pops it
 * on return. Frames are deliberately not popped when the body throws, so an
 * Oops report still shows where it happened. Names registered as internal
 * (locking, scheduler, sanitizer and SRCU machinery) are skipped when a
 * finding's title looks for "the first frame outside the machinery".
 *
 * A machine may carry named function overrides (setKfuncOverrides): a call of a
 * kfunc whose name is in the table runs the override in the kfunc's frame. sim/
 * knows nothing of what they are for (upper layers use them for user patches).
 */
import { type Machine, type SimEvent, current, machine } from './machine.js';
import type { KGen, Pending, Task } from './task.js';

const internal = new Set<string>();
/** The names kfuncs carry (what a named override may replace). */
const kfuncNames = new Set<string>();

/**
 * A named function override: runs instead of the body of every kfunc of that name, in its frame
 * (the name stays in call traces). `original` is the replaced body (without a frame of its own),
 * so an override may call through: `return yield* original(...args)`.
 */
export type KfuncOverride = (original: (...args: never[]) => KGen<unknown>, ...args: never[]) => KGen<unknown>;

/** Override tables by machine (set before its run). */
const overrideTables = new WeakMap<Machine, ReadonlyMap<string, KfuncOverride>>();
/** Whether any machine in this thread ever had a table: until then a call pays one boolean test. */
const overrides = { any: false };
/** The last machine looked up and its table (a call compares one pointer). */
let overrideMachine: Machine | null = null;
let overrideTable: ReadonlyMap<string, KfuncOverride> | null = null;

/** Whether a kfunc of this name exists (has been created by a loaded module). */
export function isKfuncName(name: string): boolean {
  return kfuncNames.has(name);
}

/** The names of every kfunc created so far, sorted. */
export function kfuncNameList(): string[] {
  return [...kfuncNames].sort();
}

/**
 * Installs m's named function overrides (name -> replacement body): every call of a kfunc of
 * that name on m, from any task, runs the replacement. An empty table removes them. Names that
 * no kfunc carries are refused (the caller validates user input first: this is a programming error).
 */
export function setKfuncOverrides(m: Machine, table: ReadonlyMap<string, KfuncOverride>): void {
  for (const n of table.keys()) if (!kfuncNames.has(n)) throw new Error(`no kfunc is named '${n}'`);
  if (table.size === 0) overrideTables.delete(m);
  else {
    overrideTables.set(m, table);
    overrides.any = true;
  }
  if (overrideMachine === m) overrideMachine = null;
}

function overrideOf(m: Machine, name: string): KfuncOverride | undefined {
  if (overrideMachine !== m) {
    overrideMachine = m;
    overrideTable = overrideTables.get(m) ?? null;
  }
  return overrideTable === null ? undefined : overrideTable.get(name);
}

/** Whether fn was made by kfunc() (it pushes its own frame). */
export function isKfunc(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as Branded)[KFUNC] === true;
}

/** Marks frame names as detection machinery (skipped when titling findings). */
export function markInternal(...names: string[]): void {
  for (const n of names) internal.add(n);
}

export function isInternal(name: string): boolean {
  return internal.has(name);
}

/**
 * Wraps a generator function so calls push a named frame. The name is the
 * function's own name, so a model reads `export const f = kfunc(function* f() {...})`.
 *
 * A scenario's setup() creates its kfuncs anew in every run, so creation is cheap: from the
 * second kfunc of a name on (see wrapper()), the wrapper comes from a factory cached per name (a
 * function literal of that name, built once with new Function, so the wrapper's `name`
 * is the kfunc's without a computed-key object or a defineProperty per creation). Wrappers are
 * branded by a symbol-keyed property (a WeakSet entry per creation cost ~300 ns and an ephemeron
 * for the GC). Creation: ~700 -> ~50 ns.
 */
export function kfunc<A extends unknown[], R>(
  body: (...args: A) => KGen<R>,
  name: string = body.name,
): (...args: A) => KGen<R> {
  const wrapped = wrapper(name, body as Body) as Body & Branded;
  wrapped[KFUNC] = true;
  return wrapped as unknown as (...args: A) => KGen<R>;
}

type Body = (...args: unknown[]) => KGen<unknown>;
type Branded = { [KFUNC]?: true };
/** The brand of kfunc() wrappers (isKfunc). */
const KFUNC: unique symbol = Symbol('kfunc');

/** A kfunc's body or, while some machine has overrides, the override of its name on this one. */
function start(name: string, body: Body, args: unknown[]): KGen<unknown> {
  const o = overrideOf(machine(), name);
  return o === undefined ? body(...args) : (o as unknown as (b: Body, ...a: unknown[]) => KGen<unknown>)(body, ...args);
}

/**
 * One kfunc call, as the iterator its caller's yield* (or the machine, for a task's body) runs: it
 * pushes the frame at its first next() (where a generator wrapping the body would start), runs the
 * body's generator, and pops the frame when the body returns (not when it throws: see the header).
 * A class rather than a generator around the body's: each step resumes one generator per frame
 * instead of two, and a call makes this small record instead of a second generator object.
 */
class KFrame {
  private readonly name: string;
  private readonly body: Body;
  private readonly args: unknown[];
  /** The body's generator, made at the first next(); null before. */
  private inner: KGen<unknown> | null = null;
  /** The task whose frame this is (set at the first next()); null again once it returned. */
  private task: Task | null = null;

  constructor(name: string, body: Body, args: unknown[]) {
    this.name = name;
    this.body = body;
    this.args = args;
  }

  next(): IteratorResult<Pending, unknown> {
    let g = this.inner;
    if (g === null) {
      this.task = enterFrame(this.name, this.args);
      // A named override (a patch) runs in this frame instead of the body.
      g = this.inner = overrides.any ? start(this.name, this.body, this.args) : this.body(...this.args);
    }
    const r = g.next();
    if (r.done === true && this.task !== null) {
      leaveFrame(this.task, this.name);
      this.task = null;
    }
    return r;
  }

  return(value: unknown): IteratorResult<Pending, unknown> {
    return this.inner === null ? { value, done: true } : this.inner.return(value);
  }

  throw(err: unknown): IteratorResult<Pending, unknown> {
    if (this.inner === null) throw err;
    return this.inner.throw(err);
  }

  [Symbol.iterator](): this {
    return this;
  }
}

/** Wrapper factories by kfunc name. */
const factories = new Map<string, (body: Body) => Body>();
/** Identifiers the generated factory uses itself (a kfunc of such a name takes the general path). */
const factoryLocals = new Set(['KFrame', 'name', 'body', 'args', 'arguments', 'eval']);

/**
 * The first kfunc of a name (a model's module-level function, made once) is the general path's
 * closure: one literal shared by every such kfunc, hot and optimised early. A name made again (a
 * scenario's setup() makes its kfuncs in every run) gets its factory.
 */
function wrapper(name: string, body: Body): Body {
  const f = factories.get(name);
  if (f !== undefined) return f(body);
  if (!kfuncNames.has(name)) {
    kfuncNames.add(name);
    return generic(name, body);
  }
  const nf = newFactory(name);
  factories.set(name, nf);
  return nf(body);
}

function newFactory(name: string): (body: Body) => Body {
  if (/^[A-Za-z_$][\w$]*$/.test(name) && !factoryLocals.has(name)) {
    try {
      // A function literal named `name` (the name is checked to be a plain identifier above).
      const make = new Function(
        'KFrame',
        'name',
        `return (body) => function ${name}(...args) {
          return new KFrame(name, body, args);
        };`,
      )(KFrame, name) as (body: Body) => Body;
      if (make(start as unknown as Body).name === name) return make;
    } catch {
      // A reserved word: the general path below.
    }
  }
  return (body) => generic(name, body);
}

/** The wrapper made by one literal for every name (a computed-key method). */
function generic(name: string, body: Body): Body {
  return {
    [name](...args: unknown[]): KGen<unknown> {
      return new KFrame(name, body, args) as unknown as KGen<unknown>;
    },
  }[name] as Body;
}

/** A kfunc's entry: pushes its frame and its argument slots on the current task. */
function enterFrame(name: string, args: unknown[]): Task {
  const m = machine();
  const t = m.current;
  const frames = t.frames;
  frames.push(name);
  t.args.push(frames.length, m.stepIndex, args);
  // Trace-only: function entry/exit for the recorder (report/recorder.ts).
  if (m.trace) m.emit({ type: 'enter', name, task: t } as SimEvent);
  return t;
}

/** A kfunc's return: pops its frame, then releases what lived in it. */
function leaveFrame(t: Task, name: string): void {
  const frames = t.frames;
  frames.pop();
  // This frame's slots, and those of frames that threw past their pop (not popped either).
  const ar = t.args;
  // Three pops, not `length -= 3`: a length store is a runtime call, pop() is inlined.
  while (ar.length > 0 && (ar[ar.length - 3] as number) > frames.length) {
    ar.pop();
    ar.pop();
    ar.pop();
  }
  const m = machine();
  if (m.trace) m.emit({ type: 'exit', name, task: t } as SimEvent);
  const sc = t.scoped;
  while (sc.length > 0 && (sc[sc.length - 1] as { depth: number }).depth > frames.length)
    (sc.pop() as { release: () => void }).release();
}

/** Same as kfunc, but marks the function as machinery. */
export function kinternal<A extends unknown[], R>(
  body: (...args: A) => KGen<R>,
  name: string = body.name,
): (...args: A) => KGen<R> {
  markInternal(name);
  return kfunc(body, name);
}

/**
 * The innermost frame outside the machinery, or the innermost frame; with no frame at all, `entry`
 * (the task's body function: Task.entry), or "?".
 */
export function locationOf(frames: readonly string[], entry = ''): string {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i] as string;
    if (!internal.has(f)) return f;
  }
  return frames[frames.length - 1] ?? (entry || '?');
}

/** A kernel-style call trace, innermost first. */
export function formatTrace(frames: readonly string[], indent = ' '): string {
  const lines: string[] = [];
  for (let i = frames.length - 1; i >= 0; i--) lines.push(`${indent}${frames[i]}`);
  return lines.join('\n');
}

/** Ties an object's lifetime to the current frame: `release` runs when that frame returns. */
export function inCurrentFrame(release: () => void): void {
  const t = current();
  t.scoped.push({ depth: t.frames.length, release });
}
