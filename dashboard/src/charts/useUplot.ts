import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { readChartColors, type ChartColors } from '../lib/color';
import type { Rating } from '../lib/thresholds';
import { useTheme } from '../lib/theme';

/**
 * Mounts a uPlot chart into the returned ref, sized to the element's width and
 * re-created when `key` or the theme changes (uPlot paints with the colours
 * `make` reads, so a new theme needs a new chart). uPlot styles through the
 * CSSOM, which the server's CSP (`style-src 'self'`) allows.
 */
export function useUplot(
  make: (width: number) => uPlot.Options,
  data: uPlot.AlignedData,
  key: string,
) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { theme } = useTheme();
  useEffect(() => {
    const el = ref.current;
    if (el == null) return;
    const width = Math.max(120, el.clientWidth);
    const u = new uPlot(make(width), data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(120, el.clientWidth);
      if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height: u.height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // `make` and `data` are described by `key`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, theme]);
  return ref;
}

/** The current theme's chart colours (styles.css, `--chart-*`); read when a chart is built. */
export function chartColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  return readChartColors((name) => style.getPropertyValue(name));
}

/** What a sparkline is coloured by: the plain line, or a rating. */
export type Tone = 'line' | Rating;

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
