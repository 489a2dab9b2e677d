// Light or dark: the system's preference unless the user picked one, kept in
// localStorage. The theme is `data-theme` on <html>, which styles.css keys
// its palette on; charts subscribe, since uPlot paints with fixed colours.
import { useEffect, useState } from 'preact/hooks';

export const THEME_KEY = 'fovea_theme';

export type Theme = 'light' | 'dark';
export type ThemePref = 'system' | Theme;

export const THEME_PREFS: readonly ThemePref[] = ['system', 'light', 'dark'];
export const THEME_LABEL: Readonly<Record<ThemePref, string>> = { system: 'System', light: 'Light', dark: 'Dark' };

/** A stored preference; anything unknown (or nothing) follows the system. */
export function parseThemePref(raw: string | null | undefined): ThemePref {
  return raw === 'light' || raw === 'dark' ? raw : 'system';
}

export function resolveTheme(pref: ThemePref, systemDark: boolean): Theme {
  return pref === 'system' ? (systemDark ? 'dark' : 'light') : pref;
}

// ---- the page's theme ---------------------------------------------------------

const DARK = '(prefers-color-scheme: dark)';
let pref: ThemePref = 'system';
const listeners = new Set<() => void>();

function systemDark(): boolean {
  return typeof matchMedia === 'function' && matchMedia(DARK).matches;
}

function apply(): void {
  document.documentElement.dataset.theme = resolveTheme(pref, systemDark());
  for (const l of listeners) l();
}

/** Sets the theme from storage and the system, then follows both. Runs before the first render. */
export function initTheme(): void {
  try {
    pref = parseThemePref(localStorage.getItem(THEME_KEY));
  } catch {
    pref = 'system'; // storage blocked: follow the system
  }
  apply();
  if (typeof matchMedia === 'function') {
    matchMedia(DARK).addEventListener('change', () => {
      if (pref === 'system') apply();
    });
  }
  // another tab of the dashboard switched
  window.addEventListener('storage', (e) => {
    if (e.key !== THEME_KEY) return;
    pref = parseThemePref(e.newValue);
    apply();
  });
}

export function setThemePref(next: ThemePref): void {
  pref = next;
  try {
    if (next === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, next);
  } catch {
    // storage blocked: the choice holds for this page only
  }
  apply();
}

export function currentTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

/** The preference and the theme in effect; re-renders the caller when either changes. */
export function useTheme(): { pref: ThemePref; theme: Theme } {
  const [, bump] = useState(0);
  useEffect(() => {
    const l = () => bump((n) => n + 1);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return { pref, theme: currentTheme() };
}
