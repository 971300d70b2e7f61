/** Imports every built-in scenario module so that each registers itself. */
import './selftest.js';
import './simple-kvm-reap.js';
import './oom-kill.js';
import './destroy-race.js';
import './memslot-race.js';
import './mrelease.js';
import './stress.js';
