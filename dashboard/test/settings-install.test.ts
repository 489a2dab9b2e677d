// @vitest-environment jsdom
// Settings → Install: the async snippet (docs/sdk.md, the recommended install)
// filled in with this server's origin and the app's ingest key, first and
// with a Copy button; values are escaped and rendered as text.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { asyncSnippet, FOVEA_STUB } from '../src/components/AsyncSnippet';
import { SettingsPage } from '../src/pages/Settings';
import type { App } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmountPage, until } from './page';

// by path: under jsdom, import.meta.url is not a file: URL (vitest runs in dashboard/)
const docs = readFileSync(resolve(process.cwd(), '../docs/sdk.md'), 'utf8');
const docSnippet = docs.match(/<!-- async-snippet:start -->\s*```html\n([\s\S]*?)```\s*<!-- async-snippet:end -->/)?.[1];

const settings = (app: App) => mountPage(pageCtx('/apps/shop/settings', app), h(SettingsPage, {}));
const blocks = (el: HTMLElement) => [...el.querySelectorAll<HTMLElement>('.code-block')];

beforeEach(() => {
  mockFetch((c) => (c.url.endsWith('/sourcemaps') ? { body: { sourcemaps: [] } } : { status: 404, body: { error: 'not_found' } }));
});
afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('the async snippet', () => {
  it('is the one docs/sdk.md shows (without its env and release lines)', () => {
    expect(docSnippet).toBeTruthy();
    expect(docSnippet!.split('\n')[1]!.trim()).toBe(FOVEA_STUB);
    const docs = docSnippet!
      .trimEnd()
      .split('\n')
      .filter((l) => !/^\s+(env|release):/.test(l))
      .join('\n');
    expect(asyncSnippet('https://fovea.example.com/', 'YOUR_INGEST_KEY')).toBe(docs);
  });

  it('quotes the key and endpoint so that they stay values', () => {
    const key = `k'"</script><img src=x onerror=alert(1)>&`;
    const s = asyncSnippet('https://fovea.example"><b', key);
    // nothing can close the inline script or the attribute
    expect(s.match(/<\/script>/g)).toHaveLength(2);
    expect(s).toContain('<script src="https://fovea.example&quot;&gt;&lt;b/sdk/fovea.min.js" async crossorigin="anonymous"></script>');
    const line = s.split('\n').find((l) => l.trim().startsWith('key:'))!;
    // the literal, evaluated, is the key again
    expect(new Function(`return ${line.trim().slice('key: '.length, -1)}`)()).toBe(key);
  });
});

describe('Settings → Install', () => {
  it('shows the async snippet first, filled in, with a Copy button that copies it', async () => {
    const writeText = vi.fn(async (_: string) => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const el = settings(APP);
    const [first, ...rest] = blocks(el);
    expect(first!.querySelector('.code-head span')!.textContent).toBe('Async snippet (recommended)');
    const code = first!.querySelector('pre code')!.textContent!;
    expect(code).toBe(asyncSnippet(window.location.origin, APP.ingest_key));
    // what e2e/dashboard.test.mjs reads from the first snippet of the page
    expect(code).toContain(`endpoint: '${window.location.origin}',`);
    expect(code).toContain(`key: '${APP.ingest_key}',`);
    expect(code.match(/<script src="([^"]+)"/)![1]).toBe(`${window.location.origin}/sdk/fovea.min.js`);
    expect(code).toContain(`<script src="${window.location.origin}/sdk/fovea.min.js" async`);
    // the plain script tag and npm follow
    expect(rest.map((b) => b.querySelector('.code-head span')!.textContent).slice(0, 2)).toEqual(['Script tag', 'npm']);
    expect(el.querySelector('[data-testid=async-snippet-note]')!.textContent).toContain('without blocking the page');

    const copy = first!.querySelector<HTMLButtonElement>('.code-head button')!;
    expect(copy.textContent).toBe('Copy');
    await act(async () => copy.click());
    expect(writeText).toHaveBeenCalledWith(code);
    await until(() => copy.textContent === 'Copied', 'the copy confirmation');
  });

  it('renders a hostile key as text', () => {
    const key = '</script><img id=pwned src=x>';
    const el = settings({ ...APP, ingest_key: key });
    expect(el.querySelector('#pwned')).toBeNull();
    expect(el.querySelector('img')).toBeNull();
    expect(blocks(el)[0]!.querySelector('pre code')!.textContent).toContain("key: '\\u003c/script\\u003e\\u003cimg id=pwned src=x\\u003e',");
  });
});
