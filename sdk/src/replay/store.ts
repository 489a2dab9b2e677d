import type { Segment } from './segment.js';

/**
 * What replay keeps across page loads, under the key `fovea_r` (which the
 * core deletes from both storages when consent is withdrawn):
 *
 * - localStorage: `session id|next index|errored` of the current session, so
 *   the segments of every page of a session (and of its tabs) are numbered
 *   in one sequence: the server replaces a segment by (session, index), so an
 *   index used twice would lose one. `errored`: an on-error session had its
 *   error, its later pages are recorded in full;
 * - sessionStorage (this tab only, where the next page loads): the segments
 *   not yet acknowledged when the page was left, at most MAX_STORED
 *   characters of events, the oldest dropped first.
 *
 * Storage may be blocked or full: then the counter lives in memory and
 * unsent segments are lost with the page.
 */
const KEY = 'fovea_r';
export const MAX_STORED = 2_000_000;

let mem: [string, number, boolean] = ['', 0, false];

/** The counter of session `sid`, merged with the stored one (another page or tab may have moved it on). */
const read = (sid: string): [string, number, boolean] => {
  if (mem[0] != sid) mem = [sid, 0, false];
  try {
    const [id, n, e] = (localStorage.getItem(KEY) || '').split('|');
    if (id == sid) {
      mem[1] = Math.max(mem[1], +n! || 0);
      mem[2] ||= e == '1';
    }
  } catch {
    /* blocked: memory */
  }
  return mem;
};

const write = (): void => {
  try {
    localStorage.setItem(KEY, `${mem[0]}|${mem[1]}|${+mem[2]}`);
  } catch {
    /* memory only */
  }
};

/** Takes the next segment index of session `sid`. */
export const nextIndex = (sid: string): number => {
  const i = read(sid)[1]++;
  write();
  return i;
};

/** Whether on-error session `sid` already had its error (its recording goes on in full). */
export const errored = (sid: string): boolean => read(sid)[2];

export const setErrored = (sid: string): void => {
  read(sid)[2] = true;
  write();
};

/** Stores the unsent segments for the next page of this tab (bounded, oldest dropped). */
export const save = (q: Segment[]): void => {
  let n = 0;
  const keep: Segment[] = [];
  for (let k = q.length - 1; k >= 0 && (n += q[k]!.e.length) <= MAX_STORED; k--) keep.unshift(q[k]!);
  try {
    if (keep.length) sessionStorage.setItem(KEY, JSON.stringify(keep));
    else sessionStorage.removeItem(KEY);
  } catch {
    /* full or blocked: lost with the page */
  }
};

/** Takes the segments a previous page of this tab left unsent. */
export const restore = (): Segment[] => {
  try {
    const q = JSON.parse(sessionStorage.getItem(KEY) || '[]') as Segment[];
    sessionStorage.removeItem(KEY);
    return Array.isArray(q) ? q.filter((g) => g && typeof g.e == 'string' && typeof g.sid == 'string') : [];
  } catch {
    return [];
  }
};

/** Forgets everything stored (consent withdrawn). */
export const forget = (): void => {
  mem = ['', 0, false];
  try {
    localStorage.removeItem(KEY);
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing stored */
  }
};

/** Forgets the counter in memory, as a new page would (unit tests). */
export const resetStoreMemory = (): void => {
  mem = ['', 0, false];
};
