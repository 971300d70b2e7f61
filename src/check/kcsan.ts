/**
 * KCSAN, the Kernel Concurrency Sanitizer (kernel/kcsan/core.c, report.c), as a happens-before
 * data-race detector over simulated memory. Only with CONFIG_KCSAN.
 *
 * The kernel samples accesses with watchpoints; we see every access, so we report every pair the
 * kernel could report in some run: two conflicting accesses to one field of tracked memory, by
 * different tasks, not ordered by happens-before, that KCSAN's default rules would report.
 *
 * Happens-before is computed with vector clocks from the machine's step footprints, the way
 * explore/dpor.ts orders events: program order per task, plus an edge from every earlier
 * conflicting synchronising access (every footprint entry that is not a plain access of tracked
 * memory: a lock acquisition after a release or acquisition, a read after a write of the same
 * object, a write after reads and writes). Marked accesses of tracked memory (READ_ONCE,
 * WRITE_ONCE, ...) synchronise too: our model is sequentially consistent. Plain accesses create
 * no edges. Within a step, entries are taken in program order, so an access before an acquisition
 * in the same step is not ordered by it, and one after a release is not ordered before it.
 *
 * Which footprint entries are tracked field accesses, plain or marked, and their values, come from
 * the memory access observer (sim/memory.ts): each observed access is paired with its footprint
 * entry (the proxy records the entry, then tells the observer).
 *
 * Rules followed (the kernel's defaults):
 *  - one of the two accesses is plain and one is a write;
 *  - CONFIG_KCSAN_ASSUME_PLAIN_WRITES_ATOMIC=y: plain (aligned, word-size: every field here)
 *    writes count as marked, so a report needs a plain read racing with a write (plain or marked);
 *  - CONFIG_KCSAN_REPORT_VALUE_CHANGE_ONLY=y: only if the write changed the value, unless the
 *    writer's function has rcu_/_rcu/_srcu in its name (skip_report());
 *  - CONFIG_KCSAN_INTERRUPT_WATCHER=n: a watcher is not interrupted, so a race between a task and
 *    an interrupt (a timer callback in softirq context) on the same CPU is not reported;
 *  - rate limit: each pair of functions once per run (the kernel: once per
 *    CONFIG_KCSAN_REPORT_ONCE_IN_MS, by the two top frames);
 *  - accesses to freed memory are KASAN's: they neither race nor order here.
 *
 * Layout (print_report()): the write is printed first and the plain read second, as the kernel
 * does when the read set up the watchpoint and the write hit it (with plain writes assumed atomic,
 * only the read can be the watcher); the footer is the reader's dump_stack_print_info().
 */
import { LIST_POISON1, LIST_POISON2 } from '../kernel/lib/list.js';
import {
  ACCESS_ACQUIRE,
  ACCESS_ACQUIRE_SHARED,
  ACCESS_MARKED,
  ACCESS_PLAIN,
  ACCESS_READ,
  ACCESS_RELEASE,
  ACCESS_UNCHECKED,
  ACCESS_WRITE,
  type Allocation,
  type FieldAccess,
  SOFTIRQ_OFFSET,
  type Task,
  addressOf,
  fieldAddress,
  setAccessObserver,
} from '../sim/index.js';
import { type RunLog, hexAddr, plainTrace } from './format.js';
import type { Checker, InstalledChecker } from './checker.js';

const BANNER = '='.repeat(66);

/** in_task() is false in NMI, hardirq or while serving a softirq (include/linux/preempt.h). */
const NOT_IN_TASK = 0x00ff0000 | SOFTIRQ_OFFSET;

/** A vector clock, indexed by pid (missing entries are 0). */
type Clock = number[];

function join(into: Clock, from: Clock): void {
  for (let i = 0; i < from.length; i++) {
    const f = from[i] as number;
    if (i >= into.length) into.push(f);
    else if (f > (into[i] as number)) into[i] = f;
  }
}

/** into = from, in place (into keeps its backing store). */
function assign(into: Clock, from: Clock): void {
  for (let i = 0; i < from.length; i++) into[i] = from[i] as number;
  for (let i = from.length; i < into.length; i++) into[i] = 0;
}

/**
 * Synchronisation state of one object: the clocks of its last write, reads since, acquisitions,
 * releases. A clock is in use only while its bit is set in `live`: an unused clock orders nothing
 * (as one of zeros would), so clearing one is clearing its bit, and acquire() joins only the clocks
 * in use (zeroing a clock at every write or acquisition, and joining clocks of zeros, was a good
 * part of a step's KCSAN time). The arrays are kept for reuse whether in use or not.
 */
class SyncState {
  /** The object's id (its slot in Arena.sync, emptied by reset()). */
  id = 0;
  w: Clock | null = null;
  r: Clock | null = null;
  x: Clock | null = null;
  sh: Clock | null = null;
  rel: Clock | null = null;
  /** Which clocks are in use: LIVE_W | LIVE_R | LIVE_X | LIVE_SH | LIVE_REL. */
  live = 0;
  /**
   * Per clock in use, the pid whose clock it was made from (-1: several): a task's clock only grows,
   * so joining what it published itself into it orders nothing new, and acquire() skips that join.
   */
  wBy = -1;
  rBy = -1;
  xBy = -1;
  shBy = -1;
  relBy = -1;
}

const LIVE_W = 1;
const LIVE_R = 2;
const LIVE_X = 4;
const LIVE_SH = 8;
const LIVE_REL = 16;

/** A clock joined with v: `into` itself when in use (`on`), else a copy of v in its store (or a new one). */
function merged(into: Clock | null, on: boolean, v: Clock): Clock {
  if (into === null) return v.slice();
  if (on) join(into, v);
  else assign(into, v);
  return into;
}

/** A clock set to v, in its store (or a new one). */
function copied(into: Clock | null, v: Clock): Clock {
  if (into === null) return v.slice();
  assign(into, v);
  return into;
}

const NO_FRAMES: readonly string[] = [];

/** One access as KCSAN keeps it: the pending accesses of a step, and the last ones per field and task. */
class Access {
  code = 0;
  mode = ACCESS_PLAIN;
  live = true;
  write = false;
  pid = 0;
  epoch = 0;
  task: Task | null = null;
  cpu = 0;
  irq = false;
  before: unknown = undefined;
  after: unknown = undefined;
  obj: object | null = null;
  field = '';
  alloc: Allocation | null = null;
  frames: readonly string[] = NO_FRAMES;

  /** Lets go of what the access refers to (the pool keeps the object). */
  drop(): void {
    this.task = null;
    this.before = undefined;
    this.after = undefined;
    this.obj = null;
    this.alloc = null;
    this.frames = NO_FRAMES;
  }
}

/**
 * Per field: the last write and the last plain read of each task (never more than one each), in
 * writes[0..nw) and reads[0..nr); the entries past those counts are spares, reused.
 */
class FieldState {
  /** The field's id (its slot in Arena.fields, emptied by reset()). */
  id = 0;
  readonly writes: Access[] = [];
  nw = 0;
  readonly reads: Access[] = [];
  nr = 0;
}

/**
 * What KCSAN keeps during one run, in arrays indexed by object id (small integers handed out in
 * order by the machine). The arena of a finished run is reused by the next run on this thread
 * (install() empties it), so that a run allocates (almost) nothing for KCSAN once warm: the
 * FieldState and SyncState objects and the Access copies are taken from its pools.
 */
class Arena {
  readonly clocks: Clock[] = [];
  /** Whether the task synchronised since its epoch last advanced. */
  readonly dirty: boolean[] = [];
  readonly sync: (SyncState | undefined)[] = [];
  readonly fields: (FieldState | undefined)[] = [];
  readonly fieldPool: FieldState[] = [];
  nfield = 0;
  readonly syncPool: SyncState[] = [];
  nsync = 0;
  /** The last frame snapshot per pid (shared while the stack is unchanged). */
  readonly snaps: (readonly string[] | undefined)[] = [];
  /** The accesses observed in the running step, in order (a pool: a run uses the first ones). */
  readonly pending: Access[] = [];
  /** Field ids with state whose memory was freed in the running step. */
  readonly dead: number[] = [];

  reset(): void {
    // The last run's remembered accesses let go of its tasks, objects and values (they kept that
    // run's machine and all its kernel state alive until their slot was reused). Only the entries
    // in use: a list's entries past its count were dropped at an earlier reset (a run only appends
    // at the count), and the pending records let go of theirs at the end of every step (what they
    // still hold, a frame snapshot, is strings).
    for (let i = 0; i < this.nfield; i++) {
      const f = this.fieldPool[i] as FieldState;
      for (let j = 0; j < f.nw; j++) (f.writes[j] as Access).drop();
      for (let j = 0; j < f.nr; j++) (f.reads[j] as Access).drop();
    }
    this.dead.length = 0;
    this.clocks.length = 0;
    this.dirty.length = 0;
    // Emptied in place, slot by slot: only the ids the run used (the arrays are as long as the
    // largest id any run used; cutting them to length 0 would free their stores for the next run
    // to grow again).
    for (let i = 0; i < this.nsync; i++) this.sync[(this.syncPool[i] as SyncState).id] = undefined;
    for (let i = 0; i < this.nfield; i++) this.fields[(this.fieldPool[i] as FieldState).id] = undefined;
    this.snaps.length = 0;
    this.nfield = 0;
    this.nsync = 0;
  }
}

/**
 * This thread's arena. A run (Machine.run()) is synchronous, so runs on one thread never
 * interleave: each install takes the arena over from the run before, which has ended (or was
 * abandoned and never steps again).
 */
const arena = new Arena();

function idOf(code: number): number {
  return Math.floor(code / 8);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

const U64 = 64;

function fnv64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < s.length; i++) h = BigInt.asUintN(U64, (h ^ BigInt(s.charCodeAt(i))) * 0x100000001b3n);
  return h;
}

function installKcsan(log: RunLog): InstalledChecker | undefined {
  if (!log.config.KCSAN) return undefined;

  // Per run (begin()): the running machine, the arena's contents, the report numbering.
  let m = log.m;
  const { clocks, dirty, sync, fields, snaps, pending, dead } = arena;
  let npending = 0;
  /** Made at the first report that needs it (a WeakMap per run costs every run, and the GC). */
  let objNumbers: WeakMap<object, number> | null = null;
  let nextObj = 0;

  function clockOf(pid: number): Clock {
    let c = clocks[pid];
    if (c === undefined) {
      c = new Array<number>(pid + 1).fill(0);
      c[pid] = 1;
      clocks[pid] = c;
    }
    return c;
  }

  function snapshot(t: Task): readonly string[] {
    const f = t.frames;
    const s = snaps[t.pid];
    if (s !== undefined && s.length === f.length) {
      let same = true;
      for (let i = 0; i < f.length; i++)
        if (s[i] !== f[i]) {
          same = false;
          break;
        }
      if (same) return s;
    }
    const n = f.slice();
    snaps[t.pid] = n;
    return n;
  }

  function observe(a: FieldAccess): void {
    const t = m.current;
    // Outside a step (boot, a scenario's setup, end-of-run hooks): not in any footprint.
    if (t.steps === 0) return;
    let p = pending[npending];
    if (p === undefined) pending[npending] = p = new Access();
    npending++;
    p.code = a.id * 8 + (a.write ? ACCESS_WRITE : ACCESS_READ);
    p.mode = a.mode;
    p.live = a.alloc.live;
    if (!p.live) {
      // Freed memory (release()'s own writes, or a use after free): KASAN's. Forget the field.
      if (fields[a.id] !== undefined || sync[a.id] !== undefined) dead.push(a.id);
      return;
    }
    if (a.mode === ACCESS_UNCHECKED) return;
    p.write = a.write;
    p.pid = t.pid;
    p.task = t;
    p.alloc = a.alloc;
    if (!a.write && a.mode === ACCESS_MARKED) return; // synchronises only; never half of a report
    p.cpu = t.cpu;
    p.irq = (t.preempt_count & NOT_IN_TASK) !== 0;
    p.before = a.before;
    p.after = a.after;
    p.obj = a.obj;
    p.field = a.field;
    p.frames = snapshot(t);
  }

  function stateOf(id: number): SyncState {
    let s = sync[id];
    if (s === undefined) {
      s = arena.syncPool[arena.nsync];
      if (s === undefined) arena.syncPool.push((s = new SyncState()));
      else s.live = 0; // the pooled arrays are kept, unused
      s.id = id;
      arena.nsync++;
      sync[id] = s;
    }
    return s;
  }

  /** The incoming edges of a synchronising access by pid, whose clock is v. */
  function acquire(v: Clock, pid: number, s: SyncState, kind: number): void {
    const live = s.live;
    switch (kind) {
      case ACCESS_READ:
        if (live & LIVE_W && s.wBy !== pid) join(v, s.w as Clock);
        break;
      case ACCESS_WRITE:
        if (live & LIVE_W && s.wBy !== pid) join(v, s.w as Clock);
        if (live & LIVE_R && s.rBy !== pid) join(v, s.r as Clock);
        break;
      case ACCESS_ACQUIRE:
        if (live & LIVE_X && s.xBy !== pid) join(v, s.x as Clock);
        if (live & LIVE_SH && s.shBy !== pid) join(v, s.sh as Clock);
        if (live & LIVE_REL && s.relBy !== pid) join(v, s.rel as Clock);
        break;
      case ACCESS_ACQUIRE_SHARED:
        if (live & LIVE_X && s.xBy !== pid) join(v, s.x as Clock);
        if (live & LIVE_REL && s.relBy !== pid) join(v, s.rel as Clock);
        break;
    }
  }

  /** What later conflicting accesses will be ordered after (pid's access, its clock v). */
  function publish(v: Clock, pid: number, s: SyncState, kind: number): void {
    const live = s.live;
    switch (kind) {
      case ACCESS_READ:
        s.r = merged(s.r, (live & LIVE_R) !== 0, v);
        s.rBy = live & LIVE_R && s.rBy !== pid ? -1 : pid;
        s.live = live | LIVE_R;
        break;
      case ACCESS_WRITE:
        s.w = copied(s.w, v);
        s.wBy = pid;
        s.live = (live | LIVE_W) & ~LIVE_R;
        break;
      case ACCESS_ACQUIRE:
        s.x = copied(s.x, v);
        s.xBy = pid;
        s.live = (live | LIVE_X) & ~LIVE_SH;
        break;
      case ACCESS_ACQUIRE_SHARED:
        s.sh = merged(s.sh, (live & LIVE_SH) !== 0, v);
        s.shBy = live & LIVE_SH && s.shBy !== pid ? -1 : pid;
        s.live = live | LIVE_SH;
        break;
      case ACCESS_RELEASE:
        s.rel = merged(s.rel, (live & LIVE_REL) !== 0, v);
        s.relBy = live & LIVE_REL && s.relBy !== pid ? -1 : pid;
        s.live = live | LIVE_REL;
        break;
    }
  }

  function fieldState(id: number): FieldState {
    let f = fields[id];
    if (f === undefined) {
      f = arena.fieldPool[arena.nfield];
      if (f === undefined) arena.fieldPool.push((f = new FieldState()));
      f.id = id;
      f.nw = 0;
      f.nr = 0;
      arena.nfield++;
      fields[id] = f;
    }
    return f;
  }

  /**
   * The pending access remember() took into a field's list leaves this record in its place (the
   * entry it replaced, or a spare): moving the record instead of copying its thirteen fields.
   */
  let freed: Access | null = null;

  /**
   * Keeps a as its task's entry in list[0..n) (the latest access of a task stands for its earlier
   * ones), leaving in `freed` the record a replaced there; returns the new count.
   */
  function remember(list: Access[], n: number, a: Access, epoch: number): number {
    a.epoch = epoch;
    for (let i = 0; i < n; i++) {
      const e = list[i] as Access;
      if (e.pid === a.pid) {
        list[i] = a;
        freed = e;
        return n;
      }
    }
    freed = list[n] ?? new Access();
    list[n] = a;
    return n + 1;
  }

  /** Race checks of one (live, checked) tracked access against the unordered accesses of other tasks. */
  function check(a: Access, v: Clock, epoch: number): void {
    const id = idOf(a.code);
    const plain = a.mode === ACCESS_PLAIN;
    if (a.write) {
      const f = fieldState(id);
      for (let i = 0; i < f.nr; i++) {
        const r = f.reads[i] as Access;
        if (r.pid !== a.pid && r.epoch > (v[r.pid] ?? 0)) race(a, r, a);
      }
      f.nw = remember(f.writes, f.nw, a, epoch);
    } else if (plain) {
      const f = fieldState(id);
      for (let i = 0; i < f.nw; i++) {
        const w = f.writes[i] as Access;
        if (w.pid !== a.pid && w.epoch > (v[w.pid] ?? 0)) race(w, a, a);
      }
      f.nr = remember(f.reads, f.nr, a, epoch);
    }
  }

  function processAccess(a: Access, v: Clock): void {
    const pid = a.pid;
    const kind = a.code % 8;
    if (a.mode === ACCESS_MARKED) {
      const id = idOf(a.code);
      const s = stateOf(id);
      acquire(v, pid, s, kind);
      if (dirty[pid]) {
        v[pid] = (v[pid] as number) + 1;
        dirty[pid] = false;
      }
      if (a.write) check(a, v, v[pid] as number);
      publish(v, pid, s, kind);
      dirty[pid] = true;
      return;
    }
    if (dirty[pid]) {
      v[pid] = (v[pid] as number) + 1;
      dirty[pid] = false;
    }
    check(a, v, v[pid] as number);
  }

  function onStep(pid: number, fp: readonly number[]): void {
    const n = npending;
    npending = 0;
    let j = 0;
    const v = clockOf(pid);
    for (let i = 0; i < fp.length; i++) {
      const code = fp[i] as number;
      if (j < n) {
        const a = pending[j] as Access;
        if (a.code === code) {
          j++;
          if (a.mode === ACCESS_UNCHECKED || !a.live) continue;
          processAccess(a, a.pid === pid ? v : clockOf(a.pid));
          if (freed !== null) {
            // a now lives in a field's list: the pool gets the record it replaced.
            pending[j - 1] = freed;
            freed = null;
          }
          continue;
        }
      }
      const s = stateOf(idOf(code));
      const kind = code % 8;
      acquire(v, pid, s, kind);
      publish(v, pid, s, kind);
      dirty[pid] = true;
    }
    // Drop the references the pool holds (values, objects), and what free() let go of.
    for (let k = 0; k < n; k++) {
      const a = pending[k] as Access;
      a.before = undefined;
      a.after = undefined;
      a.obj = null;
      a.alloc = null;
      a.task = null;
    }
    if (dead.length > 0) {
      for (const id of dead) {
        fields[id] = undefined;
        sync[id] = undefined;
      }
      dead.length = 0;
    }
  }

  // ---------------------------------------------------------------- reports

  function top(a: Access): string {
    return a.frames[a.frames.length - 1] ?? a.task?.comm ?? '?';
  }

  function bits(v: unknown): bigint {
    switch (typeof v) {
      case 'number':
        if (Number.isInteger(v)) return BigInt.asUintN(U64, BigInt(v));
        {
          const dv = new DataView(new ArrayBuffer(8));
          dv.setFloat64(0, v);
          return dv.getBigUint64(0);
        }
      case 'boolean':
        return v ? 1n : 0n;
      case 'bigint':
        return BigInt.asUintN(U64, v);
      case 'undefined':
        return 0n;
      case 'string':
        return fnv64(v);
      case 'symbol':
        return fnv64(v.description ?? '');
      default: {
        if (v === null) return 0n;
        const o = v as object;
        if (o === LIST_POISON1) return 0xdead000000000100n;
        if (o === LIST_POISON2) return 0xdead000000000122n;
        const addr = addressOf(o);
        if (addr !== undefined) return BigInt(`0x${hexAddr(addr)}`);
        // Never a property read through a proxy: a descriptor look-up is not an access.
        const d = Object.getOwnPropertyDescriptor(o, 'id');
        if (d && typeof d.value === 'number') return BigInt(`0x${log.lockAddr(o)}`);
        // A pointer to a field ({base, field}, like hlist_node.pprev): the field's address.
        const b = Object.getOwnPropertyDescriptor(o, 'base')?.value as unknown;
        const f = Object.getOwnPropertyDescriptor(o, 'field')?.value as unknown;
        if (typeof b === 'object' && b !== null && typeof f === 'string') {
          const fa = fieldAddress(b, f);
          if (fa !== undefined) return BigInt(`0x${hexAddr(fa)}`);
        }
        if (objNumbers === null) objNumbers = new WeakMap<object, number>();
        let n = objNumbers.get(o);
        if (n === undefined) objNumbers.set(o, (n = nextObj++));
        return 0xffffffff8f000000n + BigInt(n) * 0x40n;
      }
    }
  }

  function hex(v: unknown): string {
    return `0x${bits(v).toString(16).padStart(16, '0')}`;
  }

  function accessLine(a: Access, addr: string): string {
    const type = `${a.write ? 'write' : 'read'}${a.mode === ACCESS_MARKED ? ' (marked)' : ''}`;
    const by = a.irq ? 'interrupt' : `task ${a.pid}`;
    return `${type} to 0x${addr} of 8 bytes by ${by} on cpu ${a.cpu}:`;
  }

  /** A write w and a plain read r, unordered; `now` is the later of the two (being processed). */
  function race(w: Access, r: Access, now: Access): void {
    if (w.cpu === r.cpu && w.irq !== r.irq) return; // KCSAN_INTERRUPT_WATCHER=n
    const fw = top(w);
    const changed = !sameValue(w.before, w.after);
    if (!changed && !/rcu_|_rcu|_srcu/.test(fw)) return; // KCSAN_REPORT_VALUE_CHANGE_ONLY
    const fr = top(r);
    const [f1, f2] = fw < fr ? [fw, fr] : [fr, fw];
    const title = `KCSAN: data-race in ${f1} / ${f2}`;
    if (m.reported(title)) return;
    const obj = now.obj as object;
    const addr = hexAddr(fieldAddress(obj, now.field) ?? (now.alloc as Allocation).addr);
    const lines = [
      BANNER,
      `BUG: ${title}`,
      '',
      accessLine(w, addr),
      plainTrace(w.frames, ' '),
      '',
      accessLine(r, addr),
      plainTrace(r.frames, ' '),
    ];
    if (changed) lines.push('', `value changed: ${hex(w.before)} -> ${hex(w.after)}`);
    lines.push('', 'Reported by Kernel Concurrency Sanitizer on:', log.header(r.task as Task), BANNER);
    m.report({ kind: 'kcsan', title, text: lines.join('\n') });
  }

  return {
    begin(): void {
      m = log.m;
      arena.reset();
      npending = 0;
      objNumbers = null;
      nextObj = 0;
      setAccessObserver(m, observe);
      m.stepHooks.push(onStep);
    },
  };
}

/** KCSAN: the checker (check/checker.ts). */
export const kcsan: Checker = { name: 'kcsan', install: ({ log }) => installKcsan(log) };
