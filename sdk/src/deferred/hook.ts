import type { DeferredHook } from '../deferred.js';

/** The object shared with the core (src/deferred.ts), filled by it before this chunk is imported. */
export const H = (globalThis as { __foveaDeferred?: DeferredHook }).__foveaDeferred!;
