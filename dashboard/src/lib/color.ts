// Colour arithmetic for the themes: WCAG contrast (the palette's test checks
// every text pair with it) and the chart colours, which uPlot needs as
// strings while the palette lives in CSS variables.

/** `#rgb` or `#rrggbb` as [r, g, b] in 0..255; null for anything else. */
export function parseHex(color: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim());
  if (m == null) return null;
  const h = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2 relative luminance of an sRGB colour. */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The WCAG contrast ratio of two hex colours (1 to 21); NaN when one is not a hex colour. */
export function contrastRatio(a: string, b: string): number {
  const x = parseHex(a);
  const y = parseHex(b);
  if (x == null || y == null) return Number.NaN;
  const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A hex colour with an alpha, as `rgba()`; any other colour is returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const rgb = parseHex(color);
  return rgb == null ? color : `rgba(${rgb.join(', ')}, ${alpha})`;
}

export interface ChartColors {
  line: string;
  lineFill: string;
  barFill: string;
  grid: string;
  axis: string;
  good: string;
  ni: string;
  poor: string;
  goodFill: string;
  niFill: string;
  poorFill: string;
}

/** The light theme's, for when the stylesheet is not there (tests, a failed load). */
const FALLBACK = { line: '#2f5bd3', grid: '#eceff3', axis: '#6b7280', good: '#0a8f5a', ni: '#d97a00', poor: '#d93b30' };

/**
 * The charts' colours from the theme's `--chart-*` variables, read through
 * `css` (getComputedStyle in the page), the fills derived from the lines.
 */
export function readChartColors(css: (name: string) => string): ChartColors {
  const v = (name: keyof typeof FALLBACK) => css(`--chart-${name}`).trim() || FALLBACK[name];
  const [line, good, ni, poor] = [v('line'), v('good'), v('ni'), v('poor')];
  return {
    line,
    lineFill: withAlpha(line, 0.1),
    barFill: withAlpha(line, 0.55),
    grid: v('grid'),
    axis: v('axis'),
    good,
    ni,
    poor,
    goodFill: withAlpha(good, 0.75),
    niFill: withAlpha(ni, 0.75),
    poorFill: withAlpha(poor, 0.75),
  };
}
