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
  current,
  machine,
  markInternal,
} from '../../sim/index.js';
import { WARN_ON_ONCE } from '../bug.js';
import { jiffies, jiffiesToNs, kconfig } from '../kernel.js';
import { lock_map_acquire, lock_map_release, lockdep_map } from '../locking/lockdep.js';
import { kmemleak_add_root, kmemleak_del_root } from '../mm/kmemleak.js';

markInternal('call_timer_fn', 'del_timer_sync', 'timer_delete_sync', '__mod_timer');

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

interface TimerState {
  /** Object id of the timer's state (pending, running). */
  readonly id: number;
  handle: { cancel(): boolean } | null;
  running: boolean;
  map: lockdep_map;
  waitDone: Acquirable;
}

const states = new WeakMap<timer_list, TimerState>();

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

/** call_timer_fn(): the callback, in softirq context, under the timer's lockdep map. */
function* call_timer_fn(timer: timer_list, s: TimerState): KGen {
  const m = machine();
  m.access(s.id, ACCESS_WRITE);
  s.handle = null;
  kmemleak_del_root(timer);
  const fn = timer.function;
  if (!fn) return;
  const t = current();
  s.running = true;
  t.frames.push('call_timer_fn');
  lock_map_acquire(s.map);
  const r = fn(timer);
  if (r) yield* r;
  lock_map_release(s.map);
  t.frames.pop();
  // The callback is done: what a del_timer_sync() waiting for it reads when it goes on.
  m.access(s.id, ACCESS_WRITE);
  s.running = false;
}

function arm(timer: timer_list, s: TimerState, expires: number): void {
  machine().access(s.id, ACCESS_WRITE);
  timer.expires = expires;
  kmemleak_add_root(timer); // on the timer base (a pointer into the struct embedding it)
  s.handle = machine().addTimer(jiffiesToNs(expires), () => call_timer_fn(timer, s));
}

/** mod_timer(timer, expires): (re)arms for `expires` jiffies; returns 1 if it was pending. */
export function* mod_timer(timer: timer_list, expires: number): KGen<number> {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  const was = s.handle?.cancel() ? 1 : 0;
  if (was) kmemleak_del_root(timer);
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

/** timer_delete() / del_timer(): disarms; returns 1 if it was pending. Does not wait for a running callback. */
export function* timer_delete(timer: timer_list): KGen<number> {
  yield undefined;
  const s = stateOf(timer);
  machine().access(s.id, ACCESS_WRITE);
  const was = s.handle?.cancel() ? 1 : 0;
  if (was) kmemleak_del_root(timer);
  s.handle = null;
  return was;
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
      ret = s.handle?.cancel() ? 1 : 0; // detach_if_pending()
      if (ret) kmemleak_del_root(timer);
      s.handle = null;
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
