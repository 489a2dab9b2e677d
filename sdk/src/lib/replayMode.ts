import type { Options, View } from '../types.js';
import { bucket, kept } from './bucket.js';

/**
 * Whether the session of view `v` is recorded: 0 no, 1 from its start, 2
 * into the on-error buffer. Read from the session's bucket (lib/bucket.ts)
 * rather than drawn, so every page of the session, the replay chunk and the
 * server take the same decision without storing it; recorded from the
 * start iff kept at `min(replaySampleRate, the rule's replay_rate)`, a
 * subset of the kept sessions. `replayOnErrorSampleRate` applies to the
 * sessions not recorded from their start.
 */
export const replayMode = (v: View, o: Options): number => {
  const b = bucket(v.sid);
  const r = Math.min(o.replaySampleRate || 0, v.rr ?? 100);
  return kept(b, r) ? 1 : b - r * 100 < (o.replayOnErrorSampleRate || 0) * (100 - r) ? 2 : 0;
};
