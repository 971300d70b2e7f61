/** Imports every built-in scenario module (each registers itself; scenarios/index.ts registers the model's variants). */
import './selftest.js';
import './simple-kvm-reap.js';
import './oom-kill.js';
import './destroy-race.js';
import './memslot-race.js';
import './mrelease.js';
import './stress.js';
import './reclaim-reap.js';
import './itree-reap.js';
import './radeon-reap.js';
