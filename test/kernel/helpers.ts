/** The kernel primitive tests' view of the one test harness (test/harness.ts). */
export { Recorder, RoundRobin, bootWith, dporOutcomes, ofType, runClean } from '../harness.js';
