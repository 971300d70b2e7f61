/**
 * Timer wheel timers (kernel/time/timer.c, include/linux/timer.h) on top of
 * the machine's virtual-time timers.
 *
 * A callback runs as a step of the pid-0 timer task ("swapper/0"), in
 * softirq context: on !PREEMPT_RT the machine runs every timer callback with
 * SOFTIRQ_OFFSET in the preempt count
 * (in_softirq(), sleeping is a bug); on PREEMPT_RT timers
 * run in a preemptible thread, so it stays 0. The callback runs under the
 * timer's lockdep map, which del_timer_sync() also takes, so lockdep sees
 * "del_timer_sync() while holding a lock the callback takes".
 *
 * Footprint: each timer has an object id (allocated by timer_setup()) standing for its pending
 * state and whether its callback is running. Arming, disarming and the callback's start and end
 * write it; timer_pending() and del_timer_sync()'s wait read it. (The machine's timer queue and
 * clock are recorded by the machine itself.)
 */
import {
  type Acquirable,
  type KGen,
  type Task,
  ACCESS_READ,
  ACCESS_WRITE,
  Slot,
  current,
  isKfunc,
  machine,
  markInternal,
} from '../../sim/index.js';
import { WARN_ON_ONCE } from '../bug.js';
import { local_bh_disable, local_bh_enable } from '../preempt.js';
import { jiffies, jiffiesToNs, kconfig } from '../kernel.js';
import { lock_map_acquire, lock_map_release, lockdep_map } from '../locking/lockdep.js';
import { kmemleak_add_root, kmemleak_del_root } from '../mm/kmemleak.js';

markInternal(
  'call_timer_fn',
  'del_timer_sync',
  'timer_delete_sync',
  '__mod_timer',
  'handle_softirqs',
  'run_timer_softirq',
  '__run_timers',
  'expire_timers',
);

export const TIMER_DEFERRABLE = 0x00080000;
export const TIMER_PINNED = 0x00100000;
export const TIMER_IRQSAFE = 0x00200000;

export type timer_fn = (t: timer_list) => void | KGen;

/** struct timer_list (the hlist entry and base are replaced by the machine's timer handle). */
export interface timer_list {
  expires: number;
  function: timer_fn | null;
  flags: number;
}

interface TimerHandle {
  cancel(): boolean;
}

interface TimerState {
  /** Object id of the timer's state (pending, running). */
  readonly id: number;
  /** The current arming (pending from the kernel's view until its expiry runs or it is detached). */
  handle: TimerHandle | null;
  running: boolean;
  /** The CPU whose base the timer was last queued on. */
  cpu: number;
  map: lockdep_map;
  waitDone: Acquirable;
}

/** Each timer's state, kept on the timer (sim/slot.ts: a WeakMap would keep every run's timers alive). */
const states = new Slot<TimerState>('timer state');

/** A struct initialiser value (DEFINE_TIMER without a function; call timer_setup()). */
export function TIMER_INIT(): timer_list {
  return { expires: 0, function: null, flags: 0 };
}

function stateOf(timer: timer_list): TimerState {
  const s = states.get(timer);
  if (!s) throw new Error('timer used before timer_setup()');
  return s;
}

/**
 * timer_setup(timer, callback, flags). `name` is the lockdep name of the
 * timer's map (the kernel uses the stringified timer expression); default
 * "(callback)".
 */
export function timer_setup(timer: timer_list, callback: timer_fn, flags = 0, name?: string): void {
  timer.function = callback;
  timer.flags = flags;
  timer.expires = 0;
  const m = machine();
  const s: TimerState = {
    id: m.newId(),
    handle: null,
    running: false,
    cpu: 0,
    map: new lockdep_map(name ?? `(${callback.name || 'timer'})`),
    waitDone: {
      id: m.newId(),
      canAcquire: () => !s.running,
      owners: (): readonly Task[] => {
        const swapper = machine().task(0);
        return swapper ? [swapper] : [];
      },
      sleeping: false,
      describe: () => `timer ${callback.name || '?'} callback to finish`,
    },
  };
  states.set(timer, s);
}

/** from_timer(var, timer, field): the struct embedding the timer (see lib/container_of.ts). */
export { container_of as from_timer } from '../lib/container_of.js';

/** timer_pending(): armed and not yet fired. */
export function timer_pending(timer: timer_list): boolean {
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_READ);
  return s.handle !== null;
}

/**
 * Arms a machine timer whose callback runs as the timer softirq does (run_timer_softirq() →
 * __run_timers() → expire_timers() → call_timer_fn()) on `cpu`'s timer base: those frames are on the
 * stack, and on PREEMPT_RT the callback runs in the CPU's timer thread under local_bh_disable()
 * (softirq_ctrl.lock), so it waits for a task of that CPU in a BH-disabled section, and such a task
 * waits for it. `fn` is the expiry itself (from expire_timers() on). For the kernel's own timer_list
 * users (timer_list timers, delayed work, schedule_timeout()); `expiresNs` is virtual time.
 */
export function timer_softirq_add(expiresNs: number, cpu: number, fn: () => KGen): { cancel(): boolean } {
  return machine().addTimer(expiresNs, () => run_timer_softirq(fn), cpu);
}

/**
 * The timer softirq running one expiry `fn` (module-level: a generator function made per timer
 * would keep the run's world alive through the young GC; docs/architecture.md).
 */
function* run_timer_softirq(fn: () => KGen): KGen {
  const t = current();
  const depth = t.frames.length;
  t.frames.push('handle_softirqs', 'run_timer_softirq', '__run_timers', 'expire_timers');
  const rt = kconfig().PREEMPT_RT;
  // run_timersd() → ksoftirqd_run_begin(): __local_bh_disable_ip(SOFTIRQ_OFFSET).
  if (rt) yield* local_bh_disable();
  yield* fn();
  if (rt) yield* local_bh_enable();
  t.frames.length = depth;
}

/** call_timer_fn(): the callback, in softirq context, under the timer's lockdep map. */
function* call_timer_fn(timer: timer_list, s: TimerState, h: TimerHandle): KGen {
  const m = machine();
  m.access(s.id, ACCESS_WRITE);
  // Deleted or re-armed since it expired (on PREEMPT_RT while the timer thread waited for the
  // softirq lock, the kernel's timer still sat on its base): nothing to run.
  if (s.handle !== h) return;
  s.handle = null;
  kmemleak_del_root(timer);
  const fn = timer.function;
  if (!fn) return;
  const t = current();
  s.running = true;
  s.cpu = t.cpu;
  t.frames.push('call_timer_fn');
  // The callback's own frame (a kfunc pushes its own).
  const own = !isKfunc(fn);
  if (own) t.frames.push(fn.name || 'timer_fn');
  lock_map_acquire(s.map);
  const r = fn(timer);
  if (r) yield* r;
  lock_map_release(s.map);
  if (own) t.frames.pop();
  t.frames.pop();
  // The callback is done: what a del_timer_sync() waiting for it reads when it goes on.
  m.access(s.id, ACCESS_WRITE);
  s.running = false;
}

/**
 * Queues the timer on `cpu`'s base: the current CPU's (__mod_timer(): get_timer_this_cpu_base() for
 * TIMER_PINNED, get_target_base() otherwise, which is the local base too), but a timer whose callback
 * is running stays on the base it runs on; add_timer_on() names the CPU.
 */
function arm(timer: timer_list, s: TimerState, expires: number, cpu?: number): void {
  const m = machine();
  m.access(s.id, ACCESS_WRITE);
  timer.expires = expires;
  kmemleak_add_root(timer); // on the timer base (a pointer into the struct embedding it)
  const on = cpu ?? (s.running ? s.cpu : current().cpu);
  s.cpu = on;
  const h: TimerHandle = { cancel: () => mt.cancel() };
  const mt = timer_softirq_add(jiffiesToNs(expires), on, () => call_timer_fn(timer, s, h));
  s.handle = h;
}

/** detach_if_pending(): takes the timer off its base; returns 1 if it was pending. */
function detach_if_pending(timer: timer_list, s: TimerState): number {
  if (s.handle === null) return 0;
  s.handle.cancel();
  s.handle = null;
  kmemleak_del_root(timer);
  return 1;
}

/** mod_timer(timer, expires): (re)arms for `expires` jiffies; returns 1 if it was pending. */
export function* mod_timer(timer: timer_list, expires: number): KGen<number> {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  const was = detach_if_pending(timer, s);
  arm(timer, s, expires);
  return was;
}

/** add_timer(): arms at timer->expires; WARNs (once) and does nothing if already pending. */
export function* add_timer(timer: timer_list): KGen {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  if (s.handle) {
    WARN_ON_ONCE(true, 'kernel/time/timer.c:1296');
    return;
  }
  arm(timer, s, timer.expires);
}

/** add_timer_on(timer, cpu): arms at timer->expires on `cpu`'s base (the callback runs there). */
export function* add_timer_on(timer: timer_list, cpu: number): KGen {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  if (s.handle) {
    WARN_ON_ONCE(true, 'kernel/time/timer.c:1357');
    return;
  }
  arm(timer, s, timer.expires, cpu);
}

/** timer_delete() / del_timer(): disarms; returns 1 if it was pending. Does not wait for a running callback. */
export function* timer_delete(timer: timer_list): KGen<number> {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  return detach_if_pending(timer, s);
}
export const del_timer = timer_delete;

/**
 * timer_delete_sync() / del_timer_sync() (__timer_delete_sync()): retries __try_to_del_timer_sync()
 * until the timer's callback is not running, then deactivates it if pending, so when it returns
 * the timer is neither pending nor running, even if its callback re-arms it (each retry is a step:
 * del_timer_wait_running() waits for the running callback, cpu_relax(), and tries again).
 */
export function* timer_delete_sync(timer: timer_list): KGen<number> {
  const t = current();
  t.frames.push('timer_delete_sync');
  const s = stateOf(timer);
  lock_map_acquire(s.map);
  lock_map_release(s.map);
  yield undefined;
  const m = machine();
  let ret: number;
  for (;;) {
    // __try_to_del_timer_sync(): under the base lock, -1 while base->running_timer == timer.
    m.access(s.id, ACCESS_WRITE);
    if (!s.running) {
      ret = detach_if_pending(timer, s);
      break;
    }
    // del_timer_wait_running(): until the callback is done.
    yield s.waitDone;
  }
  t.frames.pop();
  return ret;
}
export const del_timer_sync = timer_delete_sync;

/** msecs_to_jiffies() */
export function msecs_to_jiffies(ms: number): number {
  return Math.ceil((ms * kconfig().HZ) / 1000);
}

export { jiffies };
