/**
 * kernsim/kernel: every kernel primitive a model may call, under its kernel name, one line per
 * kernel file (the paths mirror the kernel tree). A new primitive in a new file gets its line here.
 */
export * from './bug.js';
export * from './completion.js';
export * from './config.js';
export * from './events.js';
export * from './kernel.js';
export * from './kref.js';
export * from './kthread.js';
// sched/core.ts has a plain kthread_run(fn, name) too (no kthread_should_stop()); the kernel's is kthread.h's.
export { kthread_run } from './kthread.js';
export * from './lib/container_of.js';
export * from './lib/list.js';
export * from './lib/list_nulls.js';
export * from './locking/lock.js';
export * from './locking/lockdep.js';
export * from './locking/mutex.js';
export * from './locking/rwlock.js';
export * from './locking/rwsem.js';
export * from './locking/spinlock.js';
export * from './mm/gfp.js';
export * from './mm/kmemleak.js';
export * from './mm/mempool.js';
export * from './mm/slab.js';
export * from './mm/slab_common.js';
export * from './objid.js';
export * from './once.js';
export * from './preempt.js';
export * from './refcount.js';
export * from './rcu/events.js';
export * from './rcu/srcu.js';
export * from './rcu/srcutree.js';
export * from './rcu/tree.js';
export * from './rcu/update.js';
export * from './sched/cond_resched.js';
export * from './sched/core.js';
export * from './sched/rcuwait.js';
export * from './sched/wait.js';
export * from './smp.js';
export * from './time/timer.js';
export * from './workqueue.js';
