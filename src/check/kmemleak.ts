/**
 * kmemleak (mm/kmemleak.c), only with CONFIG_DEBUG_KMEMLEAK.
 *
 * Tracks the slab allocator's 'alloc'/'free' events. At the end of a run
 * that finished (every task done or blocked for good, not a step-limit or
 * stop), every slab or vmalloc allocation still live and not marked
 * kmemleak_not_leak (`alloc.flags.not_leak`) is reported as unreferenced.
 * Simplification: kmemleak scans memory for pointers; we do not, so an
 * object still reachable from a global at the end of the run is reported
 * unless the scenario frees it (or marks it not_leak) before the run ends.
 */
import type { AllocEvent, FreeEvent } from '../kernel/events.js';
import { type Allocation, locationOf } from '../sim/index.js';
import { type RunLog, hexAddr } from './format.js';

export function installKmemleak(log: RunLog): { atEnd(): void } {
  const { m, config } = log;
  const live = new Map<Allocation, number>();
  const hzNs = 1e9 / config.HZ;
  if (config.DEBUG_KMEMLEAK) {
    log.on('alloc', (ev: AllocEvent) => {
      const a = ev.alloc;
      if (a.kind === 'slab' || a.kind === 'vmalloc') live.set(a, Math.floor(m.now / hzNs));
    });
    log.on('free', (ev: FreeEvent) => live.delete(ev.alloc));
  }
  return {
    atEnd(): void {
      if (!config.DEBUG_KMEMLEAK) return;
      for (const [a, jiffies] of live) {
        if (!a.live || a.flags.not_leak) continue;
        const title = `memory leak in ${locationOf(a.allocFrames)}`;
        if (m.seen.has(title)) continue;
        const lines = [
          `unreferenced object 0x${hexAddr(a.addr)} (size ${a.size}):`,
          `  comm "${a.allocComm}", pid ${a.allocPid}, jiffies ${jiffies}`,
          '  backtrace (crc 0):',
        ];
        lines.push(`    ${a.kind === 'vmalloc' ? '__vmalloc_node_range' : '__kmalloc_cache_noprof'}`);
        for (let i = a.allocFrames.length - 1; i >= 0; i--) lines.push(`    ${a.allocFrames[i] as string}`);
        m.report({ kind: 'kmemleak', title, text: lines.join('\n') });
      }
    },
  };
}
