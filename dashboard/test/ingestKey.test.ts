// Rotating the ingest key: the grace period field, the question asked first,
// and what the page says about the previous key afterwards.
import { describe, expect, it } from 'vitest';
import { formatDateTime } from '../src/lib/format';
import { parseGraceHours, previousKeyNote, rotateQuestion } from '../src/lib/ingestKey';

describe('parseGraceHours', () => {
  it('takes whole hours from 0 to 720', () => {
    expect(parseGraceHours('24')).toBe(24);
    expect(parseGraceHours('0')).toBe(0);
    expect(parseGraceHours('720')).toBe(720);
    expect(parseGraceHours('721')).toBeNull();
    expect(parseGraceHours('1.5')).toBeNull();
    expect(parseGraceHours('-1')).toBeNull();
    expect(parseGraceHours('')).toBeNull();
  });
});

describe('rotateQuestion', () => {
  it('says how long the current key keeps working', () => {
    expect(rotateQuestion('Shop', 24)).toBe('Rotate the ingest key of Shop? The current key keeps working for 24 hours; after that, pages that still send with it are refused.');
    expect(rotateQuestion('Shop', 1)).toContain('for 1 hour;');
    expect(rotateQuestion('Shop', 0)).toContain('stops working at once');
  });
});

describe('previousKeyNote', () => {
  const answer = (expires: number) => ({ ingest_key: 'new', previous_key: 'old', previous_key_expires_at: expires });
  it('gives the time the previous key stops, in the format of the rest of the dashboard', () => {
    const t = Date.UTC(2025, 0, 2, 10, 0);
    expect(previousKeyNote(answer(t), t - 1000)).toBe(`The previous key keeps working until ${formatDateTime(t)}.`);
  });
  it('says it stopped when there was no grace period', () => {
    expect(previousKeyNote(answer(1000), 1000)).toBe('The previous key has stopped working.');
  });
});
