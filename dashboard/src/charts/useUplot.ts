import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * Mounts a uPlot chart into the returned ref, sized to the element's width and
 * re-created when `key` changes. uPlot styles through the CSSOM, which the
 * server's CSP (`style-src 'self'`) allows.
 */
export function useUplot(
  make: (width: number) => uPlot.Options,
  data: uPlot.AlignedData,
  key: string,
) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
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
  }, [key]);
  return ref;
}

export const COLORS = {
  line: '#2f5bd3',
  lineFill: 'rgba(47, 91, 211, 0.10)',
  barFill: 'rgba(47, 91, 211, 0.55)',
  grid: '#eceff3',
  axis: '#6b7280',
  good: '#0a8f5a',
  ni: '#d97a00',
  poor: '#d93b30',
  goodFill: 'rgba(10, 143, 90, 0.75)',
  niFill: 'rgba(217, 122, 0, 0.75)',
  poorFill: 'rgba(217, 59, 48, 0.75)',
} as const;

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
