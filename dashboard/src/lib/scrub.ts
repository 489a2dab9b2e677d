// The app's privacy settings in Settings → Privacy: what is stored of user
// ids, and the app's own scrub patterns and query keys. The textareas hold one
// entry per line; this turns them into the lists `PATCH /apps/{app}` takes and
// checks the server's limits first, so a list it would refuse is not sent. The
// server still compiles the patterns (Rust regex syntax, which a browser cannot
// check) and its 400 names a bad one. Unit tested in test/scrub.test.ts.

import type { UserIdMode } from './types';

export const USER_ID_MODES: readonly UserIdMode[] = ['raw', 'hash', 'drop'];

export const USER_ID_MODE_LABEL: Readonly<Record<UserIdMode, string>> = {
  raw: 'Raw',
  hash: 'Hashed',
  drop: 'Dropped',
};

export const USER_ID_MODE_HINT: Readonly<Record<UserIdMode, string>> = {
  raw: 'stored as your pages send them',
  hash: 'keyed hash: users still counted and erasable by id, but ids cannot be read',
  drop: 'not stored at all',
};

export const MAX_SCRUB_PATTERNS = 50;
export const MAX_PATTERN_BYTES = 1000;
export const MAX_SCRUB_KEYS = 100;
export const MAX_KEY_BYTES = 100;

/** The entries of a one-per-line textarea: each line trimmed, empty lines and repeats left out. */
export function parseLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const s = line.trim();
    if (s !== '' && !out.includes(s)) out.push(s);
  }
  return out;
}

// the server measures lengths in UTF-8 bytes
const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Why the server would refuse these patterns, or null. */
export function patternsProblem(patterns: readonly string[]): string | null {
  if (patterns.length > MAX_SCRUB_PATTERNS) return `At most ${MAX_SCRUB_PATTERNS} patterns (${patterns.length} given).`;
  const long = patterns.find((p) => bytes(p) > MAX_PATTERN_BYTES);
  return long == null ? null : `A pattern is at most ${MAX_PATTERN_BYTES} bytes: ${long.slice(0, 40)}…`;
}

/** Why the server would refuse these query keys, or null. */
export function keysProblem(keys: readonly string[]): string | null {
  if (keys.length > MAX_SCRUB_KEYS) return `At most ${MAX_SCRUB_KEYS} query keys (${keys.length} given).`;
  const long = keys.find((k) => bytes(k) > MAX_KEY_BYTES);
  return long == null ? null : `A query key is at most ${MAX_KEY_BYTES} bytes: ${long.slice(0, 40)}…`;
}

/** Whether two lists hold the same entries in the same order. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
