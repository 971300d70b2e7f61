/**
 * kmemleak (mm/kmemleak.c), only with CONFIG_DEBUG_KMEMLEAK.
 *
 * Tracks the slab allocator's 'alloc'/'free' events. At the end of a run that finished (every task
 * done or blocked for good, not a step-limit or stop) it does what kmemleak_scan() does: every object
 * starts white; the scan colours gray what a pointer from a root reaches and scans each gray object's
 * block in turn (scan_gray_list()); what stays white is reported, in kmemleak's format
 * ("unreferenced object 0x… (size N):", comm/pid/jiffies, a hex dump of the first 32 bytes, the
 * allocation backtrace). Objects marked kmemleak_not_leak() are never reported.
 *
 * Roots (kmemleak_scan(): the data/bss sections, the per-CPU areas, every task's stack):
 *  - the kernel layer's registered scan areas (kernel/mm/kmemleak.ts): DEFINE_STATIC objects, live
 *    DEFINE_ON_STACK objects, the workqueues' worklists, the timer bases' pending timers, RCU's and
 *    static SRCU domains' callback lists;
 *  - every task that has not exited (running or blocked for ever): its per-task kernel state
 *    (`task.data`: the task_struct and what it points to), the arguments of the kfunc frames it is
 *    executing, and, for the frame that made an allocation and is still executing, that allocation
 *    (what a local variable of that frame may hold).
 * A pointer is a JavaScript reference: a field of a scanned object whose value is a tracked object
 * (or an object embedded in one: an interior pointer, which references the whole block, as in
 * kmemleak) or a plain container (an array, a map, an untracked struct) that is scanned through.
 * Closures are not scanned (their captured variables are invisible), nor are freed objects.
 * Approximations: docs/fidelity/check.md.
 */
import type { AllocEvent, FreeEvent } from '../kernel/events.js';
import { container_entry } from '../kernel/lib/container_of.js';
import { is_poison } from '../kernel/lib/list.js';
import { kmemleak_roots } from '../kernel/mm/kmemleak.js';
import { type Allocation, Machine, Task, addressOf, allocationOf, isTracked, locationOf, rawOf } from '../sim/index.js';
import { type RunLog, hexAddr } from './format.js';
import type { Checker, InstalledChecker } from './checker.js';

interface Leak {
  readonly jiffies: number;
  readonly obj: object | undefined;
}

/** The objects reachable from the roots: the allocations they reach (gray/black in kmemleak's terms). */
function scan(m: Machine, heads: ReadonlyMap<Allocation, Leak>): Set<Allocation> {
  const reached = new Set<Allocation>();
  const seen = new Set<object>();
  const work: unknown[] = [];
  for (const r of kmemleak_roots()) work.push(r);
  for (const t of m.tasks) {
    if (t.dead) continue;
    work.push(t.data);
    const ar = t.args;
    for (let i = 0; i + 2 < ar.length; i += 3) if ((ar[i] as number) <= t.frames.length) work.push(ar[i + 2]);
  }
  // Locals: an allocation whose allocating kfunc frame is still executing on a live task.
  for (const [a, leak] of heads) {
    const t = m.task(a.allocPid);
    if (!t || t.dead || leak.obj === undefined) continue;
    if (allocatingFrameLive(t, a)) work.push(leak.obj);
  }
  while (work.length > 0) {
    const v = work.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof Task || v instanceof Machine || is_poison(v)) continue;
    if (isTracked(v)) {
      const a = allocationOf(v) as Allocation;
      if (!a.live) continue; // freed memory is not scanned
      if (!reached.has(a)) {
        reached.add(a);
        const head = heads.get(a)?.obj;
        if (head !== undefined) work.push(head); // scan the whole block
      }
    }
    const c = container_entry(v);
    if (c !== undefined) work.push(c);
    const raw = rawOf(v);
    if (raw instanceof Map) {
      for (const [k, x] of raw) work.push(k, x);
      continue;
    }
    if (raw instanceof Set) {
      for (const x of raw) work.push(x);
      continue;
    }
    const rec = raw as Record<string, unknown>;
    for (const k of Object.keys(rec)) work.push(rec[k]);
  }
  return reached;
}

/**
 * Whether the kfunc frame that made allocation `a` (its depth and entry step, recorded by the
 * allocator) is still executing on `t`.
 */
function allocatingFrameLive(t: Task, a: Allocation): boolean {
  const f = a.flags.kmemleak_frame as readonly [number, number] | undefined;
  if (!f) return false;
  const ar = t.args;
  for (let i = ar.length - 3; i >= 0; i -= 3) {
    const d = ar[i] as number;
    if (d > t.frames.length) continue; // a frame that threw past its pop
    if (d < f[0]) return false;
    if (d === f[0]) return ar[i + 1] === f[1];
  }
  return false;
}

/** 8 bytes of a field's value, little-endian, as the hex dump shows them. */
function fieldBytes(v: unknown): number[] {
  let n = 0n;
  if (typeof v === 'number' && Number.isInteger(v)) n = BigInt.asUintN(64, BigInt(v));
  else if (typeof v === 'boolean') n = v ? 1n : 0n;
  else if (typeof v === 'bigint') n = BigInt.asUintN(64, v);
  else if (typeof v === 'object' && v !== null && isTracked(v)) n = BigInt(addressOf(v) ?? 0);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** hex_dump_object(): the first min(size, 32) bytes, 16 a line, with the ASCII column. */
function hexDump(obj: object | undefined, size: number): string[] {
  const bytes: number[] = [];
  if (obj !== undefined) {
    const raw = rawOf(obj) as Record<string, unknown>;
    for (const k of Object.keys(raw)) {
      let v = raw[k];
      if (typeof v === 'object' && v !== null && isTracked(v) && allocationOf(v) === allocationOf(obj)) {
        // An embedded struct: its first field.
        const inner = rawOf(v) as Record<string, unknown>;
        const k0 = Object.keys(inner)[0];
        v = k0 === undefined ? 0 : inner[k0];
      }
      bytes.push(...fieldBytes(v));
      if (bytes.length >= 32) break;
    }
  }
  const len = Math.min(size, 32);
  while (bytes.length < len) bytes.push(0);
  bytes.length = len;
  const lines = [`  hex dump (first ${len} bytes):`];
  for (let i = 0; i < len; i += 16) {
    const row = bytes.slice(i, i + 16);
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`    ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines;
}

function installKmemleak(log: RunLog): InstalledChecker {
  const { config } = log;
  /**
   * The run's live slab and vmalloc objects: a new Map at every begin() (one kept and cleared would
   * keep every run's allocations through the young GC once it is old: see check/lockdep.ts heldOf).
   */
  let live = new Map<Allocation, Leak>();
  const hzNs = 1e9 / config.HZ;
  if (config.DEBUG_KMEMLEAK) {
    log.on('alloc', (ev: AllocEvent) => {
      const a = ev.alloc;
      if (a.kind === 'slab' || a.kind === 'vmalloc')
        live.set(a, { jiffies: Math.floor(log.m.now / hzNs), obj: ev.obj });
    });
    log.on('free', (ev: FreeEvent) => live.delete(ev.alloc));
  }
  return {
    begin(): void {
      if (live.size > 0) live = new Map<Allocation, Leak>();
    },
    atEnd(): void {
      if (!config.DEBUG_KMEMLEAK) return;
      const m = log.m;
      let reached: Set<Allocation> | null = null;
      for (const [a, leak] of live) {
        if (!a.live || a.flags.not_leak) continue;
        reached ??= scan(m, live);
        if (reached.has(a)) continue;
        const title = `memory leak in ${locationOf(a.allocFrames)}`;
        if (m.reported(title)) continue;
        const lines = [
          `unreferenced object 0x${hexAddr(a.addr)} (size ${a.size}):`,
          `  comm "${a.allocComm}", pid ${a.allocPid}, jiffies ${leak.jiffies}`,
          ...hexDump(leak.obj, a.size),
          '  backtrace (crc 0):',
        ];
        lines.push(`    ${a.kind === 'vmalloc' ? '__vmalloc_node_range' : '__kmalloc_cache_noprof'}`);
        for (let i = a.allocFrames.length - 1; i >= 0; i--) lines.push(`    ${a.allocFrames[i] as string}`);
        m.report({ kind: 'kmemleak', title, text: lines.join('\n') });
      }
    },
  };
}

/** DEBUG_KMEMLEAK: the checker (check/checker.ts). */
export const kmemleak: Checker = { name: 'kmemleak', install: ({ log }) => installKmemleak(log) };
