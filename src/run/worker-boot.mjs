// The pool's worker when kernsim runs from source (a checkout, through tsx): tsx's ES module
// hooks in this thread, then run/worker.ts as an ES module. A worker given `--import tsx` loads
// its entry through tsx's CommonJS hooks instead, so a user's scenario file (an ES module whose
// 'kernsim' imports resolve to src/) would get a second copy of the engine: two machines.
import { register } from 'tsx/esm/api';

register();
const { default: runPosted } = await import('./worker.ts');

export default runPosted;
