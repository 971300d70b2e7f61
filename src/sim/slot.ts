/**
 * A side value attached to an object: what a WeakMap<object, V> would do, kept on the object.
 *
 * Why not a WeakMap: V8's scavenger (the young-generation GC) treats every WeakMap value as
 * reachable, and drops an entry only after copying its value, when the key turns out dead. A
 * module-level WeakMap from a run's objects to values that point into that run's world (a
 * container, a task, a timer's state) therefore keeps every finished run's whole world alive
 * through the next scavenge, which then promotes it to the old generation: measured on
 * mrelease/v2/rt, about 60 KB of every execution survived, and a microbenchmark of one WeakMap
 * entry per 100-object world turned 0.2% survival into 82%. A value kept on the object dies
 * with the object, in the young generation.
 *
 * The value is a non-enumerable symbol-keyed property of the object: Object.keys(), spreads,
 * Object.assign() and JSON never see it, and a tracked object's proxy (sim/memory.ts) passes
 * symbol keys through without an access, so attaching or reading a value is not a memory access
 * of the simulated machine. Objects that cannot take a property (frozen, sealed,
 * non-extensible) keep theirs in a WeakMap, as before.
 */
export class Slot<V> {
  readonly #key: symbol;
  #fallback: WeakMap<object, V> | null = null;

  /** `name` names the property in a debugger (Symbol(name)). */
  constructor(name: string) {
    this.#key = Symbol(name);
  }

  get(obj: object): V | undefined {
    const v = (obj as Record<symbol, V | undefined>)[this.#key];
    if (v !== undefined || this.#fallback === null) return v;
    return this.#fallback.get(obj);
  }

  set(obj: object, v: V): void {
    const o = obj as Record<symbol, V>;
    if (Object.hasOwn(o, this.#key)) o[this.#key] = v;
    else if (Object.isExtensible(obj))
      Object.defineProperty(obj, this.#key, { value: v, writable: true, enumerable: false, configurable: true });
    else {
      if (this.#fallback === null) this.#fallback = new WeakMap<object, V>();
      this.#fallback.set(obj, v);
    }
  }
}

/**
 * A per-run data slot of every machine (Machine.ext), owned by the upper layer that made it: what a
 * symbol key of a Map made per machine was, as an index into a short array (the Map, made per run,
 * and its look-ups were a measurable part of a small program's run).
 */
export class RunSlot<V> {
  /** Its index in every machine's slots (slots are made at module load, a handful per thread). */
  readonly index: number;
  readonly name: string;
  /** What RunSlots.of() puts in the slot at a run's first use (none: only set() fills it). */
  readonly init: (() => V) | undefined;
  constructor(name: string, init?: () => V) {
    this.name = name;
    this.init = init;
    this.index = runSlots++;
  }
  /** For the type only: what the slot holds. */
  declare readonly value?: V;
}

let runSlots = 0;

/** A machine's per-run slots (Machine.ext), by RunSlot. */
export class RunSlots {
  readonly #values: unknown[] = [];

  get<V>(slot: RunSlot<V>): V | undefined {
    return this.#values[slot.index] as V | undefined;
  }

  /** The slot's value, made by its init() at the run's first use. */
  of<V>(slot: RunSlot<V>): V {
    let v = this.#values[slot.index] as V | undefined;
    if (v === undefined) {
      const init = slot.init;
      if (init === undefined) throw new Error(`run slot '${slot.name}' has no init: set() it first`);
      this.set(slot, (v = init()));
    }
    return v;
  }

  set<V>(slot: RunSlot<V>, v: V): void {
    const vs = this.#values;
    // Kept packed: filled up to the slot's index.
    while (vs.length < slot.index) vs.push(undefined);
    vs[slot.index] = v;
  }

  delete(slot: RunSlot<unknown>): void {
    if (slot.index < this.#values.length) this.#values[slot.index] = undefined;
  }
}
