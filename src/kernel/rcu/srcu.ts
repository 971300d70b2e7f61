/**
 * include/linux/srcu.h: the SRCU API in one import. The implementation is
 * kernel/rcu/srcutree.ts.
 */
export {
  DEFINE_SRCU,
  DEFINE_STATIC_SRCU,
  call_srcu,
  cleanup_srcu_struct,
  init_srcu_struct,
  srcu_barrier,
  srcu_dereference,
  srcu_dereference_check,
  srcu_read_lock,
  srcu_read_lock_held,
  srcu_read_unlock,
  srcu_struct,
  synchronize_srcu,
  synchronize_srcu_expedited,
} from './srcutree.js';
export { RCU_HEAD_INIT, type rcu_callback_t, type rcu_head } from './update.js';
