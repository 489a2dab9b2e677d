// Rotating an app's ingest key (`POST /apps/{app}/rotate-key`): the old key is
// still accepted for a grace period, so pages cached with it keep reporting
// while the new snippet is deployed. Pure, unit tested in test/ingestKey.test.ts.

import { formatDateTime } from './format';
import { parseIntIn } from './forms';
import type { RotatedIngestKey } from './types';

export const GRACE_DEFAULT_HOURS = 24;
export const GRACE_MAX_HOURS = 720;

/** The grace period field: whole hours from 0 to 720, or null. */
export function parseGraceHours(text: string): number | null {
  return parseIntIn(text, 0, GRACE_MAX_HOURS);
}

function hours(n: number): string {
  return n === 1 ? '1 hour' : `${n} hours`;
}

/** The question asked before rotating. */
export function rotateQuestion(appName: string, graceHours: number): string {
  const after =
    graceHours === 0
      ? 'The current key stops working at once: pages that still send with it are refused.'
      : `The current key keeps working for ${hours(graceHours)}; after that, pages that still send with it are refused.`;
  return `Rotate the ingest key of ${appName}? ${after}`;
}

/** What becomes of the previous key, told after a rotation. */
export function previousKeyNote(answer: RotatedIngestKey, now: number): string {
  if (answer.previous_key_expires_at <= now) return 'The previous key has stopped working.';
  return `The previous key keeps working until ${formatDateTime(answer.previous_key_expires_at)}.`;
}
