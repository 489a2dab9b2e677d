// Entry of the replay chunk (fovea-replay.min.js, and dist/replay.js for
// bundlers): registers on the hook object the core created before loading
// it (src/replay.ts), or creates it when imported before the core starts.
import type { ReplayHook } from '../replay.js';
import { safe } from '../lib/safe.js';
import { attach } from './recorder.js';

const g = globalThis as { __foveaReplay?: ReplayHook };
safe(attach)((g.__foveaReplay ||= {}));
