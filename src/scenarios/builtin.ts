/** Imports every built-in scenario module (each registers itself) and registers the model's variants. */
import { VARIANTS } from '../models/linux/variants.js';
import { registerVariants } from './index.js';
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

registerVariants(VARIANTS);
