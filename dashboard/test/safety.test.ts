// Banned APIs, with the reason: every string the dashboard shows may come
// from a browser on the internet, and the server's CSP allows no inline code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(p) ? [p] : [];
  });
}

const BANNED: [RegExp, string][] = [
  [/dangerouslySetInnerHTML/, 'renders data as HTML: use JSX text'],
  [/\.innerHTML\b|\.outerHTML\b|insertAdjacentHTML/, 'parses data as HTML: use textContent or JSX'],
  [/document\.write/, 'parses data as HTML'],
  [/\beval\s*\(|new Function\s*\(/, "runs strings as code; CSP has no 'unsafe-eval'"],
  [/setAttribute\(\s*['"]style['"]/, "an inline style attribute; CSP has no 'unsafe-inline' (use element.style.x)"],
  [/setAttribute\(\s*['"]on/, 'an inline event handler'],
];

describe('source', () => {
  const sources = files(join(root, 'src'));
  it('has sources to check', () => expect(sources.length).toBeGreaterThan(20));
  for (const [re, why] of BANNED) {
    it(`never uses ${re.source} (${why})`, () => {
      const hits = sources.filter((f) => re.test(readFileSync(f, 'utf8')));
      expect(hits).toEqual([]);
    });
  }
  it('builds every href from data through safeHref or an in-app route', () => {
    // <a href={...}> in pages only appears in Link (in-app paths) and ExternalUrl (safeHref)
    const raw = sources.filter((f) => !f.endsWith('Link.tsx') && /<a\s[^>]*href=\{/.test(readFileSync(f, 'utf8')));
    expect(raw).toEqual([]);
  });
});

describe('index.html', () => {
  const html = readFileSync(join(root, 'index.html'), 'utf8');
  it('has no inline script, style block or style attribute (CSP)', () => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });
});
