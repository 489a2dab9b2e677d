import { describe, expect, it } from 'vitest';
import { parseIntIn, parseNumberIn, parseOrigins, parseQuota } from '../src/lib/forms';
import { cdnScriptUrl, jsString, npmSnippet, scriptSnippet } from '../src/lib/snippet';
import { layoutTimeline, ticks } from '../src/lib/timeline';
import { eventDuration, eventFacts, eventTitle } from '../src/lib/events';

describe('parseOrigins', () => {
  it('splits on lines, commas and spaces, normalises and dedupes', () => {
    expect(parseOrigins('https://a.example\nhttps://b.example:8443, https://a.example/ *')).toEqual({
      origins: ['https://a.example', 'https://b.example:8443', '*'],
      invalid: [],
    });
  });
  it('rejects things that are not origins', () => {
    expect(parseOrigins('a.example https://a.example/path javascript:alert(1) ftp://x').invalid).toEqual([
      'a.example',
      'https://a.example/path',
      'javascript:alert(1)',
      'ftp://x',
    ]);
  });
});

describe('parseIntIn', () => {
  it('accepts whole numbers within range', () => {
    expect(parseIntIn('50', 0, 100)).toBe(50);
    expect(parseIntIn(' 0 ', 0, 100)).toBe(0);
    expect(parseIntIn('101', 0, 100)).toBeNull();
    expect(parseIntIn('1.5', 0, 100)).toBeNull();
    expect(parseIntIn('', 0, 100)).toBeNull();
  });
});

describe('parseNumberIn', () => {
  it('accepts decimals within range (sample rates such as 12.5%)', () => {
    expect(parseNumberIn('12.5', 0, 100)).toBe(12.5);
    expect(parseNumberIn('100', 0, 100)).toBe(100);
    expect(parseNumberIn('100.1', 0, 100)).toBeNull();
    expect(parseNumberIn('-1', 0, 100)).toBeNull();
    expect(parseNumberIn('1e2', 0, 100)).toBeNull();
  });
});

describe('snippets', () => {
  it('quote values so they cannot break out of the string or the script', () => {
    expect(jsString("a'b\\c</script><b>&\n")).toBe("'a\\'b\\\\c\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\n'");
    // what it produces is the same string again when evaluated
    expect(JSON.parse(`"${jsString("x'</script>")
      .slice(1, -1)
      .replace(/\\'/g, "'")}"`)).toBe("x'</script>");
  });
  it('script tag snippet, as docs/sdk.md writes it, loading the SDK from this server', () => {
    expect(cdnScriptUrl('0.1.0')).toBe('https://unpkg.com/@fovea/browser@0.1.0/dist/fovea.min.js');
    expect(scriptSnippet('https://fovea.example/', 'pk_1')).toBe(
      [
        '<script src="https://fovea.example/sdk/fovea.min.js" crossorigin="anonymous"></script>',
        '<script>',
        '  Fovea.init({',
        "    endpoint: 'https://fovea.example',",
        "    key: 'pk_1',",
        '  });',
        '</script>',
      ].join('\n'),
    );
  });
  it('npm snippet', () => {
    expect(npmSnippet('https://fovea.example', 'pk_1')).toContain("init({ endpoint: 'https://fovea.example', key: 'pk_1' });");
  });
});

describe('timeline layout', () => {
  const ev = (ts: number, d = 0) => ({ ts, d });
  it('places events as percentages of the session span', () => {
    const l = layoutTimeline([ev(1000), ev(1500, 250), ev(2000)], (e) => e.d);
    expect(l.start).toBe(1000);
    expect(l.span).toBe(1000);
    expect(l.placed.map((p) => [p.offset, p.left, p.width])).toEqual([
      [0, 0, 0],
      [500, 50, 25],
      [1000, 100, 0],
    ]);
  });
  it('clamps bars to the track and handles empty sessions', () => {
    const l = layoutTimeline([ev(0, 5000)], (e) => e.d, { start: 0, end: 1000 });
    expect(l.placed[0]?.width).toBe(100);
    expect(layoutTimeline([], () => 0).span).toBe(1);
  });
  it('ticks at round steps', () => {
    expect(ticks(10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
    expect(ticks(0)).toEqual([0]);
  });
});

describe('event text', () => {
  const base = { event_id: 'e', ts: 0 };
  it('describes each type', () => {
    expect(eventTitle({ ...base, type: 'view', route: '/cart', url: 'https://a/cart' })).toBe('/cart');
    expect(eventTitle({ ...base, type: 'action', action_type: 'click', name: 'Buy' })).toBe('click “Buy”');
    expect(eventTitle({ ...base, type: 'error', kind: 'TypeError', message: 'x is undefined' })).toBe('TypeError: x is undefined');
    expect(eventTitle({ ...base, type: 'resource', method: 'GET', resource_url: 'https://a/api', status: 500 })).toBe('GET https://a/api → 500');
    expect(eventTitle({ ...base, type: 'long_task', kind: 'loaf', script_url: 'https://a/app.js' })).toBe('Long animation frame in https://a/app.js');
  });
  it('lists the facts of a view and the length of timed events', () => {
    expect(eventFacts({ ...base, type: 'view', loading_type: 'initial_load', lcp: 2300, cls: 0.05 })).toEqual(['initial load', 'LCP 2.30 s', 'CLS 0.05']);
    expect(eventDuration({ ...base, type: 'resource', duration: 120 })).toBe(120);
    expect(eventDuration({ ...base, type: 'action' })).toBe(0);
  });
  it('ignores fields of the wrong type instead of rendering them', () => {
    expect(eventTitle({ ...base, type: 'error', message: { html: '<b>' } })).toBe('(no message)');
  });
});

describe('parseQuota', () => {
  it('is null (unlimited) when empty, the number when whole, undefined otherwise', () => {
    expect(parseQuota('')).toBeNull();
    expect(parseQuota('  ')).toBeNull();
    expect(parseQuota('1000000')).toBe(1000000);
    expect(parseQuota('0')).toBe(0);
    expect(parseQuota('-1')).toBeUndefined();
    expect(parseQuota('1.5')).toBeUndefined();
    expect(parseQuota('lots')).toBeUndefined();
  });
});
