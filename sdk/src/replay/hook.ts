import type { ReplayHook } from '../replay.js';

/** The object shared with the core (src/replay.ts): its state, its fetch, its notifications. */
export let H: ReplayHook = {};

export const setHook = (h: ReplayHook): void => {
  H = h;
};
