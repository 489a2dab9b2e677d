import uPlot from 'uplot';
import { chartColors, FONT, useUplot } from './useUplot';
import { tooltip } from './tooltip';
import { dailySummary } from '../lib/chartText';
import { withAlpha } from '../lib/color';

export interface DailySeries {
  label: string;
  values: number[];
  /** the CSS variable it is drawn with, e.g. `--t-action` (the legend's swatch uses it too) */
  color: string;
}

const SHORT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** `2026-11-29` → `29 Nov` (the day is a UTC day: no time zone shifts it). */
function shortDay(date: string | undefined): string {
  if (date == null) return '';
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) ? SHORT.format(ms) : date;
}

/**
 * One or more series over UTC days (`YYYY-MM-DD`), x = the day's index so no
 * time zone moves a day: bars for one series, lines for several, a legend
 * under the chart and, for screen readers, the chart's summary as its label.
 */
export function DailyChart(props: { title: string; dates: string[]; series: DailySeries[]; format: (v: number) => string; height?: number }) {
  const { dates, series, format } = props;
  const xs = dates.map((_, i) => i);
  const single = series.length === 1;
  const key = `${props.title}|${dates.join(',')}|${series.map((s) => `${s.label}:${s.values.join(',')}`).join('|')}`;
  const ref = useUplot(
    (width): uPlot.Options => {
      const colors = chartColors();
      const style = getComputedStyle(document.documentElement);
      const color = (s: DailySeries) => style.getPropertyValue(s.color).trim() || colors.line;
      return {
        width,
        height: props.height ?? 200,
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        plugins: [
          tooltip(
            (_u, i) => dates[i] ?? '',
            (_u, i) => series.map((s) => ({ label: s.label, value: format(s.values[i] ?? 0), color: color(s) })),
          ),
        ],
        scales: {
          x: { time: false, range: [-0.5, Math.max(0, dates.length - 1) + 0.5] },
          y: { range: (_u, _min, max) => [0, (max ?? 0) > 0 ? max! * 1.08 : 1] },
        },
        axes: [
          {
            stroke: colors.axis,
            font: FONT,
            grid: { show: false },
            ticks: { show: false },
            space: 56,
            incrs: [1, 2, 3, 5, 7, 14, 30, 60, 90, 180, 365],
            values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? shortDay(dates[i]) : '')),
          },
          {
            stroke: colors.axis,
            font: FONT,
            size: 72,
            grid: { stroke: colors.grid, width: 1 },
            ticks: { show: false },
            values: (_u, splits) => splits.map((v) => format(v)),
          },
        ],
        series: [
          {},
          ...series.map(
            (s): uPlot.Series => ({
              label: s.label,
              stroke: color(s),
              width: single ? 0 : 2,
              fill: single ? withAlpha(color(s), 0.6) : undefined,
              points: { size: 5 },
              ...(single ? { paths: uPlot.paths.bars!({ size: [0.7, 48] }), points: { show: false } } : {}),
            }),
          ),
        ],
      };
    },
    [xs, ...series.map((s) => s.values)],
    key,
  );
  return (
    <div>
      <div class="chart" ref={ref} role="img" aria-label={dailySummary(props.title, dates, series, format)} />
      {!single && (
        <div class="rating-legend chart-legend" aria-hidden="true">
          {series.map((s) => (
            <span key={s.label} class="legend">
              <i class="dot" style={{ background: `var(${s.color})` }} />
              {s.label}
            </span>
          ))}
        </div>
      )}
    </div>
  );
}
