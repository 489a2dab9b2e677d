import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matches } from '../src/lib/matches.js';
import { retryDelay } from '../src/lib/retryDelay.js';
import { scrubUrl } from '../src/lib/scrub.js';

describe('query scrubbing', () => {
  const cases: [string, string, string[]?][] = [
    ['https://a.example/p?id=7&q=shoes', 'https://a.example/p?id=7&q=shoes'],
    ['https://a.example/reset?token=abc123&user=5', 'https://a.example/reset?token=[scrubbed]&user=5'],
    ['https://a.example/?password=hunter2', 'https://a.example/?password=[scrubbed]'],
    ['https://a.example/?Email=a%40b.c&x=1', 'https://a.example/?Email=[scrubbed]&x=1'],
    ['https://a.example/cb?code=xyz&state=s', 'https://a.example/cb?code=[scrubbed]&state=s'],
    ['https://a.example/?zipcode=10115', 'https://a.example/?zipcode=10115'],
    ['https://a.example/?session_id=1&api_key=2&sig=3&jwt=4', 'https://a.example/?session_id=[scrubbed]&api_key=[scrubbed]&sig=[scrubbed]&jwt=[scrubbed]'],
    ['https://a.example/#access_token=t&type=bearer', 'https://a.example/#access_token=[scrubbed]&type=bearer'],
    ['https://a.example/path=with=equals/x', 'https://a.example/path=with=equals/x'],
    ['https://a.example/?ssn=1&name=x', 'https://a.example/?ssn=[scrubbed]&name=x', ['SSN']],
    ['/relative?token=1', '/relative?token=[scrubbed]'],
  ];
  for (const [input, want, extra] of cases)
    it(`${input}${extra ? ` (+${extra})` : ''}`, () => assert.equal(scrubUrl(input, extra), want));
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
