import { cookie } from './lib/cookie.js';
import { uuid } from './lib/uuid.js';
import type { Consent } from './types.js';

/**
 * Sessions. A session is `id|key|created|lastActivity|entryRoute`, kept in
 * a first-party cookie (`fovea_s`), else localStorage, else memory, so every
 * page (and tab) of a visit shares it. It ends after 15 minutes without user
 * activity or 4 hours after it began. The sampling decision is not stored:
 * every page takes it again from the id, the entry route and the rules of
 * the moment (sampling.ts); only a key page's upgrade (`k`) is kept. Before
 * consent nothing is written anywhere but memory (see persistSession).
 */
export interface Session {
  id: string;
  /** upgraded by a key page: kept whatever its rate */
  k?: boolean;
  /** created, last activity (epoch ms) */
  c: number;
  a: number;
  /** route of the session's first view */
  r?: string;
}

export const IDLE = 15 * 60 * 1000;
export const MAX = 4 * 60 * 60 * 1000;
const NAME = 'fovea_s';

let mem: Session | undefined;
let persist = false;
/** when the stored session was last read (epoch ms) */
let read = 0;
/**
 * whether the cookie takes: known when it held the session, else checked
 * at the first write (reading document.cookie right after a write is a
 * synchronous round trip to the browser process, ~0.4 ms)
 */
let jar: boolean | undefined;

/**
 * document.cookie as `init` read it, while init runs: its opt-out check and
 * the session's first read share one read (each is a synchronous round trip
 * to the browser process, ~0.2–1 ms while the page loads)
 */
let jarText: string | undefined;

/** Lets reads of the cookie use `text` until called without (index.ts: init, around its synchronous work). */
export const cookieSnapshot = (text?: string): string | undefined => (jarText = text);

export const expired = (x: Session, now: number): boolean => now - x.a > IDLE || now - x.c > MAX;

/** The session in the cookie, else in localStorage, read at `now`. */
const stored = (now = Date.now()): Session | undefined => {
  read = now;
  let v: string | null | undefined = (jarText ?? document.cookie).match(/(?:^|;\s*)fovea_s=([^;]+)/)?.[1];
  if (v) jar = true;
  else
    try {
      v = localStorage.getItem(NAME);
    } catch {
      /* storage blocked */
    }
  // (`k` was `0`/`1`, the sampling decision, before the shared bucket)
  const [id, k, c, a, r] = (v || '').split('|');
  return id && c && a ? { id, k: k == 'k', c: +c, a: +a, r: r && unescape(r) } : undefined;
};

/** Stores session `x` (in memory only before consent). */
export const save = (x: Session): void => {
  mem = x;
  if (!persist) return;
  // escape(): a route holds no `|`, `;` or space once escaped
  const v = `${x.id}|${x.k ? 'k' : ''}|${x.c}|${x.a}|${escape(x.r || '')}`;
  cookie(NAME, v, 14400);
  jarText = undefined;
  if (!(jar ??= document.cookie.includes(v)))
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
export const session = (activity: boolean, now = Date.now()): Session => {
  // The stored session is read when there is none in memory, or at an
  // activity when it was last read over 15 s ago (another tab may have
  // renewed it, or started the next one): reading document.cookie is
  // synchronous IO, most calls are not activity, and a page's first
  // interaction often comes seconds after init read it.
  let x = mem;
  if (!x || (activity && now - read > 15000)) x = (persist && stored(now)) || mem;
  if (!x || (activity && expired(x, now))) {
    x = { id: uuid(), c: now, a: now };
    save(x);
  } else if (activity && now - x.a > 15000) {
    // (written at most every 15 s: the cookie is synchronous IO, and the
    // 15 minutes of idleness do not need a finer clock)
    x.a = now;
    save(x);
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
    if (mem) save(mem);
  } else if (consent == 'pending') mem = stored();
  else {
    mem = jar = undefined;
    cookie(NAME, '', 0);
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
