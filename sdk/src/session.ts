import { uuid } from './lib/uuid.js';
import type { Consent } from './types.js';

/**
 * Sessions. A session is `id|sampled|created|lastActivity`, kept in a
 * first-party cookie (`fovea_s`), else localStorage, else memory, so every
 * page (and tab) of a visit shares it. It ends after 15 minutes without user
 * activity or 4 hours after it began; the sampling decision is taken once
 * when it begins and stored with the id. Before consent nothing is written
 * anywhere but memory (see persistSession).
 */
export interface Session {
  id: string;
  /** sampled in */
  s: boolean;
  /** created, last activity (epoch ms) */
  c: number;
  a: number;
}

export const IDLE = 15 * 60 * 1000;
export const MAX = 4 * 60 * 60 * 1000;
const NAME = 'fovea_s';

let mem: Session | undefined;
let persist = false;

export const expired = (x: Session, now: number): boolean => now - x.a > IDLE || now - x.c > MAX;

/** The session in the cookie, else in localStorage. */
const stored = (): Session | undefined => {
  let v: string | null | undefined = document.cookie.match(/(?:^|;\s*)fovea_s=([^;]+)/)?.[1];
  if (!v)
    try {
      v = localStorage.getItem(NAME);
    } catch {
      /* storage blocked */
    }
  const [id, s, c, a] = (v || '').split('|');
  return id && c && a ? { id, s: s == '1', c: +c, a: +a } : undefined;
};

const read = (): Session | undefined => (persist && stored()) || mem;

const write = (x: Session): void => {
  mem = x;
  if (!persist) return;
  const v = `${x.id}|${+x.s}|${x.c}|${x.a}`;
  document.cookie = `${NAME}=${v};path=/;max-age=14400;SameSite=Lax${location.protocol == 'https:' ? ';Secure' : ''}`;
  if (!document.cookie.includes(v))
    try {
      localStorage.setItem(NAME, v);
    } catch {
      /* memory only */
    }
};

/**
 * The current session. `activity` (a user interaction, a page load, a route
 * change) extends it, or starts a new one when it has expired; other events
 * never renew a session, they stay in the one they belong to.
 */
export const session = (activity: boolean, rate = 100, now = Date.now()): Session => {
  let x = read();
  if (!x || (activity && expired(x, now))) {
    x = { id: uuid(), s: Math.random() * 100 < rate, c: now, a: now };
    write(x);
  } else if (activity && now - x.a > 1000) {
    x.a = now;
    write(x);
  } else mem = x;
  return x;
};

/**
 * Where the session lives, by consent. Granted: stored (cookie, else
 * localStorage). Pending: a stored session is read once and continued in
 * memory, and nothing is written, so a site that starts every page pending
 * keeps one session per visit. Denied: memory only, and what was stored is
 * deleted.
 */
export const persistSession = (consent: Consent): void => {
  persist = consent == 'granted';
  if (persist) {
    if (mem) write(mem);
  } else if (consent == 'pending') mem = stored();
  else {
    mem = undefined;
    document.cookie = `${NAME}=;path=/;max-age=0`;
    try {
      localStorage.removeItem(NAME);
      // session replay's segment counter and unsent segments (src/replay/store.ts)
      localStorage.removeItem('fovea_r');
      sessionStorage.removeItem('fovea_r');
    } catch {
      /* nothing stored */
    }
  }
};
