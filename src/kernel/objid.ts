/**
 * Object ids for kernel state that is not simulated memory, for step footprints.
 *
 * A primitive whose state lives in a plain struct (a wait queue head's lock, an rcuwait, a
 * refcount_t that a model did not embed in a tracked struct) records its accesses on an id of its
 * own, so that the explorer sees them whether or not the struct is tracked. The id is given when
 * the struct is initialised (DECLARE_WAIT_QUEUE_HEAD(), RCUWAIT_INIT(), REFCOUNT_INIT(), ...), so
 * that it never depends on which task touched the struct first: two runs that share a prefix give
 * the objects that prefix created the same ids (DPOR compares footprints across runs). A struct
 * built without its initialiser gets its id at its first use (a fallback; the id then depends on
 * the schedule before that use). Ids belong to one machine: a struct initialised before the
 * running machine (or without one) is given a new id by the running machine.
 */
import { type Machine, machine, rawOf, RunSlot } from '../sim/index.js';

/**
 * The ids a machine gave, in a map of its own (a slot of Machine.ext): it lives and dies with the
 * machine. One WeakMap for all machines, its entries holding their machine, kept up to ~25
 * finished runs' machines (and all their kernel state) alive through statics that outlive a run
 * (the entry of the last machine that used one), and every scavenge walked its ephemeron table.
 */
const OBJ_IDS = new RunSlot('obj-ids', () => new Map<object, number>());

function idsOf(m: Machine): Map<object, number> {
  return m.ext.of(OBJ_IDS);
}

/** Gives `obj` (a plain struct, before or after it is embedded in tracked memory) an object id now. */
export function assign_obj_id<T extends object>(obj: T): T {
  let m: Machine;
  try {
    m = machine();
  } catch {
    return obj; // no machine yet: the first use assigns it
  }
  idsOf(m).set(rawOf(obj), m.newId());
  return obj;
}

/** The object id of a plain struct (assigned by its initialiser, or now). */
export function obj_id(obj: object): number {
  const m = machine();
  const ids = idsOf(m);
  const raw = rawOf(obj);
  let id = ids.get(raw);
  if (id === undefined) {
    id = m.newId();
    ids.set(raw, id);
  }
  return id;
}
