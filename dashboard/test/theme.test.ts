import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contrastRatio } from '../src/lib/color';
import { parseThemePref, resolveTheme } from '../src/lib/theme';

describe('parseThemePref', () => {
  it.each([
    ['light', 'light'],
    ['dark', 'dark'],
    ['system', 'system'],
    [null, 'system'],
    ['', 'system'],
    ['Dark', 'system'],
  ] as const)('%s → %s', (raw, want) => expect(parseThemePref(raw)).toBe(want));
});

describe('resolveTheme', () => {
  it('follows the system unless a theme was picked', () => {
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });
});

// ---- the palettes in styles.css -------------------------------------------------

const css = readFileSync(new URL('../src/styles.css', import.meta.url), 'utf8');

/** The custom properties of the first rule whose selector is `selector`. */
function vars(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} rule`);
  const body = css.slice(start, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

const light = vars(':root');
// the dark theme overrides some variables and inherits the rest
const THEMES = { light, dark: { ...light, ...vars(":root[data-theme='dark']") } };

/** Text colours and every background each is drawn on. */
const TEXT: [string, string[]][] = [
  ['text', ['bg', 'panel', 'panel-alt', 'subtle', 'row-hover', 'accent-weak', 'good-bg', 'ni-bg', 'poor-bg', 'error-row']],
  ['muted', ['bg', 'panel', 'panel-alt', 'subtle', 'row-hover', 'accent-weak', 'poor-bg', 'error-row']],
  ['accent', ['bg', 'panel', 'panel-alt', 'row-hover', 'error-row']],
  ['accent-strong', ['accent-weak']],
  ['good', ['panel', 'panel-alt', 'row-hover', 'good-bg']],
  ['ni', ['panel', 'panel-alt', 'row-hover', 'ni-bg']],
  ['poor', ['panel', 'panel-alt', 'row-hover', 'poor-bg', 'error-row', 'accent-weak']],
  ['on-primary', ['primary', 'primary-strong']],
  ['sidebar-text', ['sidebar', 'sidebar-active']],
  ['code-text', ['code-bg']],
  ['code-ln', ['code-bg']],
  ['on-type', ['t-view', 't-action', 't-error', 't-resource']],
  ['on-long_task', ['t-long_task', 'ni-fill']],
];

/** Non-text: the focus ring against what it is drawn on (WCAG 1.4.11, 3:1). */
const RING: [string, string[]][] = [
  ['focus', ['bg', 'panel', 'panel-alt']],
  ['sidebar-focus', ['sidebar', 'sidebar-active']],
];

describe.each(Object.entries(THEMES))('the %s palette', (_name, v) => {
  const check = (pairs: [string, string[]][], min: number) => {
    for (const [fg, bgs] of pairs) {
      for (const bg of bgs) {
        const ratio = contrastRatio(v[fg] ?? '', v[bg] ?? '');
        expect(ratio, `--${fg} ${v[fg]} on --${bg} ${v[bg]}`).toBeGreaterThanOrEqual(min);
      }
    }
  };
  it('keeps text at WCAG AA, 4.5:1', () => check(TEXT, 4.5));
  it('keeps the focus ring at 3:1', () => check(RING, 3));
});
