/**
 * KASAN (mm/kasan/report.c, report_generic.c) on simulated memory. Only with
 * CONFIG_KASAN.
 *
 * Every access to a tracked object whose allocation is no longer live comes
 * through the machine's bad-access hook (sim/memory.ts). The bug type follows
 * the allocation's kind: slab -> slab-use-after-free, vmalloc ->
 * vmalloc-out-of-bounds (a freed vmalloc area carries KASAN_VMALLOC_INVALID),
 * stack -> stack-use-after-return (stack-use-after-scope when the object's
 * flags say `scope`), page and anything else -> use-after-free. 'bad_free'
 * events are double-free (the object was allocated once) or invalid-free.
 * Accesses are reported as 8-byte accesses by the current task; each title
 * is reported once per run.
 *
 * SLAB_TYPESAFE_BY_RCU (kernel/mm/slab_common.ts): an object freed to such a cache is not
 * poisoned (mm/kasan/common.c poison_slab_object() returns early), so accesses to it, reused or
 * not, are not reported; once its slab page is returned after a grace period
 * (flags.slab_page_freed), an access is a "use-after-free" described as a page, with no
 * allocation/free tracks.
 */
import type { BadFreeEvent } from '../kernel/events.js';
import { type Allocation, type Task, locationOf, setBadAccessHook } from '../sim/index.js';
import { type RunLog, hexAddr, kmallocSize, plainTrace } from './format.js';
import type { Checker, InstalledChecker } from './checker.js';

const BANNER = '='.repeat(66);

/** A SLAB_TYPESAFE_BY_RCU object whose slab page went back to the page allocator (kernel/mm/slab_common.ts). */
function pageFreed(a: Allocation): boolean {
  return a.flags.slab_page_freed === true;
}

function bugType(a: Allocation): string {
  if (pageFreed(a)) return 'use-after-free';
  switch (a.kind) {
    case 'slab':
      return 'slab-use-after-free';
    case 'vmalloc':
      return 'vmalloc-out-of-bounds';
    case 'stack':
      return a.flags.scope ? 'stack-use-after-scope' : 'stack-use-after-return';
    default:
      return 'use-after-free';
  }
}

function cacheName(a: Allocation): string {
  const c = a.flags.cache;
  return typeof c === 'string' ? c : `kmalloc-${kmallocSize(a.size)}`;
}

function installKasan(log: RunLog): InstalledChecker | undefined {
  if (!log.config.KASAN) return undefined;
  /** The running machine (begin()). */
  let m = log.m;

  function tracks(a: Allocation, lines: string[]): void {
    lines.push(
      '',
      `Allocated by task ${a.allocPid}:`,
      plainTrace(a.allocFrames, ' ', ['kasan_save_stack', 'kasan_save_track', '__kasan_kmalloc']),
    );
    if (!a.live && a.freeStep >= 0)
      lines.push(
        '',
        `Freed by task ${a.freePid}:`,
        plainTrace(a.freeFrames, ' ', [
          'kasan_save_stack',
          'kasan_save_track',
          'kasan_save_free_info',
          '__kasan_slab_free',
        ]),
      );
  }

  function describe(a: Allocation, addr: number, lines: string[]): void {
    const off = addr - a.addr;
    const start = hexAddr(a.addr);
    const end = hexAddr(a.addr + a.size);
    if (a.kind === 'vmalloc') {
      lines.push(
        '',
        'The buggy address belongs to the virtual mapping at',
        ` [${start}, ${end}) created by:`,
        plainTrace(a.allocFrames, ' ', ['__vmalloc_node_range']),
      );
    } else if (a.kind === 'stack') {
      lines.push(
        '',
        `The buggy address belongs to stack of task ${a.allocComm}/${a.allocPid}`,
        ` and is located at offset ${off} in frame:`,
        ` ${locationOf(a.allocFrames)}`,
        '',
        'This frame has 1 object:',
        ` [0, ${a.size}) '${a.label}'`,
      );
    } else if (a.kind === 'slab' && !pageFreed(a)) {
      const sz = kmallocSize(a.size);
      lines.push(
        '',
        `The buggy address belongs to the object at ${start}`,
        ` which belongs to the cache ${cacheName(a)} of size ${sz}`,
        `The buggy address is located ${off} bytes inside of`,
        ` ${a.live ? '' : 'freed '}${sz}-byte region [${start}, ${hexAddr(a.addr + sz)})`,
      );
    } else {
      lines.push(
        '',
        'The buggy address belongs to the physical page:',
        `page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x${Math.floor(a.addr / 4096).toString(16)}`,
        `The buggy address is located ${off} bytes inside of the ${a.size}-byte region [${start}, ${end})`,
      );
    }
  }

  function access(a: Allocation, offset: number, _field: string, write: boolean): void {
    const t = m.current;
    const type = bugType(a);
    const title = `BUG: KASAN: ${type} in ${locationOf(t.frames, t.entry)}`;
    if (m.reported(title)) return;
    const addr = a.addr + offset;
    const lines = [
      BANNER,
      `BUG: KASAN: ${type} in ${locationOf(t.frames, t.entry)}`,
      `${write ? 'Write' : 'Read'} of size 8 at addr ${hexAddr(addr)} by task ${t.comm}/${t.pid}`,
      '',
      log.dumpStack(t, ['dump_stack_lvl', 'print_report', 'kasan_report']),
    ];
    // A page no longer in the slab allocator has no object tracks (print_address_description()).
    if (a.kind !== 'stack' && !pageFreed(a)) tracks(a, lines);
    describe(a, addr, lines);
    lines.push(BANNER);
    m.report({ kind: 'kasan', title, text: lines.join('\n') });
    log.taint('B');
  }

  function badFree(ev: BadFreeEvent): void {
    const t: Task = ev.task;
    const a = ev.alloc;
    const type = a ? 'double-free' : 'invalid-free';
    const title = `BUG: KASAN: ${type} in ${locationOf(t.frames, t.entry)}`;
    if (m.reported(title)) return;
    const lines = [
      BANNER,
      title,
      `Free of addr ${a ? hexAddr(a.addr) : '0000000000000000'} by task ${t.comm}/${t.pid}`,
      '',
      log.dumpStack(t, ['dump_stack_lvl', 'print_report', 'kasan_report_invalid_free']),
    ];
    if (a) {
      tracks(a, lines);
      describe(a, a.addr, lines);
    } else {
      lines.push('', `The buggy address does not belong to a live allocation (${ev.label})`);
    }
    lines.push(BANNER);
    m.report({ kind: 'kasan', title, text: lines.join('\n') });
    log.taint('B');
  }

  log.on('bad_free', badFree);
  return {
    begin(): void {
      m = log.m;
      setBadAccessHook(m, access);
    },
  };
}

/** KASAN: the checker (check/checker.ts). */
export const kasan: Checker = { name: 'kasan', install: ({ log }) => installKasan(log) };
