import './dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { IDLE, MAX, expired, persistSession, save, session } from '../src/session.js';

const T0 = 1_764_100_000_000;
const cookie = () => document.cookie.match(/fovea_s=([^;]+)/)?.[1];

/** Runs `fn` with document.cookie's reads counted (`reads()`: so far). */
const countingCookieReads = (fn: (reads: () => number) => void): void => {
  let owner = Object.getPrototypeOf(document) as object;
  while (!Object.getOwnPropertyDescriptor(owner, 'cookie')) owner = Object.getPrototypeOf(owner);
  const real = Object.getOwnPropertyDescriptor(owner, 'cookie')!;
  let reads = 0;
  Object.defineProperty(document, 'cookie', {
    get() {
      reads++;
      return real.get!.call(this);
    },
    set(v) {
      real.set!.call(this, v);
    },
    configurable: true,
  });
  try {
    fn(() => reads);
  } finally {
    delete (document as unknown as Record<string, unknown>).cookie;
  }
};

describe('session rules', () => {
  beforeEach(() => {
    persistSession('denied'); // clears cookie and storage
    persistSession('granted');
  });

  it('starts a session and stores id and times in a first-party cookie', () => {
    const s = session(true, T0);
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.k, undefined);
    assert.equal(cookie(), `${s.id}||${T0}|${T0}|`);
  });

  it('keeps the session across pages while active', () => {
    const a = session(true, T0);
    const b = session(true, T0 + IDLE - 1);
    assert.equal(b.id, a.id);
    const c = session(true, T0 + 2 * IDLE - 2); // activity at T0+IDLE-1 extended it
    assert.equal(c.id, a.id);
  });

  it('ends after 15 minutes without activity', () => {
    const a = session(true, T0);
    const b = session(true, T0 + IDLE + 1);
    assert.notEqual(b.id, a.id);
    assert.equal(b.c, T0 + IDLE + 1);
  });

  it('ends 4 hours after it began even when active', () => {
    const a = session(true, T0);
    let t = T0;
    while (t < T0 + MAX) {
      t += IDLE / 2;
      session(true, Math.min(t, T0 + MAX));
    }
    assert.equal(session(true, T0 + MAX).id, a.id);
    assert.notEqual(session(true, T0 + MAX + 1).id, a.id);
  });

  it('is not renewed by events that are not user activity', () => {
    const a = session(true, T0);
    assert.equal(session(false, T0 + IDLE + 5).id, a.id);
    assert.ok(expired(a, T0 + IDLE + 5));
  });

  it('stores the entry route (escaped) and the key-page upgrade with the session', () => {
    const a = session(true, T0);
    a.r = '/checkout|x; y/é';
    a.k = true;
    save(a);
    assert.equal(cookie(), `${a.id}|k|${T0}|${T0}|/checkout%7Cx%3B%20y/%E9`);
    persistSession('pending'); // read back from the cookie
    const b = session(true, T0 + 1000);
    assert.equal(b.id, a.id);
    assert.equal(b.r, '/checkout|x; y/é');
    assert.equal(b.k, true);
  });

  it('continues a session stored by an older SDK (id|sampled|created|activity): no upgrade, entry route to come', () => {
    document.cookie = `fovea_s=0c3d5e7f-1111-4222-a333-444455556666|1|${T0}|${T0};path=/`;
    const s = session(true, T0 + 1000);
    assert.equal(s.id, '0c3d5e7f-1111-4222-a333-444455556666');
    assert.equal(s.k, false);
    assert.ok(!s.r);
  });

  it('falls back to localStorage when cookies are blocked', () => {
    Object.defineProperty(document, 'cookie', { get: () => '', set: () => {}, configurable: true });
    try {
      const a = session(true, T0);
      assert.equal(localStorage.getItem('fovea_s'), `${a.id}||${T0}|${T0}|`);
      assert.equal(session(true, T0 + 5000).id, a.id);
    } finally {
      // back to the prototype's cookie accessor
      delete (document as unknown as Record<string, unknown>).cookie;
    }
  });

  // Regression: every call read document.cookie, a synchronous round trip
  // to the browser process, and every write read it back (bench/sdk-cost.mjs).
  it('reads the cookie only without a session in memory or at an activity due for renewal; checks a write only once', () => {
    countingCookieReads((reads) => {
      const a = session(true, T0); // none in memory: read; written, and read back once
      assert.equal(reads(), 2);
      for (let t = 1; t < 10; t++) session(t % 2 == 0, T0 + t * 1000); // other events, activity within 15 s
      assert.equal(reads(), 2, 'no read');
      assert.equal(session(true, T0 + 20000).id, a.id); // renewal due: read (another tab may have renewed it)
      assert.equal(reads(), 3, 'one read, and no read-back of the write');
      assert.equal(cookie(), `${a.id}||${T0}|${T0 + 20000}|`);
    });
  });

  // Regression: a page's first interaction read the cookie again, though
  // init had read it moments before (bench/sdk-cost.mjs, a later page load).
  it('reads the cookie at most once in 15 s, however late the last activity', () => {
    const a = session(true, T0);
    // the next page: nothing in memory, so init reads the stored session
    persistSession('denied');
    document.cookie = `fovea_s=${a.id}||${T0}|${T0}|;path=/`;
    persistSession('granted');
    const page = T0 + 60_000;
    countingCookieReads((reads) => {
      assert.equal(session(false, page).id, a.id); // init: read
      assert.equal(reads(), 1);
      assert.equal(session(true, page + 3000).id, a.id); // the first click, 3 s later: renewed, not read again
      assert.equal(reads(), 1);
      assert.equal(cookie(), `${a.id}||${T0}|${page + 3000}|`);
      session(true, page + 40_000); // renewal due and the last read 40 s old: read
      assert.equal(reads(), 3); // (and the cookie() check above)
    });
  });

  it('joins the session another tab renewed: read at the activity that would have expired it', () => {
    const a = session(true, T0);
    // another tab, active meanwhile, renewed it
    document.cookie = `fovea_s=${a.id}||${T0}|${T0 + IDLE}|;path=/`;
    assert.equal(session(true, T0 + IDLE + 1000).id, a.id);
  });

  it('keeps the session in memory only before consent, and stores it on consent', () => {
    persistSession('denied');
    persistSession('pending');
    const a = session(true, T0);
    assert.equal(cookie(), undefined);
    assert.equal(localStorage.getItem('fovea_s'), null);
    assert.equal(session(true, T0 + 10).id, a.id);
    persistSession('granted');
    assert.equal(cookie()?.split('|')[0], a.id);
  });

  // Regression: a site that starts every page pending got a new session on each page.
  it('consent pending no longer deletes the stored session: the page continues it, and grant stores it', () => {
    const a = session(true, T0); // an earlier page, consent granted
    persistSession('pending'); // the next page starts pending
    assert.equal(cookie(), `${a.id}||${T0}|${T0}|`, 'not deleted');
    assert.equal(session(true, T0 + 5000).id, a.id);
    // activity goes on in memory: the stale stored copy does not expire it
    assert.equal(session(true, T0 + IDLE).id, a.id);
    assert.equal(session(true, T0 + 2 * IDLE - 1).id, a.id);
    assert.equal(cookie(), `${a.id}||${T0}|${T0}|`, 'nothing written while pending');
    persistSession('granted');
    assert.equal(cookie(), `${a.id}||${T0}|${T0 + 2 * IDLE - 1}|`);
  });

  it('deletes the stored session when consent is denied after a pending start', () => {
    session(true, T0);
    persistSession('pending');
    persistSession('denied');
    assert.equal(cookie(), undefined);
    assert.equal(localStorage.getItem('fovea_s'), null);
  });

  it('deletes the stored session when consent is withdrawn', () => {
    session(true, T0);
    assert.ok(cookie());
    persistSession('denied');
    assert.equal(cookie(), undefined);
  });
});
