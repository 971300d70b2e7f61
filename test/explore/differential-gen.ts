/**
 * The differential self-check of DPOR: small random programs over every kernel primitive, and the
 * comparison of the outcomes unbounded DPOR reaches with those plain exhaustive enumeration of
 * every schedule (and every data choice within the same fault budget) reaches.
 *
 * A program is 2-3 tasks, each a short list of operations over one fixed world of shared objects
 * (two counters and a flag in static tracked memory, an atomic_t, an RCU-protected pointer to a
 * kmalloc'ed struct, one lock of each kind, an SRCU domain, a completion, a wait queue, an rcuwait,
 * a work item, a delayed work, a timer, a kthread per task), plus the bodies the work item, the
 * timer and the kthreads run. Operations are structured (a lock section takes and releases its
 * lock, a read-side section is balanced), so every program runs; misuse the structure allows
 * (sleeping inside a spinlock, freeing what a reader still uses, waiting for a wake-up that never
 * comes) is reported by the checkers, and is an outcome like any other.
 *
 * An outcome is the set of finding titles of a run plus a digest of the final state: the shared
 * variables, the pointer (which object, freed or not), the primitives' states, and what each
 * executor (task, kthread, per-CPU worker, timer) observed, in its own program order. Runs cut at
 * the step limit are excluded from both sets and counted. Everything a program shares goes
 * through tracked memory or a kernel primitive, so the outcome of a run is a function of the
 * dependency order of its steps: if DPOR misses an outcome, it missed a dependency.
 */
import fc from 'fast-check';
import { createCheckState, installCheckers } from '../../src/check/index.js';
import type { RunFn } from '../../src/explore/common.js';
import { Dpor } from '../../src/explore/dpor.js';
import { Exhaustive } from '../../src/explore/exhaustive.js';
import { type ExploreResult, explore } from '../../src/explore/explorer.js';
import {
  type completion,
  complete,
  complete_all,
  init_completion,
  reinit_completion,
  try_wait_for_completion,
  wait_for_completion,
} from '../../src/kernel/completion.js';
import { makeConfig } from '../../src/kernel/config.js';
import { boot, jiffies } from '../../src/kernel/kernel.js';
import {
  KREF_INIT,
  type kref,
  kref_get,
  kref_get_unless_zero,
  kref_put,
  kref_put_lock,
  kref_put_mutex,
} from '../../src/kernel/kref.js';
import { kthread_run, kthread_should_stop, kthread_stop } from '../../src/kernel/kthread.js';
import { container_of } from '../../src/kernel/lib/container_of.js';
import {
  LIST_HEAD,
  type list_head,
  list_add_tail_rcu,
  list_first_entry_or_null,
  list_for_each_entry_rcu,
  list_next_entry_rcu,
  list_replace_rcu,
} from '../../src/kernel/lib/list.js';
import {
  HLIST_NULLS_HEAD_INIT,
  HLIST_NULLS_NODE,
  get_nulls_value,
  type hlist_nulls_head,
  type hlist_nulls_node,
  hlist_nulls_add_head_rcu,
  hlist_nulls_del_rcu,
  hlist_nulls_for_each_entry_rcu,
  hlist_nulls_next_entry_rcu,
  is_a_nulls,
} from '../../src/kernel/lib/list_nulls.js';
import { type mutex, mutex_init, mutex_lock, mutex_trylock, mutex_unlock } from '../../src/kernel/locking/mutex.js';
import {
  type rwlock_t,
  read_lock,
  read_unlock,
  rwlock_init,
  write_lock,
  write_unlock,
} from '../../src/kernel/locking/rwlock.js';
import {
  type rw_semaphore,
  down_read,
  down_read_trylock,
  down_write,
  down_write_trylock,
  init_rwsem,
  up_read,
  up_write,
} from '../../src/kernel/locking/rwsem.js';
import {
  type raw_spinlock_t,
  type spinlock_t,
  raw_spin_lock,
  raw_spin_lock_init,
  raw_spin_unlock,
  spin_lock,
  spin_lock_init,
  spin_trylock,
  spin_unlock,
  spin_unlock_irqrestore,
} from '../../src/kernel/locking/spinlock.js';
import { GFP_ATOMIC, GFP_KERNEL, GFP_NOWAIT, type gfp_t } from '../../src/kernel/mm/gfp.js';
import { DEFINE_STATIC, is_live_allocation, kfree, kmalloc, kmemleak_not_leak } from '../../src/kernel/mm/slab.js';
import {
  SLAB_TYPESAFE_BY_RCU,
  kfree_rcu,
  type kmem_cache,
  kmem_cache_alloc,
  kmem_cache_create,
} from '../../src/kernel/mm/slab_common.js';
import { refcount_dec_and_lock_irqsave } from '../../src/kernel/refcount.js';
import {
  ATOMIC_INIT,
  type atomic_t,
  READ_ONCE,
  WRITE_ONCE,
  atomic_dec_and_test,
  atomic_inc,
  atomic_read,
  shared,
} from '../../src/kernel/once.js';
import {
  local_bh_disable,
  local_bh_enable,
  local_irq_disable,
  local_irq_enable,
  preempt_disable,
  preempt_enable,
} from '../../src/kernel/preempt.js';
import {
  call_srcu,
  init_srcu_struct,
  srcu_barrier,
  type srcu_struct,
  srcu_read_lock,
  srcu_read_unlock,
  synchronize_srcu,
} from '../../src/kernel/rcu/srcutree.js';
import { call_rcu, rcu_barrier, synchronize_rcu } from '../../src/kernel/rcu/tree.js';
import {
  RCU_HEAD_INIT,
  type rcu_head,
  rcu_dereference,
  rcu_read_lock,
  rcu_read_unlock,
} from '../../src/kernel/rcu/update.js';
import { cond_resched, msleep, spawn_user } from '../../src/kernel/sched/core.js';
import { RCUWAIT_INIT, type rcuwait, rcuwait_wait_event, rcuwait_wake_up } from '../../src/kernel/sched/rcuwait.js';
import { DECLARE_WAIT_QUEUE_HEAD, type wait_queue_head_t, wait_event, wake_up } from '../../src/kernel/sched/wait.js';
import {
  TIMER_INIT,
  add_timer_on,
  mod_timer,
  type timer_list,
  timer_delete,
  timer_delete_sync,
  timer_pending,
  timer_setup,
} from '../../src/kernel/time/timer.js';
import {
  type delayed_work,
  INIT_DELAYED_WORK,
  INIT_WORK,
  cancel_delayed_work,
  cancel_delayed_work_sync,
  cancel_work,
  cancel_work_sync,
  flush_delayed_work,
  flush_work,
  queue_delayed_work,
  queue_work,
  system_wq,
  type work_struct,
} from '../../src/kernel/workqueue.js';
import {
  type KGen,
  type RunResult,
  type Strategy,
  type Task,
  current,
  kfunc,
  machine,
  rawOf,
} from '../../src/sim/index.js';

// ------------------------------------------------------------------ programs

export type Var = 'x' | 'y' | 'flag';
export type Gfp = 'GFP_KERNEL' | 'GFP_ATOMIC' | 'GFP_NOWAIT';
export type LockKind =
  | 'raw_spin_lock'
  | 'spin_lock'
  | 'read_lock'
  | 'write_lock'
  | 'mutex_lock'
  | 'down_read'
  | 'down_write';
export type TryKind = 'spin_trylock' | 'mutex_trylock' | 'down_read_trylock' | 'down_write_trylock';
export type SectionKind = 'rcu' | 'srcu' | 'preempt' | 'irq' | 'bh';
export type Flavour = 'rcu' | 'srcu';

/** Operations without operands. */
export const SIMPLE_OPS = [
  'yield',
  'cond_resched',
  'atomic_inc',
  'atomic_read',
  'atomic_dec_and_test',
  'load',
  'deref',
  'unpublish',
  'kfree',
  'synchronize_rcu',
  'call_rcu',
  'rcu_barrier',
  'synchronize_srcu',
  'call_srcu',
  'srcu_barrier',
  'complete',
  'complete_all',
  'wait_for_completion',
  'try_wait_for_completion',
  'wake_up',
  'wait_event',
  'rcuwait_wake_up',
  'rcuwait_wait_event',
  'queue_work',
  'flush_work',
  'cancel_work',
  'cancel_work_sync',
  'flush_delayed_work',
  'cancel_delayed_work',
  'cancel_delayed_work_sync',
  'timer_delete',
  'timer_delete_sync',
  'msleep',
  'kthread_run',
  'kthread_stop',
  'kthread_should_stop',
  'reinit_completion',
  'rcu_dereference',
  'kfree_rcu',
  'list_walk',
  'list_replace_rcu',
  'nulls_walk',
  'nulls_move',
  'kref_get',
  'kref_get_unless_zero',
  'kref_put',
  'kref_put_lock',
  'kref_put_mutex',
  'refcount_dec_and_lock_irqsave',
] as const;
export type SimpleOp = (typeof SIMPLE_OPS)[number];

export type Op =
  | { readonly op: SimpleOp }
  | { readonly op: 'read'; readonly v: Var }
  | { readonly op: 'write'; readonly v: Var; readonly val: number }
  | { readonly op: 'inc'; readonly v: Var }
  | { readonly op: 'publish'; readonly gfp: Gfp }
  /** publish an object of the SLAB_TYPESAFE_BY_RCU cache (a freed one is reused: same memory, new tag). */
  | { readonly op: 'publish_cache'; readonly gfp: Gfp }
  | { readonly op: 'kmalloc_kfree'; readonly gfp: Gfp }
  | { readonly op: 'queue_delayed_work'; readonly delay: number }
  | { readonly op: 'mod_timer'; readonly delay: number }
  | { readonly op: 'add_timer_on'; readonly cpu: number }
  | { readonly op: 'lock'; readonly lock: LockKind; readonly body: readonly Op[] }
  | { readonly op: 'trylock'; readonly lock: TryKind; readonly body: readonly Op[] }
  | { readonly op: 'section'; readonly kind: SectionKind; readonly body: readonly Op[] };

export interface Program {
  /** Each task's operations. */
  readonly tasks: readonly (readonly Op[])[];
  /** The CPU each task is pinned to (NR_CPUS = 2). */
  readonly cpus: readonly number[];
  /** What the work item (and the delayed work) does when it runs. */
  readonly work: readonly Op[];
  /** What the timer callback does. */
  readonly timer: readonly Op[];
  /** What a task's kthread does (kthread_run). */
  readonly kthread: readonly Op[];
  readonly rt: boolean;
}

// ------------------------------------------------------------------ the world

interface Obj {
  v: number;
  rcu: rcu_head;
}

/** An entry of the RCU list (list_replace_rcu() replaces the first one, kfree_rcu() frees the old). */
interface Item {
  v: number;
  link: list_head;
  rcu: rcu_head;
}

/** A node of the hlist_nulls table (nulls_move() moves the first of chain 0 to chain 1). */
interface NNode {
  v: number;
  node: hlist_nulls_node;
}

interface World {
  readonly v: { x: number; y: number; flag: number };
  /** SLAB_TYPESAFE_BY_RCU cache of the pointer's objects (publish_cache). */
  readonly cache: kmem_cache<Obj>;
  /** An RCU list of two items and a two-chain hlist_nulls table (chain 0: two nodes). */
  readonly lst: { list: list_head; nulls: hlist_nulls_head[] };
  readonly kr: { ref: kref };
  readonly g: { p: Obj | null };
  readonly st: { wq: wait_queue_head_t; rcw: rcuwait; tm: timer_list };
  readonly a: atomic_t;
  readonly raw: raw_spinlock_t;
  readonly spin: spinlock_t;
  readonly rw: rwlock_t;
  readonly mx: mutex;
  readonly sem: rw_semaphore;
  readonly ss: srcu_struct;
  readonly done: completion;
  readonly work: work_struct;
  readonly dwork: delayed_work;
  /** What each executor observed, in its program order (keyed by executor, never by pid). */
  readonly logs: Map<string, (string | number | boolean)[]>;
  readonly prog: Program;
}

/** The executing context of an operation list: its log and its registers. */
interface Ctx {
  readonly key: string;
  readonly log: (string | number | boolean)[];
  /** Tag base of the objects this context publishes (deterministic, not schedule-dependent). */
  readonly base: number;
  nPub: number;
  /** The pointer register (load, deref, kfree, call_rcu). */
  r: Obj | null;
  /** The kthread this context started and has not stopped. */
  kt: Task | null;
  readonly w: World;
}

function ctxFor(w: World, key: string, base: number): Ctx {
  let log = w.logs.get(key);
  if (!log) w.logs.set(key, (log = []));
  return { key, log, base, nPub: 0, r: null, kt: null, w };
}

const GFP: Record<Gfp, gfp_t> = { GFP_KERNEL, GFP_ATOMIC, GFP_NOWAIT };

type OpFn = (c: Ctx, op: Op) => KGen;

/** One kfunc per operation kind, so findings are titled after the operation ("... in op_deref"). */
const frames = new Map<string, OpFn>();
function framed(name: string, body: OpFn): OpFn {
  let f = frames.get(name);
  if (!f) frames.set(name, (f = kfunc(body, `op_${name}`)));
  return f;
}

function* runOps(c: Ctx, ops: readonly Op[]): KGen {
  for (const op of ops)
    yield* framed(
      op.op === 'lock' || op.op === 'trylock' ? op.lock : op.op === 'section' ? `${op.kind}_section` : op.op,
      execOp,
    )(c, op);
}

function* lockOp(w: World, k: LockKind, take: boolean): KGen {
  switch (k) {
    case 'raw_spin_lock':
      yield* take ? raw_spin_lock(w.raw) : raw_spin_unlock(w.raw);
      return;
    case 'spin_lock':
      yield* take ? spin_lock(w.spin) : spin_unlock(w.spin);
      return;
    case 'read_lock':
      yield* take ? read_lock(w.rw) : read_unlock(w.rw);
      return;
    case 'write_lock':
      yield* take ? write_lock(w.rw) : write_unlock(w.rw);
      return;
    case 'mutex_lock':
      yield* take ? mutex_lock(w.mx) : mutex_unlock(w.mx);
      return;
    case 'down_read':
      yield* take ? down_read(w.sem) : up_read(w.sem);
      return;
    case 'down_write':
      yield* take ? down_write(w.sem) : up_write(w.sem);
      return;
  }
}

function* tryOp(w: World, k: TryKind): KGen<boolean> {
  switch (k) {
    case 'spin_trylock':
      return yield* spin_trylock(w.spin);
    case 'mutex_trylock':
      return yield* mutex_trylock(w.mx);
    case 'down_read_trylock':
      return yield* down_read_trylock(w.sem);
    case 'down_write_trylock':
      return yield* down_write_trylock(w.sem);
  }
}

function* untry(w: World, k: TryKind): KGen {
  switch (k) {
    case 'spin_trylock':
      yield* spin_unlock(w.spin);
      return;
    case 'mutex_trylock':
      yield* mutex_unlock(w.mx);
      return;
    case 'down_read_trylock':
      yield* up_read(w.sem);
      return;
    case 'down_write_trylock':
      yield* up_write(w.sem);
      return;
  }
}

function free_obj_rcu(o: Obj): () => void {
  return function free_obj_rcu() {
    kfree(o);
  };
}

function* execOp(c: Ctx, op: Op): KGen {
  const w = c.w;
  const log = c.log;
  switch (op.op) {
    case 'yield':
      yield undefined;
      return;
    case 'cond_resched':
      yield* cond_resched();
      return;
    case 'read':
      log.push(yield* READ_ONCE(w.v, op.v));
      return;
    case 'write':
      yield* WRITE_ONCE(w.v, op.v, op.val);
      return;
    case 'inc': {
      const t = yield* READ_ONCE(w.v, op.v);
      yield* WRITE_ONCE(w.v, op.v, t + 1);
      return;
    }
    case 'atomic_inc':
      yield* atomic_inc(w.a);
      return;
    case 'atomic_read':
      log.push(yield* atomic_read(w.a));
      return;
    case 'atomic_dec_and_test':
      log.push(yield* atomic_dec_and_test(w.a));
      return;
    case 'load':
      c.r = yield* READ_ONCE(w.g, 'p');
      return;
    case 'deref':
      // A plain load through the pointer register, in the current step (KASAN checks it).
      log.push(c.r ? c.r.v : 'null');
      return;
    case 'unpublish':
      yield* WRITE_ONCE(w.g, 'p', null);
      return;
    case 'publish': {
      const tag = c.base + c.nPub++;
      const n = kmalloc((): Obj => ({ v: tag, rcu: RCU_HEAD_INIT() }), GFP[op.gfp], 'struct obj');
      if (!n) {
        log.push('ENOMEM');
        return;
      }
      yield* WRITE_ONCE(w.g, 'p', n);
      return;
    }
    case 'kmalloc_kfree': {
      const n = kmalloc(() => ({ v: 0 }), GFP[op.gfp], 'struct scratch');
      log.push(n ? 'ok' : 'ENOMEM');
      kfree(n);
      return;
    }
    case 'kfree':
      kfree(c.r);
      return;
    case 'synchronize_rcu':
      yield* synchronize_rcu();
      return;
    case 'call_rcu':
      if (!c.r) {
        log.push('nop');
        yield undefined;
        return;
      }
      yield* call_rcu(c.r.rcu, free_obj_rcu(c.r));
      return;
    case 'rcu_barrier':
      yield* rcu_barrier();
      return;
    case 'synchronize_srcu':
      yield* synchronize_srcu(w.ss);
      return;
    case 'call_srcu':
      if (!c.r) {
        log.push('nop');
        yield undefined;
        return;
      }
      yield* call_srcu(w.ss, c.r.rcu, free_obj_rcu(c.r));
      return;
    case 'srcu_barrier':
      yield* srcu_barrier(w.ss);
      return;
    case 'complete':
      yield* complete(w.done);
      return;
    case 'complete_all':
      yield* complete_all(w.done);
      return;
    case 'wait_for_completion':
      yield* wait_for_completion(w.done);
      return;
    case 'try_wait_for_completion':
      log.push(yield* try_wait_for_completion(w.done));
      return;
    case 'reinit_completion':
      yield* reinit_completion(w.done);
      return;
    case 'wake_up':
      yield* WRITE_ONCE(w.v, 'flag', 1);
      log.push(yield* wake_up(w.st.wq));
      return;
    case 'wait_event':
      yield* wait_event(w.st.wq, () => w.v.flag !== 0);
      return;
    case 'rcuwait_wake_up':
      yield* WRITE_ONCE(w.v, 'flag', 1);
      log.push(yield* rcuwait_wake_up(w.st.rcw));
      return;
    case 'rcuwait_wait_event':
      yield* rcuwait_wait_event(w.st.rcw, () => w.v.flag !== 0);
      return;
    case 'queue_work':
      log.push(yield* queue_work(system_wq, w.work));
      return;
    case 'flush_work':
      log.push(yield* flush_work(w.work));
      return;
    case 'cancel_work':
      log.push(yield* cancel_work(w.work));
      return;
    case 'cancel_work_sync':
      log.push(yield* cancel_work_sync(w.work));
      return;
    case 'queue_delayed_work':
      log.push(yield* queue_delayed_work(system_wq, w.dwork, op.delay));
      return;
    case 'flush_delayed_work':
      log.push(yield* flush_delayed_work(w.dwork));
      return;
    case 'cancel_delayed_work':
      log.push(yield* cancel_delayed_work(w.dwork));
      return;
    case 'cancel_delayed_work_sync':
      log.push(yield* cancel_delayed_work_sync(w.dwork));
      return;
    case 'mod_timer': {
      const expires = jiffies() + op.delay;
      log.push(yield* mod_timer(w.st.tm, expires));
      return;
    }
    case 'add_timer_on':
      yield undefined;
      if (timer_pending(w.st.tm)) {
        log.push('pending');
        return;
      }
      w.st.tm.expires = jiffies() + 1;
      yield* add_timer_on(w.st.tm, op.cpu);
      return;
    case 'timer_delete':
      log.push(yield* timer_delete(w.st.tm));
      return;
    case 'timer_delete_sync':
      log.push(yield* timer_delete_sync(w.st.tm));
      return;
    case 'msleep':
      yield* msleep(1);
      return;
    case 'kthread_run': {
      if (c.kt) {
        log.push('kt-running');
        yield undefined;
        return;
      }
      const kc = ctxFor(w, `kthread.${c.key}`, c.base + 50);
      const body = kfunc(function* kthread_fn(): KGen<number> {
        yield* runOps(kc, w.prog.kthread);
        return 7;
      });
      yield undefined;
      c.kt = kthread_run(body, `kt.${c.key}`);
      return;
    }
    case 'kthread_should_stop':
      yield undefined;
      log.push(current().data.kthread_flags_id !== undefined ? kthread_should_stop() : 'not-kt');
      return;
    case 'kthread_stop': {
      const k = c.kt;
      if (!k) {
        log.push('no-kt');
        yield undefined;
        return;
      }
      c.kt = null;
      log.push(yield* kthread_stop(k));
      return;
    }
    case 'rcu_dereference':
      c.r = yield* rcu_dereference(w.g, 'p');
      return;
    case 'publish_cache': {
      const tag = c.base + c.nPub++;
      const n = kmem_cache_alloc(w.cache, GFP[op.gfp]);
      if (!n) {
        log.push('ENOMEM');
        return;
      }
      n.v = tag;
      yield* WRITE_ONCE(w.g, 'p', n);
      return;
    }
    case 'kfree_rcu':
      if (!c.r) log.push('nop');
      kfree_rcu(c.r, 'rcu');
      return;
    case 'list_walk': {
      let sum = 0;
      for (
        let it = yield* list_for_each_entry_rcu<Item>(w.lst.list, 'link');
        it;
        it = yield* list_next_entry_rcu(it, w.lst.list, 'link')
      )
        sum += it.v;
      log.push(sum);
      return;
    }
    case 'list_replace_rcu': {
      const n = kmalloc(
        (): Item => ({ v: c.base + c.nPub++, link: LIST_HEAD(), rcu: RCU_HEAD_INIT() }),
        GFP_KERNEL,
        'struct item',
      );
      yield* spin_lock(w.spin);
      const old = list_first_entry_or_null<Item>(w.lst.list, 'link');
      if (old && n) list_replace_rcu(old.link, n.link);
      yield* spin_unlock(w.spin);
      if (old && n) kfree_rcu(old, 'rcu');
      else kfree(n);
      return;
    }
    case 'nulls_walk': {
      let sum = 0;
      let pos = yield* hlist_nulls_for_each_entry_rcu<NNode>(w.lst.nulls[0] as hlist_nulls_head, 'node');
      for (; !is_a_nulls(pos); pos = yield* hlist_nulls_next_entry_rcu(pos, 'node')) sum += pos.v;
      log.push(`${sum}/${get_nulls_value(pos)}`);
      return;
    }
    case 'nulls_move': {
      yield* spin_lock(w.spin);
      const h0 = w.lst.nulls[0] as hlist_nulls_head;
      const first = h0.first;
      if (is_a_nulls(first)) log.push('empty');
      else {
        hlist_nulls_del_rcu(first);
        hlist_nulls_add_head_rcu(first, w.lst.nulls[1] as hlist_nulls_head);
      }
      yield* spin_unlock(w.spin);
      return;
    }
    case 'kref_get':
      yield* kref_get(w.kr.ref);
      return;
    case 'kref_get_unless_zero':
      log.push(yield* kref_get_unless_zero(w.kr.ref));
      return;
    case 'kref_put':
      log.push(
        yield* kref_put(w.kr.ref, () => {
          log.push('release');
        }),
      );
      return;
    case 'kref_put_lock':
      log.push(
        yield* kref_put_lock(
          w.kr.ref,
          function* release_locked(): KGen {
            log.push('release');
            yield* spin_unlock(w.spin);
          },
          w.spin,
        ),
      );
      return;
    case 'kref_put_mutex':
      log.push(
        yield* kref_put_mutex(
          w.kr.ref,
          function* release_mutex(): KGen {
            log.push('release');
            yield* mutex_unlock(w.mx);
          },
          w.mx,
        ),
      );
      return;
    case 'refcount_dec_and_lock_irqsave': {
      const held = yield* refcount_dec_and_lock_irqsave(w.kr.ref.refcount, w.spin);
      log.push(held !== null);
      if (held) yield* spin_unlock_irqrestore(w.spin, held.flags);
      return;
    }
    case 'lock':
      yield* lockOp(w, op.lock, true);
      yield* runOps(c, op.body);
      yield* lockOp(w, op.lock, false);
      return;
    case 'trylock': {
      const ok = yield* tryOp(w, op.lock);
      log.push(ok);
      if (!ok) return;
      yield* runOps(c, op.body);
      yield* untry(w, op.lock);
      return;
    }
    case 'section':
      switch (op.kind) {
        case 'rcu':
          rcu_read_lock();
          yield* runOps(c, op.body);
          rcu_read_unlock();
          return;
        case 'srcu': {
          const idx = yield* srcu_read_lock(w.ss);
          yield* runOps(c, op.body);
          yield* srcu_read_unlock(w.ss, idx);
          return;
        }
        case 'preempt':
          preempt_disable();
          yield* runOps(c, op.body);
          preempt_enable();
          return;
        case 'irq':
          local_irq_disable();
          yield* runOps(c, op.body);
          local_irq_enable();
          return;
        case 'bh':
          yield* local_bh_disable();
          yield* runOps(c, op.body);
          yield* local_bh_enable();
          return;
      }
  }
}

const LIST_OPS = new Set<string>(['list_walk', 'list_replace_rcu', 'nulls_walk', 'nulls_move']);
const listUse = new WeakMap<Program, boolean>();

/** Whether any operation of the program (tasks or bodies) is one of the RCU list's or the hlist_nulls table's. */
function usesLists(prog: Program): boolean {
  let u = listUse.get(prog);
  if (u === undefined) {
    u = false;
    for (const ops of [...prog.tasks, prog.work, prog.timer, prog.kthread])
      walk(ops, (op) => {
        if (LIST_OPS.has(op.op)) u = true;
      });
    listUse.set(prog, u);
  }
  return u;
}

/** Builds the world and spawns the program's tasks on a booted kernel (call in the run's setup). */
function setupProgram(prog: Program): World {
  const init = kmalloc((): Obj => ({ v: 1, rcu: RCU_HEAD_INIT() }), GFP_KERNEL, 'struct obj');
  kmemleak_not_leak(init);
  const lst = DEFINE_STATIC(
    () => ({ list: LIST_HEAD(), nulls: [HLIST_NULLS_HEAD_INIT(0), HLIST_NULLS_HEAD_INIT(1)] }),
    'rcu lists',
  );
  // The list's and the table's entries only where the program walks or changes them (less work per run).
  if (usesLists(prog))
    for (const v of [1, 2]) {
      const it = kmalloc((): Item => ({ v, link: LIST_HEAD(), rcu: RCU_HEAD_INIT() }), GFP_KERNEL, 'struct item');
      if (it) list_add_tail_rcu(it.link, lst.list);
      const nn = kmalloc((): NNode => ({ v: 10 * v, node: HLIST_NULLS_NODE() }), GFP_KERNEL, 'struct nnode');
      if (nn) hlist_nulls_add_head_rcu(nn.node, lst.nulls[0] as hlist_nulls_head);
    }
  const w: World = {
    v: shared({ x: 0, y: 0, flag: 0 }, 'vars'),
    cache: kmem_cache_create('obj_cache', 16, 0, SLAB_TYPESAFE_BY_RCU, (): Obj => ({ v: 0, rcu: RCU_HEAD_INIT() })),
    lst,
    kr: shared({ ref: KREF_INIT(2) }, 'kref obj'),
    g: shared({ p: init }, 'gp'),
    st: DEFINE_STATIC(() => ({ wq: DECLARE_WAIT_QUEUE_HEAD(), rcw: RCUWAIT_INIT(), tm: TIMER_INIT() }), 'waits'),
    a: ATOMIC_INIT(1),
    raw: raw_spin_lock_init('raw'),
    spin: spin_lock_init('spin'),
    rw: rwlock_init('rw'),
    mx: mutex_init('mx'),
    sem: init_rwsem('sem'),
    ss: init_srcu_struct('ss'),
    done: init_completion('done'),
    work: INIT_WORK(
      kfunc(function* work_fn(): KGen {
        // Per-CPU workers run the item one at a time: one log per CPU is in program order.
        yield* runOps(ctxFor(w, `work@cpu${current().cpu}`, 500), prog.work);
      }),
      'work',
    ),
    dwork: INIT_DELAYED_WORK(
      kfunc(function* dwork_fn(): KGen {
        yield* runOps(ctxFor(w, `dwork@cpu${current().cpu}`, 600), prog.work);
      }),
      'dwork',
    ),
    logs: new Map(),
    prog,
  };
  timer_setup(
    w.st.tm,
    kfunc(function* timer_fn(): KGen {
      yield* runOps(ctxFor(w, 'timer', 700), prog.timer);
    }),
  );
  prog.tasks.forEach((ops, i) => {
    const c = ctxFor(w, `t${i}`, 100 * (i + 1));
    spawn_user(
      `t${i}`,
      kfunc(function* task(): KGen {
        yield* runOps(c, ops);
      }, `task${i}`),
      prog.cpus[i] ?? i % 2,
    );
  });
  return w;
}

/** The RCU list's entries (their values, a freed one marked), read untracked. */
function rawItems(w: World): string[] {
  const out: string[] = [];
  const head = rawOf(w.lst).list;
  for (let p = rawOf(head).next; p !== null && p !== head; p = rawOf(p).next) {
    const it = container_of<Item>(p, 'link');
    out.push(`${rawOf(it).v}${is_live_allocation(it) ? '' : ' (freed)'}`);
    if (out.length > 8) break;
  }
  return out;
}

/** Each hlist_nulls chain's values and its end marker, read untracked. */
function rawNulls(w: World): string[] {
  return rawOf(w.lst).nulls.map((h) => {
    const vs: number[] = [];
    let p = rawOf(h).first;
    while (!is_a_nulls(p) && vs.length < 8) {
      vs.push(rawOf(container_of<NNode>(p, 'node')).v);
      p = rawOf(p).next;
    }
    return `${vs.join(',')}/${is_a_nulls(p) ? get_nulls_value(p) : '?'}`;
  });
}

/** The final-state digest (read untracked: after the run, nothing is a step any more). */
function digestOf(w: World): string {
  const v = rawOf(w.v);
  const p = rawOf(w.g).p;
  const logs = [...w.logs.entries()].filter(([, l]) => l.length > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({
    x: v.x,
    y: v.y,
    flag: v.flag,
    atomic: w.a.counter,
    p: p === null ? null : `${rawOf(p).v}${is_live_allocation(p) ? '' : ' (freed)'}`,
    done: w.done.done,
    work: w.work.pending,
    dwork: w.dwork.work.pending,
    timer: timer_pending(w.st.tm),
    list: rawItems(w),
    nulls: rawNulls(w),
    kref: rawOf(w.kr.ref.refcount).refs,
    logs: Object.fromEntries(logs),
  });
}

// ------------------------------------------------------------------ running

export const MAX_STEPS = 1_000;

/** Titles without pids (a pid can depend on the order of independent spawns). */
export function normaliseTitle(t: string): string {
  return t.replace(/ task (\S+):\d+ /g, ' task $1:N ');
}

export interface RunOutcome {
  readonly end: RunResult['end'];
  /** JSON of { titles, state } (only for runs that ended). */
  readonly outcome: string | null;
}

/** The run function of a program, calling `sink` with each run's outcome (fresh checker state per run). */
export function runnerOf(prog: Program, sink: (o: RunOutcome, r: RunResult) => void = () => {}): RunFn {
  return (s: Strategy): RunResult => {
    const config = makeConfig({ NR_CPUS: 2, PREEMPT_RT: prog.rt });
    const k = boot(config, { strategy: s, maxSteps: MAX_STEPS });
    // A fresh lockdep graph per run: every outcome is a function of that run alone.
    installCheckers(k.machine, config, createCheckState());
    const w = setupProgram(prog);
    let state: string | null = null;
    k.machine.endHooks.push(() => {
      state = digestOf(w);
    });
    const r = k.machine.run();
    const titles = [...new Set(r.reports.map((x) => normaliseTitle(x.title)))].sort();
    const outcome =
      r.end === 'done' ? JSON.stringify({ titles, state: state === null ? null : JSON.parse(state) }) : null;
    sink({ end: r.end, outcome }, r);
    return r;
  };
}

export interface SideResult {
  /** Outcome -> the choices of the first run that reached it. */
  readonly outcomes: Map<string, readonly number[]>;
  readonly executions: number;
  /** Runs that ended (counted in the outcome set). */
  readonly ended: number;
  /** Runs cut at the step limit (excluded). */
  readonly cut: number;
  readonly abandoned: number;
  readonly complete: boolean;
  readonly stoppedBy: ExploreResult['stoppedBy'];
  readonly elapsedMs: number;
}

function side(
  prog: Program,
  strategy: 'exhaustive' | 'dpor',
  budget: number,
  faults: number,
  preemptions = -1,
): SideResult {
  const outcomes = new Map<string, readonly number[]>();
  let ended = 0;
  let cut = 0;
  const run = runnerOf(prog, (o, r) => {
    if (o.outcome === null) {
      cut++;
      return;
    }
    ended++;
    if (!outcomes.has(o.outcome)) outcomes.set(o.outcome, [...r.choices]);
  });
  const search =
    strategy === 'exhaustive' ? new Exhaustive({ faults, preemptions }) : new Dpor({ preemptions, faults });
  const res = explore(search, run, { scenario: `differential-${strategy}`, budget, fresh: () => runnerOf(prog) });
  return {
    outcomes,
    executions: res.executions,
    ended,
    cut,
    abandoned: res.abandoned,
    // Runs cut at the step limit make explore() call the search incomplete; here they are excluded
    // from the outcome sets (and counted), so a search that ran out of choices is complete.
    complete: res.complete || res.stoppedBy === 'cut-runs',
    stoppedBy: res.stoppedBy,
    elapsedMs: res.elapsedMs,
  };
}

export interface DiffOptions {
  /** Executions of the exhaustive enumeration above which the program is discarded (too large). */
  readonly maxExecutions?: number;
  readonly faults?: number;
  /** Preemption bound of both sides (-1, the default: none). */
  readonly preemptions?: number;
}

/**
 * 'mismatch': exhaustive enumeration reached an outcome DPOR did not; 'masked': only outcomes that a
 * first-report-wins checker explains (see maskedBy); 'too-large': the program was discarded;
 * 'error': something is wrong with the check itself (DPOR reached more, or a side did not finish).
 */
export type DiffStatus = 'ok' | 'mismatch' | 'masked' | 'too-large' | 'error';

export interface DiffResult {
  readonly status: DiffStatus;
  readonly exhaustive: SideResult;
  readonly dpor: SideResult | null;
  /** Outcomes exhaustive enumeration reached and DPOR did not (a DPOR bug). */
  readonly missed: readonly string[];
  /** Missed outcomes explained by a checker that reports only the first of its kind (missed -> the DPOR outcome). */
  readonly masked: ReadonlyMap<string, string>;
  /** Outcomes DPOR reached and exhaustive enumeration did not (a bug of the check itself). */
  readonly extra: readonly string[];
  readonly detail: string;
}

/**
 * Checkers whose first report of a run hides later ones of the same kind, whichever task makes
 * them, through state no footprint shows: might_sleep reports once per HZ (prev_jiffy), lockdep
 * turns itself off after its first splat (debug_locks_off()) and RCU_LOCKDEP_WARN warns once per
 * site. Which of two independent tasks reports first depends on the order of steps that do not
 * depend on each other, so the title is not a function of the dependency order: DPOR, which runs
 * one order of them, cannot promise the other title. (WARN_ON_ONCE's once-flags are footprints
 * since 6ac1837, so its titles are compared strictly.)
 */
export const MASKING_GROUPS: readonly (readonly [string, RegExp])[] = [
  ['might_sleep', /^BUG: sleeping function called from invalid context in /],
  ['lockdep', /^WARNING: (possible |suspicious RCU usage |inconsistent lock state )/],
];

function groupOf(title: string): string | null {
  for (const [g, re] of MASKING_GROUPS) if (re.test(title)) return g;
  return null;
}

/**
 * The DPOR outcome that explains a missed one as masking, if any: the same final state, and the
 * titles differ only in masking groups where both runs reported something of that group (one
 * report hid the other).
 */
export function maskedBy(missed: string, dpor: Iterable<string>): string | null {
  const a = JSON.parse(missed) as { titles: string[]; state: unknown };
  const sa = JSON.stringify(a.state);
  for (const o of dpor) {
    const b = JSON.parse(o) as { titles: string[]; state: unknown };
    if (JSON.stringify(b.state) !== sa) continue;
    const ta = new Set(a.titles);
    const tb = new Set(b.titles);
    const diff = [...a.titles.filter((x) => !tb.has(x)), ...b.titles.filter((x) => !ta.has(x))];
    const ok = diff.every((t) => {
      const g = groupOf(t);
      return g !== null && a.titles.some((x) => groupOf(x) === g) && b.titles.some((x) => groupOf(x) === g);
    });
    if (ok) return o;
  }
  return null;
}

export function differential(prog: Program, opts: DiffOptions = {}): DiffResult {
  const max = opts.maxExecutions ?? 2_000;
  const faults = opts.faults ?? 1;
  const none = new Map<string, string>();
  const pre = opts.preemptions ?? -1;
  const ex = side(prog, 'exhaustive', max, faults, pre);
  if (ex.stoppedBy === 'budget')
    return {
      status: 'too-large',
      exhaustive: ex,
      dpor: null,
      missed: [],
      masked: none,
      extra: [],
      detail: `> ${max} executions`,
    };
  if (!ex.complete)
    return {
      status: 'error',
      exhaustive: ex,
      dpor: null,
      missed: [],
      masked: none,
      extra: [],
      detail: `exhaustive enumeration stopped: ${ex.stoppedBy}`,
    };
  const dp = side(prog, 'dpor', Math.max(4 * ex.executions, 100), faults, pre);
  const all = [...ex.outcomes.keys()].filter((o) => !dp.outcomes.has(o)).sort();
  const masked = new Map<string, string>();
  for (const o of all) {
    const by = maskedBy(o, dp.outcomes.keys());
    if (by !== null) masked.set(o, by);
  }
  const missed = all.filter((o) => !masked.has(o));
  const extra = [...dp.outcomes.keys()].filter((o) => !ex.outcomes.has(o)).sort();
  let status: DiffStatus = missed.length > 0 ? 'mismatch' : masked.size > 0 ? 'masked' : 'ok';
  let detail = '';
  if (!dp.complete) {
    status = 'error';
    detail = `dpor stopped: ${dp.stoppedBy}`;
  } else if (extra.length > 0) {
    status = 'error';
    detail = 'dpor reached outcomes exhaustive enumeration did not';
  }
  return { status, exhaustive: ex, dpor: dp, missed, masked, extra, detail };
}

// ------------------------------------------------------------------ describing programs

function opText(op: Op): string {
  switch (op.op) {
    case 'read':
      return `r=READ_ONCE(${op.v})`;
    case 'write':
      return `WRITE_ONCE(${op.v},${op.val})`;
    case 'inc':
      return `${op.v}++`;
    case 'publish':
      return `publish(kmalloc(${op.gfp}))`;
    case 'publish_cache':
      return `publish(kmem_cache_alloc(TYPESAFE_BY_RCU, ${op.gfp}))`;
    case 'rcu_dereference':
      return 'p=rcu_dereference(gp)';
    case 'kfree_rcu':
      return 'kfree_rcu(p,rcu)';
    case 'kmalloc_kfree':
      return `kfree(kmalloc(${op.gfp}))`;
    case 'queue_delayed_work':
      return `queue_delayed_work(${op.delay})`;
    case 'mod_timer':
      return `mod_timer(jiffies+${op.delay})`;
    case 'add_timer_on':
      return `add_timer_on(jiffies+1, cpu ${op.cpu})`;
    case 'lock':
      return `${op.lock} { ${op.body.map(opText).join('; ')} }`;
    case 'trylock':
      return `if (${op.lock}) { ${op.body.map(opText).join('; ')} }`;
    case 'section':
      return `${op.kind} { ${op.body.map(opText).join('; ')} }`;
    case 'load':
      return 'p=READ_ONCE(gp)';
    case 'deref':
      return 'p->v';
    case 'unpublish':
      return 'WRITE_ONCE(gp,NULL)';
    case 'kfree':
      return 'kfree(p)';
    case 'call_rcu':
      return 'call_rcu(p,kfree)';
    case 'call_srcu':
      return 'call_srcu(p,kfree)';
    default:
      return op.op;
  }
}

/** The program as pseudo-code, one line per task and body. */
export function describe(prog: Program): string {
  const lines = prog.tasks.map((ops, i) => `task${i} (cpu${prog.cpus[i] ?? i % 2}): ${ops.map(opText).join('; ')}`);
  const uses = primitivesOf(prog);
  if (uses.has('queue_work') || uses.has('queue_delayed_work') || uses.has('flush_delayed_work'))
    lines.push(`work_fn: ${prog.work.map(opText).join('; ') || '(nothing)'}`);
  if (uses.has('mod_timer')) lines.push(`timer_fn: ${prog.timer.map(opText).join('; ') || '(nothing)'}`);
  if (uses.has('kthread_run')) lines.push(`kthread_fn: ${prog.kthread.map(opText).join('; ') || '(nothing)'}`);
  if (prog.rt) lines.push('(PREEMPT_RT)');
  return lines.join('\n');
}

const SECTION_PRIMS: Record<SectionKind, string[]> = {
  rcu: ['rcu_read_lock'],
  srcu: ['srcu_read_lock'],
  preempt: ['preempt_disable'],
  irq: ['local_irq_disable'],
  bh: ['local_bh_disable'],
};

function opPrims(op: Op): string[] {
  switch (op.op) {
    case 'read':
      return ['READ_ONCE'];
    case 'write':
      return ['WRITE_ONCE'];
    case 'inc':
      return ['READ_ONCE', 'WRITE_ONCE'];
    case 'load':
      return ['READ_ONCE'];
    case 'unpublish':
      return ['WRITE_ONCE'];
    case 'deref':
      return ['deref'];
    case 'publish':
      return [`kmalloc(${op.gfp})`, 'WRITE_ONCE'];
    case 'publish_cache':
      return [`kmem_cache_alloc(SLAB_TYPESAFE_BY_RCU,${op.gfp})`, 'WRITE_ONCE'];
    case 'list_walk':
      return ['list_for_each_entry_rcu'];
    case 'list_replace_rcu':
      return ['list_replace_rcu', 'kfree_rcu', 'spin_lock'];
    case 'nulls_walk':
      return ['hlist_nulls_for_each_entry_rcu'];
    case 'nulls_move':
      return ['hlist_nulls_del_rcu', 'hlist_nulls_add_head_rcu', 'spin_lock'];
    case 'kmalloc_kfree':
      return [`kmalloc(${op.gfp})`, 'kfree'];
    case 'wake_up':
    case 'rcuwait_wake_up':
      return ['WRITE_ONCE', op.op];
    case 'lock':
      return [op.lock];
    case 'trylock':
      return [op.lock];
    case 'section':
      return SECTION_PRIMS[op.kind];
    case 'yield':
      return ['yield'];
    default:
      return [op.op];
  }
}

function walk(ops: readonly Op[], f: (op: Op) => void): void {
  for (const op of ops) {
    f(op);
    if (op.op === 'lock' || op.op === 'trylock' || op.op === 'section') walk(op.body, f);
  }
}

/** The kernel primitives a program uses (bodies only where something runs them). */
export function primitivesOf(prog: Program): Set<string> {
  const out = new Set<string>();
  const add = (op: Op): void => {
    for (const p of opPrims(op)) out.add(p);
  };
  for (const ops of prog.tasks) walk(ops, add);
  const bodies: (readonly Op[])[] = [];
  if (out.has('queue_work') || out.has('queue_delayed_work')) bodies.push(prog.work);
  if (out.has('mod_timer')) bodies.push(prog.timer);
  if (out.has('kthread_run')) bodies.push(prog.kthread);
  for (const b of bodies) walk(b, add);
  if (prog.rt) out.add('PREEMPT_RT');
  return out;
}

/** Leaf operations (a section or lock counts as its body). */
export function opCount(ops: readonly Op[]): number {
  let n = 0;
  walk(ops, (op) => {
    if (op.op !== 'lock' && op.op !== 'trylock' && op.op !== 'section') n++;
  });
  return n;
}

/** The size of a program: operations of the tasks and of the bodies something runs. */
export function programSize(prog: Program): number {
  const uses = primitivesOf(prog);
  let n = prog.tasks.reduce((s, t) => s + opCount(t), 0);
  if (uses.has('queue_work') || uses.has('queue_delayed_work')) n += opCount(prog.work);
  if (uses.has('mod_timer')) n += opCount(prog.timer);
  if (uses.has('kthread_run')) n += opCount(prog.kthread);
  return n;
}

/**
 * Whether the program contains the late RCU reader against a freeing updater: a task that loads
 * the pointer, reaches a scheduling point, only then enters rcu_read_lock() and dereferences it,
 * and a task that unpublishes it, waits for a grace period (synchronize_rcu) and frees it.
 * 'preempted': the reader also reaches a scheduling point inside the section before the
 * dereference (rcu_read_lock() and the dereference are different steps).
 */
export function lateRcuReader(prog: Program): 'plain' | 'preempted' | null {
  const yields = (op: Op): boolean => op.op !== 'deref' && op.op !== 'kfree' && op.op !== 'section';
  const reader = (ops: readonly Op[]): 'plain' | 'preempted' | null => {
    const i = ops.findIndex((o) => o.op === 'load');
    if (i < 0) return null;
    for (let j = i + 1; j < ops.length; j++) {
      const o = ops[j] as Op;
      if (o.op === 'load' || o.op === 'publish' || o.op === 'unpublish') return null;
      if (o.op !== 'section' || o.kind !== 'rcu') continue;
      const d = o.body.findIndex((b) => b.op === 'deref');
      if (d < 0 || o.body.slice(0, d).some((b) => b.op === 'load')) return null;
      if (!ops.slice(i + 1, j).some(yields)) return null;
      return o.body.slice(0, d).some(yields) ? 'preempted' : 'plain';
    }
    return null;
  };
  const updater = (ops: readonly Op[]): boolean => {
    const names = ops.map((o) => o.op);
    const l = names.indexOf('load');
    const u = names.indexOf('unpublish', l);
    const s = names.indexOf('synchronize_rcu', u);
    const f = names.indexOf('kfree', s);
    return l >= 0 && u > l && s > u && f > s;
  };
  if (!prog.tasks.some(updater)) return null;
  const kinds = prog.tasks.map(reader);
  return kinds.includes('preempted') ? 'preempted' : kinds.includes('plain') ? 'plain' : null;
}

// ------------------------------------------------------------------ the regression example

/**
 * The late RCU reader of the brief (test/explore/soundness.test.ts): the reader loads the pointer,
 * reaches cond_resched(), then enters rcu_read_lock() and dereferences in the same step; the
 * updater unpublishes, synchronize_rcu()s and kfree()s. The deref-vs-kfree race alone leads DPOR
 * to the use-after-free, with or without the reader-state footprint.
 */
export const LATE_RCU_READER: Program = {
  tasks: [
    [{ op: 'load' }, { op: 'cond_resched' }, { op: 'section', kind: 'rcu', body: [{ op: 'deref' }] }],
    [{ op: 'load' }, { op: 'unpublish' }, { op: 'synchronize_rcu' }, { op: 'kfree' }],
  ],
  cpus: [0, 1],
  work: [],
  timer: [],
  kthread: [],
  rt: false,
};

/**
 * The same reader preempted inside its section before the dereference: the use-after-free needs
 * the grace period's snapshot of readers to come before rcu_read_lock(), a dependency DPOR missed
 * before rcu_read_lock() and the snapshot recorded the reader state as a footprint (ac5ffa9).
 */
export const LATE_RCU_READER_PREEMPTED: Program = {
  ...LATE_RCU_READER,
  tasks: [
    [{ op: 'load' }, { op: 'cond_resched' }, { op: 'section', kind: 'rcu', body: [{ op: 'yield' }, { op: 'deref' }] }],
    LATE_RCU_READER.tasks[1] as readonly Op[],
  ],
};

const prog = (tasks: readonly (readonly Op[])[], cpus: readonly number[], over: Partial<Program> = {}): Program => ({
  tasks,
  cpus,
  work: [],
  timer: [],
  kthread: [],
  rt: false,
  ...over,
});

/**
 * The smallest programs of each kind of mismatch the self-check found, with the dependency DPOR
 * missed. They fail until the engine covers that dependency (then they are regression tests).
 */
export const REGRESSIONS: readonly { readonly name: string; readonly prog: Program; readonly why: string }[] = [
  {
    name: 'late RCU reader against an updater that replaces the pointer (kmalloc)',
    prog: prog(
      [
        LATE_RCU_READER_PREEMPTED.tasks[0] as readonly Op[],
        [{ op: 'load' }, { op: 'publish', gfp: 'GFP_KERNEL' }, { op: 'synchronize_rcu' }, { op: 'kfree' }],
      ],
      [1, 0],
    ),
    why:
      "rcu_reader_id() assigns a task's reader-state id at first use: the updater's kmalloc() takes ids first in one " +
      'run and not in another, so a footprint kept in a sleep set names another object in the next run; the reader ' +
      'stays asleep across the grace-period snapshot that conflicts with it, and the run is abandoned',
  },
  {
    name: 'a lock waiter behind a task deadlocked on the same lock (pending acquisitions at the end)',
    prog: prog(
      [
        [
          {
            op: 'trylock',
            lock: 'down_write_trylock',
            body: [{ op: 'cond_resched' }, { op: 'lock', lock: 'down_write', body: [{ op: 'inc', v: 'x' }] }],
          },
        ],
        [{ op: 'lock', lock: 'down_write', body: [{ op: 'yield' }] }],
      ],
      [0, 0],
    ),
    why:
      "ended() appends every waiting task's pending acquisition as an event: the self-deadlocked holder's own " +
      'pending acquisition becomes the last exclusive acquisition, so the other waiter races with that phantom (at ' +
      'the point after the trylock) instead of with the trylock that took the rwsem; task1 never goes first',
  },
  {
    name: 'a task on a CPU another holds non-preemptibly, with a third task elsewhere',
    prog: prog(
      [
        [{ op: 'section', kind: 'preempt', body: [{ op: 'atomic_dec_and_test' }] }],
        [{ op: 'read', v: 'y' }],
        [{ op: 'atomic_inc' }],
      ],
      [1, 0, 1],
    ),
    why:
      "task2's first step reads CPU1's run state, last written by task0's preempt_enable(): the race is reversed at " +
      'the point before that release, where task2 is not runnable (task0 holds CPU1 since its preempt_disable()), so ' +
      'the source-set rule takes the other initial, task1, and never backtracks to before the hold',
  },
  {
    name: 'a task that never runs because another spins on their CPU',
    prog: prog(
      [
        [
          {
            op: 'lock',
            lock: 'spin_lock',
            body: [{ op: 'lock', lock: 'spin_lock', body: [{ op: 'publish', gfp: 'GFP_ATOMIC' }] }],
          },
        ],
        [{ op: 'msleep' }],
      ],
      [0, 0],
    ),
    why:
      'task0 takes CPU0 non-preemptibly in its first step and self-deadlocks holding it: task1 never runs, so no event ' +
      'of it races with the hold (ended() reports only tasks waiting to acquire), and task1 going first is never tried',
  },
  {
    name: 'a timer deleted before it ever fired',
    prog: prog([[{ op: 'mod_timer', delay: 1 }, { op: 'timer_delete' }]], [0]),
    why:
      'the timer softirq (pid 0) is runnable between mod_timer() and timer_delete() but never runs in the first run; ' +
      'timer_delete() disarms it, so there is no pid-0 event to race with and the expiry before the delete (which ' +
      'returns 0) is never explored',
  },
  {
    name: 'a write trylock against two readers of an rwsem',
    prog: prog(
      [
        [{ op: 'trylock', lock: 'down_read_trylock', body: [{ op: 'yield' }] }],
        [
          { op: 'lock', lock: 'down_read', body: [{ op: 'complete' }] },
          { op: 'trylock', lock: 'down_write_trylock', body: [{ op: 'try_wait_for_completion' }] },
        ],
      ],
      [0, 0],
    ),
    why:
      "a shared acquisition joins the release clock of every earlier release, readers' too: task1's down_read() is " +
      "ordered after task0's up_read(), so the write trylock's race with task0's read hold is hidden; neither " +
      "failed trylock (task0 during task1's write hold, task1 during task0's read hold) is explored",
  },
];

/**
 * One small program per primitive of #13 (a reader against an updater, or racing puts), compared
 * in every `npm test` whatever the sample holds.
 */
export const PRIMITIVE_PROGRAMS: readonly { readonly name: string; readonly prog: Program }[] = [
  {
    name: 'kfree_rcu under an RCU reader (rcu_dereference)',
    prog: prog(
      [
        [{ op: 'section', kind: 'rcu', body: [{ op: 'rcu_dereference' }, { op: 'yield' }, { op: 'deref' }] }],
        [{ op: 'load' }, { op: 'unpublish' }, { op: 'kfree_rcu' }],
      ],
      [0, 1],
    ),
  },
  {
    name: 'SLAB_TYPESAFE_BY_RCU object freed and reused under a reader',
    prog: prog(
      [
        [{ op: 'section', kind: 'rcu', body: [{ op: 'load' }, { op: 'yield' }, { op: 'deref' }] }, { op: 'deref' }],
        [
          { op: 'publish_cache', gfp: 'GFP_KERNEL' },
          { op: 'load' },
          { op: 'unpublish' },
          { op: 'kfree' },
          { op: 'publish_cache', gfp: 'GFP_ATOMIC' },
        ],
      ],
      [0, 1],
    ),
  },
  {
    name: 'list_replace_rcu against an _rcu walk',
    prog: prog([[{ op: 'section', kind: 'rcu', body: [{ op: 'list_walk' }] }], [{ op: 'list_replace_rcu' }]], [0, 1]),
  },
  {
    name: 'hlist_nulls walk against a move to another chain',
    prog: prog([[{ op: 'section', kind: 'rcu', body: [{ op: 'nulls_walk' }] }], [{ op: 'nulls_move' }]], [0, 1]),
  },
  {
    name: 'kref_put_lock, kref_put and refcount_dec_and_lock_irqsave racing',
    prog: prog(
      [
        [{ op: 'kref_put_lock' }],
        [{ op: 'kref_put' }, { op: 'kref_get_unless_zero' }],
        [{ op: 'refcount_dec_and_lock_irqsave' }],
      ],
      [0, 1, 0],
    ),
  },
  {
    name: 'kref_put_mutex twice, then a get',
    prog: prog([[{ op: 'kref_put_mutex' }, { op: 'kref_get' }], [{ op: 'kref_put_mutex' }]], [0, 1]),
  },
];

// ------------------------------------------------------------------ generation

export const FAMILIES = [
  'ptr',
  'vars',
  'spin',
  'sleeplock',
  'completion',
  'waitq',
  'rcuwait',
  'work',
  'dwork',
  'timer',
  'kthread',
  'alloc',
  'rcufree',
  'rculist',
  'kref',
] as const;
export type Family = (typeof FAMILIES)[number];

const c = <T extends Op>(op: T): fc.Arbitrary<Op> => fc.constant(op);
const vars = fc.constantFrom<Var>('x', 'y');
const gfp = fc.constantFrom<Gfp>('GFP_ATOMIC', 'GFP_NOWAIT', 'GFP_KERNEL');

/** Leaf operations of each family (no bodies). */
const LEAVES: Record<Family, fc.Arbitrary<Op>[]> = {
  ptr: [
    c({ op: 'load' }),
    c({ op: 'deref' }),
    c({ op: 'unpublish' }),
    gfp.map((g): Op => ({ op: 'publish', gfp: g })),
    c({ op: 'kfree' }),
    c({ op: 'synchronize_rcu' }),
    c({ op: 'call_rcu' }),
    c({ op: 'rcu_barrier' }),
    c({ op: 'synchronize_srcu' }),
    c({ op: 'call_srcu' }),
    c({ op: 'srcu_barrier' }),
  ],
  vars: [
    vars.map((v): Op => ({ op: 'read', v })),
    fc.tuple(vars, fc.integer({ min: 1, max: 2 })).map(([v, val]): Op => ({ op: 'write', v, val })),
    vars.map((v): Op => ({ op: 'inc', v })),
    c({ op: 'atomic_inc' }),
    c({ op: 'atomic_read' }),
    c({ op: 'atomic_dec_and_test' }),
  ],
  spin: [vars.map((v): Op => ({ op: 'inc', v }))],
  sleeplock: [vars.map((v): Op => ({ op: 'inc', v })), c({ op: 'cond_resched' })],
  completion: [
    c({ op: 'complete' }),
    c({ op: 'complete_all' }),
    c({ op: 'wait_for_completion' }),
    c({ op: 'try_wait_for_completion' }),
    c({ op: 'reinit_completion' }),
  ],
  waitq: [c({ op: 'wake_up' }), c({ op: 'wait_event' }), c({ op: 'write', v: 'flag', val: 1 })],
  rcuwait: [c({ op: 'rcuwait_wake_up' }), c({ op: 'rcuwait_wait_event' }), c({ op: 'write', v: 'flag', val: 1 })],
  work: [c({ op: 'queue_work' }), c({ op: 'flush_work' }), c({ op: 'cancel_work' }), c({ op: 'cancel_work_sync' })],
  dwork: [
    fc.integer({ min: 0, max: 2 }).map((delay): Op => ({ op: 'queue_delayed_work', delay })),
    c({ op: 'flush_delayed_work' }),
    c({ op: 'cancel_delayed_work' }),
    c({ op: 'cancel_delayed_work_sync' }),
  ],
  timer: [
    fc.integer({ min: 1, max: 2 }).map((delay): Op => ({ op: 'mod_timer', delay })),
    c({ op: 'timer_delete' }),
    c({ op: 'timer_delete_sync' }),
    c({ op: 'msleep' }),
    fc.integer({ min: 0, max: 1 }).map((cpu): Op => ({ op: 'add_timer_on', cpu })),
  ],
  kthread: [c({ op: 'kthread_run' }), c({ op: 'kthread_stop' }), c({ op: 'kthread_should_stop' })],
  alloc: [gfp.map((g): Op => ({ op: 'kmalloc_kfree', gfp: g })), gfp.map((g): Op => ({ op: 'publish', gfp: g }))],
  rcufree: [
    c({ op: 'rcu_dereference' }),
    c({ op: 'load' }),
    c({ op: 'deref' }),
    c({ op: 'unpublish' }),
    c({ op: 'kfree_rcu' }),
    c({ op: 'kfree' }),
    gfp.map((g): Op => ({ op: 'publish_cache', gfp: g })),
  ],
  rculist: [c({ op: 'list_walk' }), c({ op: 'list_replace_rcu' }), c({ op: 'nulls_walk' }), c({ op: 'nulls_move' })],
  kref: [
    c({ op: 'kref_get' }),
    c({ op: 'kref_get_unless_zero' }),
    c({ op: 'kref_put' }),
    c({ op: 'kref_put_lock' }),
    c({ op: 'kref_put_mutex' }),
    c({ op: 'refcount_dec_and_lock_irqsave' }),
  ],
};

const LOCKS: Record<Family, LockKind[]> = {
  ptr: [],
  vars: [],
  spin: ['raw_spin_lock', 'spin_lock', 'read_lock', 'write_lock'],
  sleeplock: ['mutex_lock', 'down_read', 'down_write'],
  completion: [],
  waitq: [],
  rcuwait: [],
  work: ['mutex_lock'],
  dwork: [],
  timer: ['spin_lock'],
  kthread: [],
  alloc: [],
  rcufree: [],
  rculist: [],
  kref: [],
};
const TRYLOCKS: Record<Family, TryKind[]> = {
  ptr: [],
  vars: [],
  spin: ['spin_trylock'],
  sleeplock: ['mutex_trylock', 'down_read_trylock', 'down_write_trylock'],
  completion: [],
  waitq: [],
  rcuwait: [],
  work: [],
  dwork: [],
  timer: [],
  kthread: [],
  alloc: [],
  rcufree: [],
  rculist: [],
  kref: [],
};
const SECTIONS: Record<Family, SectionKind[]> = {
  ptr: ['rcu', 'srcu'],
  vars: ['preempt'],
  spin: ['preempt', 'irq', 'bh'],
  sleeplock: [],
  completion: [],
  waitq: [],
  rcuwait: [],
  work: [],
  dwork: [],
  timer: ['bh'],
  kthread: [],
  alloc: ['rcu'],
  rcufree: ['rcu'],
  rculist: ['rcu'],
  kref: [],
};

/** Operations a body (work, timer, kthread) may not run: queueing from a body could go on for ever. */
const NOT_IN_BODIES = new Set<string>([
  'queue_work',
  'queue_delayed_work',
  'mod_timer',
  'add_timer_on',
  'kthread_run',
  'flush_delayed_work',
]);
/** The timer callback runs in softirq context: nothing that sleeps. */
const TIMER_OK = new Set<string>([
  'read',
  'write',
  'inc',
  'atomic_inc',
  'atomic_read',
  'atomic_dec_and_test',
  'load',
  'deref',
  'unpublish',
  'kfree',
  'complete',
  'complete_all',
  'wake_up',
  'rcuwait_wake_up',
  'call_rcu',
  'yield',
  'kfree_rcu',
  'rcu_dereference',
  'list_walk',
  'nulls_walk',
  'kref_get',
  'kref_get_unless_zero',
  'kref_put',
]);

function uniq<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function leafArb(fams: readonly Family[], filter: (op: Op) => boolean = () => true): fc.Arbitrary<Op> {
  const leaves = fams.flatMap((f) => LEAVES[f]);
  const base = fc.oneof(
    { arbitrary: fc.oneof(...leaves), weight: 6 },
    { arbitrary: c({ op: 'yield' }), weight: 1 },
    { arbitrary: c({ op: 'cond_resched' }), weight: 1 },
  );
  return base.filter(filter);
}

function itemArb(fams: readonly Family[], depth: number, filter: (op: Op) => boolean = () => true): fc.Arbitrary<Op> {
  const leaf = leafArb(fams, filter);
  const locks = uniq(fams.flatMap((f) => LOCKS[f]));
  const tries = uniq(fams.flatMap((f) => TRYLOCKS[f]));
  const sections = uniq(fams.flatMap((f) => SECTIONS[f]));
  if (depth <= 0 || (locks.length === 0 && tries.length === 0 && sections.length === 0)) return leaf;
  const inner = fc.array(itemArb(fams, depth - 1, filter), { minLength: 1, maxLength: 2 });
  const wrappers: fc.Arbitrary<Op>[] = [];
  if (locks.length > 0)
    wrappers.push(fc.tuple(fc.constantFrom(...locks), inner).map(([lock, body]): Op => ({ op: 'lock', lock, body })));
  if (tries.length > 0)
    wrappers.push(
      fc.tuple(fc.constantFrom(...tries), inner).map(([lock, body]): Op => ({ op: 'trylock', lock, body })),
    );
  if (sections.length > 0)
    wrappers.push(
      fc.tuple(fc.constantFrom(...sections), inner).map(([kind, body]): Op => ({ op: 'section', kind, body })),
    );
  return fc.oneof({ arbitrary: leaf, weight: 3 }, { arbitrary: fc.oneof(...wrappers), weight: 2 });
}

/** A scheduling point, or any other operation that is one. */
const gapArb = fc.oneof(
  c({ op: 'cond_resched' }),
  c({ op: 'yield' }),
  vars.map((v): Op => ({ op: 'read', v })),
  c({ op: 'atomic_inc' }),
);

/** The program's flavour most of the time (always, focused), now and then either. */
function flavourArb(flavour: Flavour, focused: boolean): fc.Arbitrary<Flavour> {
  if (focused) return fc.constant(flavour);
  return fc.oneof(
    { arbitrary: fc.constant<Flavour>(flavour), weight: 4 },
    { arbitrary: fc.constantFrom<Flavour>('rcu', 'srcu'), weight: 1 },
  );
}

/** Rarely present (one time in `1 + weight`). */
function rarely<T>(arb: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight }, { arbitrary: arb, weight: 1 });
}

/**
 * An RCU/SRCU reader: the load of the pointer inside its section, or before it (maybe with a
 * scheduling point between, maybe preempted inside the section before the dereference).
 */
function readerArb(flavour: Flavour, fams: readonly Family[], focused = false): fc.Arbitrary<Op[]> {
  const rare = focused ? 5 : 3;
  return fc
    .record({
      before: fc.oneof({ arbitrary: fc.constant(true), weight: 2 }, { arbitrary: fc.constant(false), weight: 1 }),
      gap: fc.option(gapArb, { nil: undefined, freq: 4 }),
      inner: fc.option(gapArb, { nil: undefined, freq: 2 }),
      flav: flavourArb(flavour, focused),
      pre: rarely(leafArb(fams), rare),
      post: rarely(leafArb(fams), rare),
    })
    .map(({ before, gap, inner, flav, pre, post }) => {
      const g = gap ? [gap] : [];
      const i = inner ? [inner] : [];
      const body: Op[] = before ? [...i, { op: 'deref' }] : [{ op: 'load' }, ...g, { op: 'deref' }];
      return [
        ...(pre ? [pre] : []),
        ...(before ? [{ op: 'load' } as Op, ...g] : []),
        { op: 'section', kind: flav, body } as Op,
        ...(post ? [post] : []),
      ];
    });
}

/** An updater: unpublish (or replace) the pointer, wait for readers or defer the free, free. */
function updaterArb(flavour: Flavour, fams: readonly Family[], focused = false): fc.Arbitrary<Op[]> {
  const rcufree = fams.includes('rcufree');
  const replaces: fc.WeightedArbitrary<Op>[] = [
    { arbitrary: c({ op: 'unpublish' }), weight: 3 },
    { arbitrary: gfp.map((g): Op => ({ op: 'publish', gfp: g })), weight: 1 },
  ];
  if (rcufree) replaces.push({ arbitrary: gfp.map((g): Op => ({ op: 'publish_cache', gfp: g })), weight: 2 });
  const graces: fc.WeightedArbitrary<'sync' | 'call' | 'none' | 'kfree_rcu'>[] = [
    { arbitrary: fc.constant('sync' as const), weight: 4 },
    { arbitrary: fc.constant('call' as const), weight: 2 },
    { arbitrary: fc.constant('none' as const), weight: 1 },
  ];
  if (rcufree) graces.push({ arbitrary: fc.constant('kfree_rcu' as const), weight: 3 });
  return fc
    .record({
      replace: fc.oneof(...replaces),
      grace: fc.oneof(...graces),
      flav: flavourArb(flavour, focused),
      extra: rarely(fc.tuple(leafArb(fams), fc.nat(4)), focused ? 5 : 3),
    })
    .map(({ replace, grace, flav, extra }) => {
      const ops: Op[] = [{ op: 'load' }, replace];
      if (grace === 'sync') ops.push({ op: flav === 'rcu' ? 'synchronize_rcu' : 'synchronize_srcu' }, { op: 'kfree' });
      else if (grace === 'call') ops.push({ op: flav === 'rcu' ? 'call_rcu' : 'call_srcu' });
      else if (grace === 'kfree_rcu') ops.push({ op: 'kfree_rcu' });
      else ops.push({ op: 'kfree' });
      if (extra) ops.splice(extra[1] % (ops.length + 1), 0, extra[0]);
      return ops;
    });
}

function taskArb(fams: readonly Family[], flavour: Flavour): fc.Arbitrary<Op[]> {
  const generic = fc.array(itemArb(fams, 2), { minLength: 1, maxLength: 3 });
  if (!fams.includes('ptr') && !fams.includes('rcufree')) return generic;
  return fc.oneof(
    { arbitrary: readerArb(flavour, fams), weight: 3 },
    { arbitrary: updaterArb(flavour, fams), weight: 3 },
    { arbitrary: generic, weight: 2 },
  );
}

function bodyArb(fams: readonly Family[], timer: boolean): fc.Arbitrary<Op[]> {
  const ok = (op: Op): boolean => !NOT_IN_BODIES.has(op.op) && (!timer || TIMER_OK.has(op.op));
  const bodyFams: Family[] = uniq(['vars', ...fams.filter((f) => f !== 'kthread' && f !== 'work' && f !== 'dwork')]);
  const item = timer
    ? leafArb(bodyFams, ok)
    : itemArb(
        bodyFams.filter((f) => f !== 'timer'),
        1,
        ok,
      );
  return fc.array(item, { minLength: 1, maxLength: 2 });
}

export interface GenOptions {
  /** Largest program (leaf operations of the tasks and of the bodies something runs); default 7, focused 8. */
  readonly maxSize?: number;
  /**
   * 'rcu': two tasks, an RCU/SRCU reader and an updater of the pointer (the pointer family, now and
   * then with one more), where the late reader and its grace period meet most often.
   * 'prims': the primitives of #13 (kfree_rcu and SLAB_TYPESAFE_BY_RCU objects, list_replace_rcu,
   * hlist_nulls, kref_put_lock/_mutex and refcount_dec_and_lock), 1-2 of their families, now and
   * then with one more.
   */
  readonly focus?: 'rcu' | 'prims';
}

/** Random programs: 1-2 families of primitives (the pointer family most often), 2-3 tasks. */
export function programArb(opts: GenOptions = {}): fc.Arbitrary<Program> {
  if (opts.focus === 'prims') return primsArb(opts.maxSize ?? 6);
  const focused = opts.focus === 'rcu';
  const maxSize = opts.maxSize ?? (focused ? 8 : 7);
  // The pointer family a little more often (the focused generator covers it at length).
  const famArb = fc.oneof(
    { arbitrary: fc.constant<Family>('ptr'), weight: 1 },
    { arbitrary: fc.constantFrom<Family>(...FAMILIES), weight: 8 },
  );
  const head = focused
    ? fc.record({
        fams: rarely(fc.constantFrom<Family>(...FAMILIES), 4).map((f): Family[] => uniq(['ptr', ...(f ? [f] : [])])),
        n: fc.constant(2),
        flavour: fc.oneof(
          { arbitrary: fc.constant<Flavour>('rcu'), weight: 3 },
          { arbitrary: fc.constant<Flavour>('srcu'), weight: 1 },
        ),
        rt: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
      })
    : fc.record({
        fams: fc.uniqueArray(famArb, { minLength: 1, maxLength: 2 }),
        n: fc.oneof({ arbitrary: fc.constant(2), weight: 3 }, { arbitrary: fc.constant(3), weight: 1 }),
        flavour: fc.oneof(
          { arbitrary: fc.constant<Flavour>('rcu'), weight: 2 },
          { arbitrary: fc.constant<Flavour>('srcu'), weight: 1 },
        ),
        rt: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
      });
  return head
    .chain(({ fams, n, flavour, rt }) =>
      fc.record({
        tasks: focused
          ? fc
              .tuple(readerArb(flavour, fams, true), updaterArb(flavour, fams, true), fc.boolean())
              .map(([r, u, swap]) => (swap ? [u, r] : [r, u]))
          : fc.array(taskArb(fams, flavour), { minLength: n, maxLength: n }),
        cpus: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
        work: bodyArb(fams, false),
        timer: bodyArb(fams, true),
        kthread: bodyArb(fams, false),
        rt: fc.constant(rt),
      }),
    )
    .filter((p) => programSize(p) <= maxSize);
}

const PRIM_FAMILIES = ['rcufree', 'rculist', 'kref'] as const satisfies readonly Family[];

/** Programs over the #13 primitives' families (2-3 tasks), now and then with one more family. */
function primsArb(maxSize: number): fc.Arbitrary<Program> {
  return fc
    .record({
      prims: fc.uniqueArray(fc.constantFrom<Family>(...PRIM_FAMILIES), { minLength: 1, maxLength: 2 }),
      more: rarely(fc.constantFrom<Family>('ptr', 'spin', 'sleeplock', 'timer', 'work'), 2),
      n: fc.oneof({ arbitrary: fc.constant(2), weight: 3 }, { arbitrary: fc.constant(3), weight: 1 }),
      rt: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
    })
    .chain(({ prims, more, n, rt }) => {
      const fams = uniq([...prims, ...(more ? [more] : [])]);
      return fc.record({
        tasks: fc.array(taskArb(fams, 'rcu'), { minLength: n, maxLength: n }),
        cpus: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: n, maxLength: n }),
        work: bodyArb(fams, false),
        timer: bodyArb(fams, true),
        kthread: bodyArb(fams, false),
        rt: fc.constant(rt),
      });
    })
    .filter((p) => programSize(p) <= maxSize);
}

// ------------------------------------------------------------------ reports

function outcomeText(o: string): string {
  const { titles, state } = JSON.parse(o) as { titles: string[]; state: unknown };
  return `findings: ${titles.length ? titles.join(' | ') : '(none)'}\n      state: ${JSON.stringify(state)}`;
}

/** A failure report: the program, the primitives it used, and the outcomes DPOR missed. */
export function report(prog: Program, d: DiffResult): string {
  const lines = [
    `program (${[...primitivesOf(prog)].sort().join(', ')}):`,
    ...describe(prog)
      .split('\n')
      .map((l) => `  ${l}`),
    `exhaustive: ${d.exhaustive.executions} executions, ${d.exhaustive.outcomes.size} outcomes, ${d.exhaustive.cut} cut`,
  ];
  if (d.dpor)
    lines.push(
      `dpor: ${d.dpor.executions} executions (${d.dpor.abandoned} abandoned), ${d.dpor.outcomes.size} outcomes, ${d.dpor.cut} cut`,
    );
  if (d.detail) lines.push(d.detail);
  for (const m of d.missed) {
    lines.push(`  MISSED by dpor: ${outcomeText(m)}`);
    lines.push(`      reached by exhaustive run with choices [${(d.exhaustive.outcomes.get(m) ?? []).join(',')}]`);
  }
  for (const [m, by] of d.masked) {
    lines.push(
      `  masked (dpor: ${JSON.stringify((JSON.parse(by) as { titles: string[] }).titles)}): ${outcomeText(m)}`,
    );
    lines.push(`      reached by exhaustive run with choices [${(d.exhaustive.outcomes.get(m) ?? []).join(',')}]`);
  }
  for (const m of d.extra) lines.push(`  EXTRA in dpor: ${outcomeText(m)}`);
  return lines.join('\n');
}

// ------------------------------------------------------------------ suites

export type Source = 'general' | 'focused' | 'prims';

export interface SuiteOptions {
  readonly seed: number;
  /** Programs from the general generator (every family of primitives). */
  readonly general: number;
  /** Programs from the RCU-focused generator (readers against updaters). */
  readonly focused: number;
  /** Programs from the generator of the #13 primitives (programArb({ focus: 'prims' })). */
  readonly prims?: number;
  readonly maxExecutions?: number;
  /** Preemption bound of both sides (-1, the default: none). */
  readonly preemptions?: number;
  /** Called after each program (progress). */
  readonly onProgram?: (c: Checked, done: number, total: number) => void;
}

export interface Checked {
  readonly source: Source;
  /** Index in its generator's sample (the fast-check path that reproduces it with the seed). */
  readonly index: number;
  readonly prog: Program;
  readonly diff: DiffResult;
  readonly ms: number;
}

export interface SuiteResult {
  readonly seed: number;
  readonly checked: readonly Checked[];
  readonly counts: Readonly<Record<DiffStatus, number>>;
  /** Primitive -> [programs that used it and were compared, of those failing]. */
  readonly primitives: ReadonlyMap<string, readonly [number, number]>;
  /** Compared programs with the late RCU reader (lateRcuReader()). */
  readonly late: { readonly plain: number; readonly preempted: number };
  /** Compared programs with runs cut at the step limit (excluded from both sets), and those runs (exhaustive, dpor). */
  readonly cut: { readonly programs: number; readonly exhaustive: number; readonly dpor: number };
  readonly elapsedMs: number;
}

export function arbOf(source: Source): fc.Arbitrary<Program> {
  return source === 'focused'
    ? programArb({ focus: 'rcu' })
    : source === 'prims'
      ? programArb({ focus: 'prims' })
      : programArb();
}

export function failing(d: DiffResult): boolean {
  return d.status === 'mismatch' || d.status === 'error';
}

/** Generates the programs of both generators from the seed and compares DPOR with exhaustive enumeration on each. */
export function runSuite(opts: SuiteOptions): SuiteResult {
  const t0 = performance.now();
  const jobs: [Source, number, Program][] = [];
  for (const [source, n] of [
    ['general', opts.general],
    ['focused', opts.focused],
    ['prims', opts.prims ?? 0],
  ] as const) {
    if (n <= 0) continue;
    fc.sample(arbOf(source), { seed: opts.seed, numRuns: n }).forEach((p, i) => {
      jobs.push([source, i, p]);
    });
  }
  const checked: Checked[] = [];
  const counts: Record<DiffStatus, number> = { ok: 0, mismatch: 0, masked: 0, 'too-large': 0, error: 0 };
  const prims = new Map<string, [number, number]>();
  const late = { plain: 0, preempted: 0 };
  const cut = { programs: 0, exhaustive: 0, dpor: 0 };
  const diffOpts = {
    ...(opts.maxExecutions === undefined ? {} : { maxExecutions: opts.maxExecutions }),
    ...(opts.preemptions === undefined ? {} : { preemptions: opts.preemptions }),
  };
  for (const [source, index, prog] of jobs) {
    const t = performance.now();
    const diff = differential(prog, diffOpts);
    const c: Checked = { source, index, prog, diff, ms: performance.now() - t };
    checked.push(c);
    counts[diff.status]++;
    if (diff.status !== 'too-large') {
      for (const u of primitivesOf(prog)) {
        const e = prims.get(u) ?? [0, 0];
        e[0]++;
        if (failing(diff)) e[1]++;
        prims.set(u, e);
      }
      const l = lateRcuReader(prog);
      if (l) late[l]++;
      const cx = diff.exhaustive.cut;
      const cd = diff.dpor?.cut ?? 0;
      if (cx + cd > 0) cut.programs++;
      cut.exhaustive += cx;
      cut.dpor += cd;
    }
    opts.onProgram?.(c, checked.length, jobs.length);
  }
  return { seed: opts.seed, checked, counts, primitives: prims, late, cut, elapsedMs: performance.now() - t0 };
}

export interface Shrunk {
  readonly prog: Program;
  readonly diff: DiffResult;
  /** Shrinks fast-check took, then removals the structural pass took. */
  readonly shrinks: number;
  readonly removals: number;
  /** A pass stopped at the time limit (the program is the smallest found by then). */
  readonly interrupted: boolean;
}

/** Every list with one operation removed or one section/lock replaced by its body, at any depth. */
function opVariants(ops: readonly Op[]): (readonly Op[])[] {
  const out: (readonly Op[])[] = [];
  ops.forEach((op, i) => {
    const before = ops.slice(0, i);
    const after = ops.slice(i + 1);
    out.push([...before, ...after]);
    if (op.op === 'lock' || op.op === 'trylock' || op.op === 'section') {
      out.push([...before, ...op.body, ...after]);
      for (const b of opVariants(op.body)) if (b.length > 0) out.push([...before, { ...op, body: b }, ...after]);
    }
  });
  return out;
}

/** Smaller programs: a task dropped, an operation removed or unwrapped, a CPU or the config simplified. */
function programVariants(p: Program): Program[] {
  const out: Program[] = [];
  if (p.tasks.length > 1)
    for (let i = 0; i < p.tasks.length; i++)
      out.push({ ...p, tasks: p.tasks.filter((_x, j) => j !== i), cpus: p.cpus.filter((_x, j) => j !== i) });
  p.tasks.forEach((ops, i) => {
    for (const v of opVariants(ops))
      if (v.length > 0) out.push({ ...p, tasks: p.tasks.map((t, j) => (j === i ? v : t)) });
  });
  for (const body of ['work', 'timer', 'kthread'] as const)
    for (const v of opVariants(p[body])) out.push({ ...p, [body]: v });
  if (p.rt) out.push({ ...p, rt: false });
  p.cpus.forEach((c, i) => {
    if (c !== 0) out.push({ ...p, cpus: p.cpus.map((x, j) => (j === i ? 0 : x)) });
  });
  return out;
}

/**
 * Greedy structural minimisation: takes the first smaller variant that still fails, until none
 * does (or the deadline). Bodies nothing runs are emptied first.
 */
export function minimise(
  prog: Program,
  stillFails: (p: Program) => boolean,
  deadline: number,
): { prog: Program; removals: number; interrupted: boolean } {
  const uses = primitivesOf(prog);
  let cur: Program = {
    ...prog,
    work: uses.has('queue_work') || uses.has('queue_delayed_work') || uses.has('flush_delayed_work') ? prog.work : [],
    timer: uses.has('mod_timer') ? prog.timer : [],
    kthread: uses.has('kthread_run') ? prog.kthread : [],
  };
  if (!stillFails(cur)) cur = prog;
  let removals = 0;
  for (;;) {
    let next: Program | null = null;
    for (const v of programVariants(cur)) {
      if (performance.now() > deadline) return { prog: cur, removals, interrupted: true };
      if (stillFails(v)) {
        next = v;
        break;
      }
    }
    if (!next) return { prog: cur, removals, interrupted: false };
    cur = next;
    removals++;
  }
}

/**
 * Shrinks a failing generated program: fast-check's shrinking (same seed and path), then the
 * structural pass, within a time limit.
 */
export function shrink(
  c: Checked,
  seed: number,
  opts: { maxExecutions?: number; timeMs?: number; preemptions?: number } = {},
): Shrunk {
  const diffOpts = {
    ...(opts.maxExecutions === undefined ? {} : { maxExecutions: opts.maxExecutions }),
    ...(opts.preemptions === undefined ? {} : { preemptions: opts.preemptions }),
  };
  const timeMs = opts.timeMs ?? 30_000;
  const deadline = performance.now() + timeMs;
  const fails = (p: Program): boolean => failing(differential(p, diffOpts));
  const r = fc.check(
    fc.property(arbOf(c.source), (p) => !fails(p)),
    { seed, path: String(c.index), interruptAfterTimeLimit: timeMs / 2, markInterruptAsFailure: false },
  );
  const m = minimise(r.counterexample?.[0] ?? c.prog, fails, deadline);
  return {
    prog: m.prog,
    diff: differential(m.prog, diffOpts),
    shrinks: r.numShrinks,
    removals: m.removals,
    interrupted: r.interrupted || m.interrupted,
  };
}

function countsText(counts: Readonly<Record<DiffStatus, number>>): string {
  return (Object.entries(counts) as [DiffStatus, number][])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/** The suite's summary: programs, statuses, primitives covered (programs using each, failing ones). */
export function summary(r: SuiteResult): string {
  const n = r.checked.length;
  const compared = n - r.counts['too-large'];
  const prims = [...r.primitives.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return [
    `seed ${r.seed}: ${n} programs (${compared} compared, ${r.counts['too-large']} discarded as too large) in ${(r.elapsedMs / 1000).toFixed(1)} s: ${countsText(r.counts)}`,
    `late RCU reader against synchronize_rcu+kfree: ${r.late.plain + r.late.preempted} programs (${r.late.preempted} preempted inside the section)`,
    `runs cut at the step limit (${MAX_STEPS} steps; excluded from both sets): ${r.cut.exhaustive} exhaustive, ${r.cut.dpor} dpor, in ${r.cut.programs} programs`,
    `primitives (programs compared${r.counts.mismatch + r.counts.error > 0 ? ' / failing' : ''}):`,
    ...wrap(
      prims.map(([k, [a, f]]) => `${k} ${a}${r.counts.mismatch + r.counts.error > 0 ? `/${f}` : ''}`),
      100,
      '  ',
    ),
  ].join('\n');
}

function wrap(items: readonly string[], width: number, indent: string): string[] {
  const out: string[] = [];
  let line = indent;
  for (const it of items) {
    if (line.length + it.length + 2 > width && line.trim()) {
      out.push(line.trimEnd().replace(/,$/, ''));
      line = indent;
    }
    line += `${it}, `;
  }
  if (line.trim()) out.push(line.trimEnd().replace(/,$/, ''));
  return out;
}

/** One failing program: where it comes from (generator, index, seed) and its report. */
export function failureText(c: Checked, seed: number): string {
  return `${c.source} #${c.index} (seed ${seed}, fast-check path "${c.index}"): ${c.diff.status}\n${report(c.prog, c.diff)}`;
}

// ------------------------------------------------------------------ explaining a run

/**
 * Replays one run of a program (its recorded choices, then the default continuation) and returns a
 * step-by-step account: each choice, each step's task, the model frames it stopped in and its
 * footprint (object id and access kind), and the reports, for diagnosing a mismatch.
 */
export function traceRun(prog: Program, choices: readonly number[]): string {
  const lines: string[] = [];
  const kinds = ['R', 'W', 'ACQ', 'ACQSH', 'REL'];
  let ci = 0;
  const strategy: Strategy = {
    choose(p) {
      const v = choices[ci++] ?? (p.kind === 'data' ? 0 : p.currentEnabled ? p.current : (p.enabled[0] as number));
      if (p.kind === 'schedule') lines.push(`  choose pid ${v} of [${p.enabled.join(',')}]`);
      else lines.push(`  data "${p.label}" -> ${v}`);
      return v;
    },
    stepped(s) {
      const t = machine().task(s.pid);
      const fp = [...new Set(s.accesses)].map((a) => `${Math.floor(a / 8)}${kinds[a & 7] ?? '?'}`).join(' ');
      lines.push(`step ${s.index} pid ${s.pid} ${t?.comm ?? ''} [${t?.frames.join('>') ?? ''}] ${fp}`);
    },
  };
  const r = runnerOf(prog)(strategy);
  for (const rep of r.reports) lines.push(`report at step ${rep.step} pid ${rep.pid}: ${rep.title}`);
  lines.push(`end: ${r.end} after ${r.steps} steps`);
  return lines.join('\n');
}

export { fc };
