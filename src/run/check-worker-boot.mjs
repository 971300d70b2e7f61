// `kernsim check`'s worker when kernsim runs from source: tsx's ES module hooks in this thread,
// then run/check-worker.ts as an ES module (see run/worker-boot.mjs).
import { register } from 'tsx/esm/api';

register();
const { default: runCell } = await import('./check-worker.ts');

export default runCell;
