import type { Options } from '../types.js';

/**
 * Whether session `sid` is recorded: 0 no, 1 from its start, 2 into the
 * on-error buffer. Read from the session id (a random UUID: its first 32
 * bits are uniform) rather than drawn, so every page of the session, and the
 * replay chunk, take the same decision without storing it.
 * `replayOnErrorSampleRate` applies to the sessions not recorded from their
 * start. An id that is not hex is never recorded.
 */
export const replayMode = (sid: string, o: Options): number => {
  const u = parseInt(sid.slice(0, 8), 16) / 42949672.96; // [0, 100)
  const r = o.replaySampleRate || 0;
  return u < r ? 1 : (u - r) * 100 < (o.replayOnErrorSampleRate || 0) * (100 - r) ? 2 : 0;
};
