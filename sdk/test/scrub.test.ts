import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matches } from '../src/lib/matches.js';
import { retryDelay } from '../src/lib/retryDelay.js';
import { scrubUrl } from '../src/lib/scrub.js';
import { uuid } from '../src/lib/uuid.js';
import { P, scrubList } from './scrubList.js';

describe('query scrubbing', () => {
  const cases: [string, string, string[]?][] = [
    ['https://a.example/p?id=7&q=shoes', 'https://a.example/p?id=7&q=shoes'],
    ['https://a.example/reset?token=abc123&user=5', `https://a.example/reset?token=${P}&user=5`],
    ['https://a.example/?password=hunter2', `https://a.example/?password=${P}`],
    ['https://a.example/?Email=a%40b.c&x=1', `https://a.example/?Email=${P}&x=1`],
    ['https://a.example/cb?code=xyz&state=s', `https://a.example/cb?code=${P}&state=${P}`],
    ['https://a.example/?zipcode=10115', 'https://a.example/?zipcode=10115'],
    ['https://a.example/?session_id=1&api_key=2&sig=3&jwt=4', `https://a.example/?session_id=${P}&api_key=${P}&sig=${P}&jwt=${P}`],
    ['https://a.example/#access_token=t&type=bearer', `https://a.example/#access_token=${P}&type=bearer`],
    ['https://a.example/path=with=equals/x', 'https://a.example/path=with=equals/x'],
    ['https://a.example/?tenant=1&name=x', `https://a.example/?tenant=${P}&name=x`, ['TENANT']],
    ['/relative?token=1', `/relative?token=${P}`],
    // matched on the decoded key, as the server does; the key is sent as it was
    ['https://a.example/?access%5Ftoken=1&%50IN=2', `https://a.example/?access%5Ftoken=${P}&%50IN=${P}`],
    ['https://a.example/?bad%E0%A4%A=1', 'https://a.example/?bad%E0%A4%A=1'],
  ];
  for (const [input, want, extra] of cases)
    it(`${input}${extra ? ` (+${extra})` : ''}`, () => assert.equal(scrubUrl(input, extra), want));

  it('scrubs every key of crates/schema/scrub.json, with its placeholder, as the server does', () => {
    const { query_key_parts: parts, query_keys_exact: exact } = scrubList;
    assert.ok(parts.length && exact.length);
    const keep = (k: string) => `https://a.example/?${k}=v&keep=1`;
    const gone = (k: string) => `https://a.example/?${k}=${P}&keep=1`;
    for (const p of parts)
      for (const k of [p, p.toUpperCase(), `x${p}y`, `X-${p}`])
        assert.equal(scrubUrl(keep(k)), gone(k), `part ${p}: ${k} contains it`);
    for (const e of exact) {
      for (const k of [e, e.toUpperCase()]) assert.equal(scrubUrl(keep(k)), gone(k), `exact ${e}: ${k}`);
      // only whole keys, unless a part is in them too
      for (const k of [`${e}x`, `x${e}`])
        if (!parts.some((p) => k.includes(p))) assert.equal(scrubUrl(keep(k)), keep(k), `exact ${e}: ${k} is another key`);
    }
  });
});

describe('tracing URL matching', () => {
  it('matches string prefixes and regular expressions', () => {
    const list = ['https://api.shop.example/', /^https:\/\/[a-z]+\.internal\.example\//];
    assert.ok(matches(list, 'startsWith', 'https://api.shop.example/cart'));
    assert.ok(matches(list, 'startsWith', 'https://orders.internal.example/x'));
    assert.ok(!matches(list, 'startsWith', 'https://cdn.example/x.js'));
    assert.ok(!matches(['https://api.shop.example/'], 'startsWith', 'https://api.shop.example.evil/x'));
    assert.ok(!matches(undefined, 'startsWith', 'https://api.shop.example/'));
  });
});

describe('retry delay', () => {
  it('uses Retry-After seconds when given', () => {
    assert.equal(retryDelay(1, '7'), 7000);
    const zero = retryDelay(5, '0'); // no wait given: the backoff applies
    assert.ok(zero >= 8000 && zero <= 16000, String(zero));
    const junk = retryDelay(1, 'soon');
    assert.ok(junk >= 500 && junk <= 1000, String(junk));
    assert.equal(retryDelay(1, '100000'), 300000, 'capped at 5 minutes');
  });
  it('backs off exponentially with jitter, at most a minute', () => {
    for (let a = 1; a <= 10; a++) {
      const d = retryDelay(a, null);
      const base = Math.min(60000, 1000 * 2 ** (a - 1));
      assert.ok(d >= base / 2 && d <= base, `attempt ${a}: ${d} in [${base / 2}, ${base}]`);
    }
  });
});

describe('uuid', () => {
  it('builds a v4 UUID from random bytes where crypto.randomUUID is missing (insecure contexts)', () => {
    const own = Object.getOwnPropertyDescriptor(crypto, 'randomUUID');
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      const ids = new Set(Array.from({ length: 50 }, uuid));
      assert.equal(ids.size, 50);
      for (const id of ids) assert.match(id, /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-a[\da-f]{3}-[\da-f]{12}$/);
    } finally {
      if (own) Object.defineProperty(crypto, 'randomUUID', own);
      else delete (crypto as { randomUUID?: unknown }).randomUUID;
    }
  });
});
