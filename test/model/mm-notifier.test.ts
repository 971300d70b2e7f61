/**
 * The mm-side mechanisms of issue 10 items 4/8, each with a run where it changes what happens
 * (present) and one where it does not (absent): interval notifiers (-EAGAIN of a non-blockable
 * ->invalidate; the read_begin/read_retry collision protocol), the hlist -EAGAIN and its
 * range_end unwind, mmu_notifier_get/put with free_notifier, reclaim's rmap walker against
 * exit_mmap, the mmu_gather (pages freed after invalidate_range_end), the two-threaded exit
 * (files closed after exit_mmap by whichever thread is last), the OOM kill of other processes
 * sharing the mm, and pr_info's -11.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSession, execute } from '../../src/run/session.js';
import { resolveSpec } from '../../src/run/spec.js';
import { Dpor } from '../../src/explore/dpor.js';
import { explore } from '../../src/explore/explorer.js';
import { type Scenario, defineScenario } from '../../src/scenarios/api.js';
import type { SimEvent } from '../../src/sim/index.js';
import { current, type KGen, kfunc } from '../../src/sim/index.js';
import { mutex_init, mutex_lock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import { GFP_KERNEL, kfree, kzalloc } from '../../src/kernel/mm/slab.js';
import { container_of } from '../../src/kernel/lib/container_of.js';
import { PAGE_SIZE, type mm_struct, type page } from '../../src/models/linux/include/linux/mm_types.js';
import type { mmu_notifier_range } from '../../src/models/linux/include/linux/mmu_notifier.js';
import { madvise_dontneed } from '../../src/models/linux/mm/madvise.js';
import {
  MMU_INTERVAL_NOTIFIER_INIT,
  MMU_NOTIFIER_INIT,
  type mmu_interval_notifier,
  type mmu_notifier,
  type mmu_notifier_ops,
  type mmu_notifier_subscriptions,
  mmu_interval_notifier_insert,
  mmu_interval_read_begin,
  mmu_interval_read_retry,
  mmu_interval_set_seq,
  mmu_notifier_get,
  mmu_notifier_put,
  mmu_notifier_register,
  mmu_notifier_unregister,
} from '../../src/models/linux/mm/mmu_notifier.js';
import { __alloc_pages_may_oom, oom_init } from '../../src/models/linux/mm/oom_kill.js';
import { select_design } from '../../src/models/linux/variants.js';
import { type ModelStats, model_stats } from '../../src/models/linux/variants.js';
import { kthread_run } from '../../src/kernel/sched/core.js';
import { GUEST_HVA, sleep_until_killed, spawn_process, spawn_thread } from '../../src/scenarios/oom-kvm-lib.js';
import { handle_mm_fault } from '../../src/models/linux/mm/memory.js';
import { mmap_read_lock, mmap_read_unlock } from '../../src/models/linux/include/linux/mm_types.js';
import { find_task_by_vpid, do_send_sig_info_sigkill } from '../../src/models/linux/include/linux/sched.js';
import { dpor, sweep } from './helpers.js';
import { hlist_del_init_rcu } from '../../src/kernel/lib/list.js';
import { spin_lock, spin_unlock } from '../../src/kernel/locking/spinlock.js';
import { mmdrop, mmget } from '../../src/models/linux/kernel/fork.js';
import { scenarios } from '../../src/scenarios/index.js';
import '../../src/scenarios/builtin.js';

function builtin(name: string): Scenario {
  const s = scenarios().find((x) => x.name === name);
  assert.ok(s, name);
  return s;
}

interface Cell {
  titles: Set<string>;
  complete: boolean;
  executions: number;
  stats: ModelStats[];
  printk: string[];
  values: unknown[];
}

/** DPOR over an in-test scenario (config nonrt unless given). */
function explore_scenario(sc: Scenario, config = 'nonrt', preemptions = 2, faults = 0, variant = 'upstream'): Cell {
  const spec = resolveSpec(sc, sc.name, sc.variants.length > 0 ? variant : undefined, config, []);
  const session = createSession(spec);
  const out: Cell = { titles: new Set(), complete: false, executions: 0, stats: [], printk: [], values: [] };
  const observer = (ev: SimEvent): void => {
    const e = ev as unknown as { type: string; text?: string };
    if (e.type === 'printk' && e.text) out.printk.push(e.text);
  };
  const res = explore(
    new Dpor({ preemptions, faults }),
    (s) => {
      const r = execute(session, s, { observers: [observer] });
      out.stats.push({ ...model_stats() });
      return r;
    },
    { scenario: sc.name, budget: 20000 },
  );
  for (const f of res.findings) out.titles.add(f.title);
  out.complete = res.complete;
  out.executions = res.executions;
  return out;
}

const sum = (c: Cell, k: keyof ModelStats): number => c.stats.reduce((a, s) => a + (s[k] as number), 0);

// ------------------------------------------------------------------ interval notifiers

/** A userptr-like interval subscriber: a device mapping of one page, protected by user_lock. */
interface dev_map {
  mni: mmu_interval_notifier;
  readonly user_lock: ReturnType<typeof mutex_init>;
  map: page | null;
}

function itree_scenario(name: string, check_retry: boolean): Scenario {
  return defineScenario({
    name,
    description: 'an interval notifier reader (read_begin/retry) against madvise',
    variants: [],
    configs: [],
    setup(ctx) {
      select_design(undefined, {});
      void ctx;
      spawn_process('app', function* app(ts) {
        const mm = ts.mm as mm_struct;
        const d = kzalloc<dev_map>(
          () => ({ mni: MMU_INTERVAL_NOTIFIER_INIT(), user_lock: mutex_init('&d->user_lock'), map: null }),
          GFP_KERNEL,
          'struct dev_map',
        ) as dev_map;
        const dev_invalidate = kfunc(function* dev_invalidate(
          mni: mmu_interval_notifier,
          range: mmu_notifier_range,
          cur_seq: number,
        ): KGen<boolean> {
          void range;
          const dm = container_of<dev_map>(mni, 'mni');
          yield* mutex_lock(dm.user_lock);
          yield* mmu_interval_set_seq(mni, cur_seq);
          dm.map = null; /* zap the device PTE */
          yield* mutex_unlock(dm.user_lock);
          return true;
        });
        yield* mmu_interval_notifier_insert(d.mni, mm, GUEST_HVA, PAGE_SIZE, {
          name: 'dev_invalidate',
          invalidate: dev_invalidate,
        });
        spawn_thread(ts, 'app-balloon', function* balloon(self) {
          yield* madvise_dontneed(self.mm as mm_struct, GUEST_HVA, 1);
        });
        /* the device fault: hmm_range_fault-like: read the PTE, then map it unless the seq moved */
        const dev_fault = kfunc(function* dev_fault(): KGen {
          for (let tries = 0; tries < 3; tries++) {
            const seq = yield* mmu_interval_read_begin(d.mni);
            yield* mmap_read_lock(mm);
            const p = handle_mm_fault(mm, GUEST_HVA);
            yield* mmap_read_unlock(mm);
            yield* mutex_lock(d.user_lock);
            if (check_retry && mmu_interval_read_retry(d.mni, seq)) {
              yield* mutex_unlock(d.user_lock);
              continue;
            }
            d.map = p;
            yield* mutex_unlock(d.user_lock);
            break;
          }
          /* the device touches the page it maps (under user_lock, as its invalidation holds it) */
          yield* mutex_lock(d.user_lock);
          if (d.map) d.map.data++;
          yield* mutex_unlock(d.user_lock);
        });
        yield* dev_fault();
      });
    },
  });
}

test('itree: the read_begin/read_retry protocol keeps a device mapping from outliving the page (absent); without the retry check, KASAN (present)', () => {
  const ok = explore_scenario(itree_scenario('mm-itree-retry', true), 'nonrt', 2);
  assert.ok(ok.complete);
  assert.ok(![...ok.titles].some((t) => t.startsWith('BUG: KASAN')), [...ok.titles].join(' | '));
  assert.ok(sum(ok, 'itree_invalidate') > 0);
  const bad = explore_scenario(itree_scenario('mm-itree-noretry', false), 'nonrt', 2);
  assert.ok(bad.titles.has('BUG: KASAN: use-after-free in dev_fault'), [...bad.titles].join(' | '));
});

test('itree-reap: amdgpu refuses the non-blockable invalidation: mn_itree_invalidate gives the reaper -EAGAIN (present); nomn has no itree (absent)', async () => {
  const s = await sweep('itree-reap', 'upstream', 'nonrt', 30, [], 1000);
  assert.ok(
    s.stats.some((st) => st.eagain_itree > 0),
    JSON.stringify(s.stats[0]),
  );
  assert.ok(s.stats.every((st) => st.eagain_hlist === 0));
  const n = await sweep('itree-reap', 'upstream', 'nomn', 10, [], 1000);
  assert.ok(n.stats.every((st) => st.eagain_itree === 0 && st.itree_invalidate === 0));
  assert.deepEqual([...n.titles.keys()], []);
});

// ------------------------------------------------------------------ hlist -EAGAIN, unwind, get/put

test('radeon-reap: radeon_mn (hlist, v5.4) fails the reaper with -EAGAIN; KVM, whose start succeeded, gets its end from the unwind; pr_info prints -11', () => {
  const cell = explore_scenario(builtin('radeon-reap'), 'nonrt', 1, 0, 'upstream');
  assert.ok(sum(cell, 'eagain_hlist') > 0);
  assert.ok(sum(cell, 'unwind_end') > 0, 'the range_end unwind ran');
  assert.ok(
    cell.printk.some(
      (l) => l === 'radeon_mn_invalidate_range_start+0x0/0x390 callback failed with -11 in non-blockable context.',
    ),
    cell.printk.filter((l) => l.includes('callback failed')).join('\n'),
  );
  // absent: v3 detaches KVM before the reaper's invalidations, so nothing needs the unwind
  const v3 = explore_scenario(builtin('radeon-reap'), 'nonrt', 1, 0, 'v3');
  assert.equal(sum(v3, 'unwind_end'), 0);
  assert.ok(sum(v3, 'eagain_hlist') > 0);
});

/** A get/put subscriber with a start callback that sleeps, and two users. */
interface gp_sub {
  mn: mmu_notifier;
  calls: number;
}

function getput_scenario(name: string, broken_put: boolean): Scenario {
  return defineScenario({
    name,
    description: 'mmu_notifier_get twice, put twice, while madvise walks the list',
    variants: [],
    configs: [],
    setup() {
      select_design(undefined, {});
      const ops: mmu_notifier_ops = Object.freeze({
        name: 'gp',
        invalidate_range_start: kfunc(function* gp_invalidate_range_start(mn: mmu_notifier): KGen<number> {
          yield undefined;
          const g = container_of<gp_sub>(mn, 'mn');
          g.calls++;
          return 0;
        }),
        alloc_notifier: () => {
          const g = kzalloc<gp_sub>(() => ({ mn: MMU_NOTIFIER_INIT(ops), calls: 0 }), GFP_KERNEL, 'struct gp_sub');
          return g ? g.mn : -12;
        },
        free_notifier: (mn: mmu_notifier) => kfree(container_of<gp_sub>(mn, 'mn')),
      });
      spawn_process('app', function* app(ts) {
        const mm = ts.mm as mm_struct;
        const a = yield* mmu_notifier_get(ops, mm);
        const b = yield* mmu_notifier_get(ops, mm);
        assert.equal(a, b, 'one subscription per mm and ops');
        spawn_thread(ts, 'app-balloon', function* balloon(self) {
          yield* madvise_dontneed(self.mm as mm_struct, GUEST_HVA, 1);
        });
        yield* mmu_notifier_put(a as mmu_notifier);
        if (broken_put) {
          /* a put that frees at once, as if mmu_notifier_put had no call_srcu */
          const sub = b as mmu_notifier;
          const subs = mm.notifier_subscriptions as mmu_notifier_subscriptions;
          yield* spin_lock(subs.lock);
          hlist_del_init_rcu(sub.hlist);
          yield* spin_unlock(subs.lock);
          kfree(container_of<gp_sub>(sub, 'mn'));
          yield* mmdrop(mm);
        } else yield* mmu_notifier_put(b as mmu_notifier);
      });
    },
  });
}

test('get/put: the last put unhashes and frees through call_srcu after the walkers (absent); a free without the grace period is a use-after-free (present)', () => {
  const ok = explore_scenario(getput_scenario('mm-getput', false), 'nonrt', 2);
  assert.ok(ok.complete);
  assert.deepEqual([...ok.titles], []);
  assert.ok(
    ok.stats.every((st) => st.notifier_freed === 1),
    `free_notifier ran once per run: ${ok.stats.map((st) => st.notifier_freed).join('')}`,
  );
  const bad = explore_scenario(getput_scenario('mm-getput-broken', true), 'nonrt', 2);
  assert.ok(
    [...bad.titles].some((t) => t.startsWith('BUG: KASAN: slab-use-after-free in')),
    [...bad.titles].join(' | '),
  );
});

// ------------------------------------------------------------------ mmu_gather

function gather_scenario(name: string, late: boolean): Scenario {
  return defineScenario({
    name,
    description: 'a secondary MMU that touches its page in invalidate_range_end (or after the caller returns)',
    variants: [],
    configs: [],
    setup() {
      select_design(undefined, {});
      spawn_process('app', function* app(ts) {
        const mm = ts.mm as mm_struct;
        const st = { page: null as page | null };
        const end = kfunc(function* sec_invalidate_range_end(): KGen {
          yield undefined;
          if (st.page && !late) st.page.data++; /* flush its TLB / write back: the page is still live */
        });
        const sub = MMU_NOTIFIER_INIT({ name: 'sec', invalidate_range_end: end });
        const holder = kzalloc(() => ({ sub }), GFP_KERNEL, 'struct sec') as { sub: mmu_notifier };
        yield* mmu_notifier_register(holder.sub, mm);
        yield* mmap_read_lock(mm);
        st.page = handle_mm_fault(mm, GUEST_HVA);
        yield* mmap_read_unlock(mm);
        yield* madvise_dontneed(mm, GUEST_HVA, 1);
        if (late && st.page) st.page.data++; /* after madvise returned: tlb_finish_mmu freed it */
        yield* mmu_notifier_unregister(holder.sub, mm);
        kfree(holder);
      });
    },
  });
}

test('mmu_gather: zapped pages are freed by tlb_finish_mmu after invalidate_range_end (absent in _end), not before; after it, KASAN (present)', () => {
  const ok = explore_scenario(gather_scenario('mm-gather-end', false), 'nonrt', 0);
  assert.deepEqual([...ok.titles], []);
  const late = explore_scenario(gather_scenario('mm-gather-late', true), 'nonrt', 0);
  assert.ok(
    [...late.titles].some((t) => t.startsWith('BUG: KASAN: use-after-free in')),
    [...late.titles].join(' | '),
  );
});

// ------------------------------------------------------------------ rmap walker vs exit_mmap

test('reclaim-reap/nomn: kswapd unmaps through the anon_vma only while the folio is mapped, under its rwsem: no use-after-free of the VMA or mm against exit_mmap', async () => {
  const s = await dpor('reclaim-reap', 'upstream', 'nomn', [], 0, 20000, 2);
  assert.ok(s.complete);
  assert.deepEqual([...s.titles.keys()], []);
});

// ------------------------------------------------------------------ two-threaded exit

test('exit on two threads: the files are closed by the last exit_files, after the exit_mmap of the last mmput, by either thread', () => {
  const closers = new Set<string>();
  let early = 0;
  const sc = defineScenario({
    name: 'mm-exit2',
    description: 'two threads exit at once',
    variants: [],
    configs: [],
    setup() {
      select_design(undefined, {});
      spawn_process('app', function* app(ts) {
        const mm = ts.mm as mm_struct;
        ts.signal.files.push({
          name: 'f',
          release: function* release() {
            yield undefined;
            closers.add(current().comm);
            if (mm.vmas.length !== 0) early++; /* exit_mmap has not finished */
          },
        });
        spawn_thread(ts, 'app-worker', sleep_until_killed);
        spawn_process(
          'kill',
          function* kill() {
            const v = find_task_by_vpid(ts.pid);
            if (v) yield* do_send_sig_info_sigkill(v);
          },
          false,
        );
        yield* sleep_until_killed();
      });
    },
  });
  const c = explore_scenario(sc, 'nomn', 2);
  assert.ok(c.complete);
  assert.equal(early, 0, 'never before exit_mmap');
  assert.deepEqual([...closers].sort(), ['app', 'app-worker']);
});

// ------------------------------------------------------------------ OOM kill of processes sharing the mm

test('__oom_kill_process kills the other processes that share the victim mm (CLONE_VM without CLONE_THREAD) and still queues the reaper; an unrelated process is left alone', () => {
  const killed: string[] = [];
  const sc = defineScenario({
    name: 'mm-oom-share',
    description: 'a vfork-like child shares the victim mm',
    variants: [],
    configs: [],
    setup() {
      select_design(undefined, {});
      oom_init();
      spawn_process('victim', function* victim(ts) {
        const mm = ts.mm as mm_struct;
        // clone(CLONE_VM) without CLONE_THREAD: its own signal_struct, the same mm
        spawn_process(
          'sharer',
          function* sharer(s) {
            mmget(mm);
            s.mm = mm;
            yield* sleep_until_killed();
            killed.push('sharer');
          },
          false,
        );
        spawn_process(
          'bystander',
          function* bystander() {
            yield* sleep_until_killed();
            killed.push('bystander');
          },
          false,
        );
        kthread_run(function* kworker() {
          yield* __alloc_pages_may_oom(GFP_KERNEL, 0);
        }, 'kworker/u4:2');
        yield* sleep_until_killed();
        killed.push('victim');
      });
    },
  });
  const c = explore_scenario(sc, 'nomn', 0);
  assert.ok(killed.includes('victim') && killed.includes('sharer'), killed.join(','));
  assert.ok(!killed.includes('bystander'));
  assert.ok(c.printk.some((l) => l.startsWith('Out of memory: Killed process')));
  assert.ok(!c.printk.some((l) => l.includes('has mm pinned by')));
});
