import './dom.js';
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { IDLE, MAX, expired, persistSession, session } from '../src/session.js';

const T0 = 1_764_100_000_000;
const cookie = () => document.cookie.match(/fovea_s=([^;]+)/)?.[1];

describe('session rules', () => {
  beforeEach(() => {
    persistSession('denied'); // clears cookie and storage
    persistSession('granted');
  });

  it('starts a session and stores id, sampling and times in a first-party cookie', () => {
    const s = session(true, 100, T0);
    assert.match(s.id, /^[0-9a-f-]{36}$/);
    assert.equal(s.s, true);
    assert.equal(cookie(), `${s.id}|1|${T0}|${T0}`);
  });

  it('keeps the session across pages while active', () => {
    const a = session(true, 100, T0);
    const b = session(true, 100, T0 + IDLE - 1);
    assert.equal(b.id, a.id);
    const c = session(true, 100, T0 + 2 * IDLE - 2); // activity at T0+IDLE-1 extended it
    assert.equal(c.id, a.id);
  });

  it('ends after 15 minutes without activity', () => {
    const a = session(true, 100, T0);
    const b = session(true, 100, T0 + IDLE + 1);
    assert.notEqual(b.id, a.id);
    assert.equal(b.c, T0 + IDLE + 1);
  });

  it('ends 4 hours after it began even when active', () => {
    const a = session(true, 100, T0);
    let t = T0;
    while (t < T0 + MAX) {
      t += IDLE / 2;
      session(true, 100, Math.min(t, T0 + MAX));
    }
    assert.equal(session(true, 100, T0 + MAX).id, a.id);
    assert.notEqual(session(true, 100, T0 + MAX + 1).id, a.id);
  });

  it('is not renewed by events that are not user activity', () => {
    const a = session(true, 100, T0);
    assert.equal(session(false, 100, T0 + IDLE + 5).id, a.id);
    assert.ok(expired(a, T0 + IDLE + 5));
  });

  it('decides sampling once per session and stores the decision', () => {
    const out = session(true, 0, T0);
    assert.equal(out.s, false);
    assert.equal(cookie(), `${out.id}|0|${T0}|${T0}`);
    // a later page with another rate keeps the session's decision
    assert.equal(session(true, 100, T0 + 1000).s, false);
    // a new session decides again
    assert.equal(session(true, 100, T0 + IDLE + 2000).s, true);
  });

  it('samples about the configured share of sessions', () => {
    let kept = 0;
    for (let i = 0; i < 2000; i++) {
      persistSession('denied');
      if (session(true, 30, T0).s) kept++;
    }
    assert.ok(kept > 2000 * 0.25 && kept < 2000 * 0.35, `kept ${kept} of 2000 at 30 %`);
  });

  it('falls back to localStorage when cookies are blocked', () => {
    Object.defineProperty(document, 'cookie', { get: () => '', set: () => {}, configurable: true });
    try {
      const a = session(true, 100, T0);
      assert.equal(localStorage.getItem('fovea_s'), `${a.id}|1|${T0}|${T0}`);
      assert.equal(session(true, 100, T0 + 5000).id, a.id);
    } finally {
      // back to the prototype's cookie accessor
      delete (document as unknown as Record<string, unknown>).cookie;
    }
  });

  it('keeps the session in memory only before consent, and stores it on consent', () => {
    persistSession('denied');
    persistSession('pending');
    const a = session(true, 100, T0);
    assert.equal(cookie(), undefined);
    assert.equal(localStorage.getItem('fovea_s'), null);
    assert.equal(session(true, 100, T0 + 10).id, a.id);
    persistSession('granted');
    assert.equal(cookie()?.split('|')[0], a.id);
  });

  // Regression: a site that starts every page pending got a new session on each page.
  it('consent pending no longer deletes the stored session: the page continues it, and grant stores it', () => {
    const a = session(true, 100, T0); // an earlier page, consent granted
    persistSession('pending'); // the next page starts pending
    assert.equal(cookie(), `${a.id}|1|${T0}|${T0}`, 'not deleted');
    assert.equal(session(true, 100, T0 + 5000).id, a.id);
    // activity goes on in memory: the stale stored copy does not expire it
    assert.equal(session(true, 100, T0 + IDLE).id, a.id);
    assert.equal(session(true, 100, T0 + 2 * IDLE - 1).id, a.id);
    assert.equal(cookie(), `${a.id}|1|${T0}|${T0}`, 'nothing written while pending');
    persistSession('granted');
    assert.equal(cookie(), `${a.id}|1|${T0}|${T0 + 2 * IDLE - 1}`);
  });

  it('deletes the stored session when consent is denied after a pending start', () => {
    session(true, 100, T0);
    persistSession('pending');
    persistSession('denied');
    assert.equal(cookie(), undefined);
    assert.equal(localStorage.getItem('fovea_s'), null);
  });

  it('deletes the stored session when consent is withdrawn', () => {
    session(true, 100, T0);
    assert.ok(cookie());
    persistSession('denied');
    assert.equal(cookie(), undefined);
  });
});
