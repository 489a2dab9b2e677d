// A view's load as a waterfall (layout in lib/loadWaterfall.ts): the
// navigation's phases (or a route change's duration), the moments the page
// reached, the view's requests, and the LCP and INP breakdowns. The bars are
// decoration: every row says its numbers in text, and each breakdown has a
// table. URLs and names came from a browser: text only, never a link.
import { useMemo } from 'preact/hooks';
import { formatMs, formatPercent } from '../lib/format';
import { layoutLoad, MAX_LOAD_RESOURCES, type Breakdown, type MarkerRow, type PhaseRow, type ResourceRow } from '../lib/loadWaterfall';
import { ticks } from '../lib/timeline';
import type { SessionEvent } from '../lib/types';

/** A view's load; `events` are the session's (its requests are those with the view's id). */
export function PageLoad(props: { view: SessionEvent; events: readonly SessionEvent[] }) {
  const w = useMemo(() => layoutLoad(props.view, props.events), [props.view, props.events]);
  const rows = w.phases.length + w.markers.length + w.resources.length;
  return (
    <section class="page-load" aria-label="Page load" data-testid="page-load">
      <h3>Page load</h3>
      {rows === 0 ? (
        <p class="muted small">The browser measured no load timing for this view, and it made no request.</p>
      ) : (
        <>
          <div class="pl-wf">
            <Axis span={w.span} />
            <ul class="pl-rows" aria-label="Page load waterfall, times from the view's start" data-testid="page-load-rows">
              {w.phases.map((r) => (
                <BarRow key={r.key} r={r} />
              ))}
              {w.markers.map((m) => (
                <Marker key={m.key} m={m} />
              ))}
              {w.resources.map((r) => (
                <BarRow key={r.key} r={r} />
              ))}
            </ul>
            {w.markers.length > 0 && (
              <div class="pl-guides" aria-hidden="true">
                <span />
                <span class="pl-guide-track">
                  {w.markers.map((m) => (
                    <span key={m.key} class={`pl-guide ${m.key}`} style={{ left: `${m.left}%` }} />
                  ))}
                </span>
              </div>
            )}
          </div>
          <p class="muted small" data-testid="page-load-note">
            {w.routeChange
              ? 'A route change: no navigation phases, its duration runs until the page settled and painted. '
              : 'Navigation phases end to end from the navigation’s start; moments in ms since then. '}
            {w.resourceCount === 0
              ? 'No request of this view.'
              : w.resourceCount > w.resources.length
                ? `Showing the first ${MAX_LOAD_RESOURCES} of ${w.resourceCount} requests of this view, by start time.`
                : `${w.resourceCount} ${w.resourceCount === 1 ? 'request' : 'requests'} of this view, by start time.`}
          </p>
        </>
      )}
      {(w.lcp != null || w.inp != null) && (
        <div class="pl-breakdowns">
          {w.lcp != null && <BreakdownChart metric="LCP" b={w.lcp} testid="lcp-breakdown" />}
          {w.inp != null && <BreakdownChart metric="INP" b={w.inp} testid="inp-breakdown" />}
        </div>
      )}
    </section>
  );
}

/** A time from the view's start: `+120 ms` (a request the browser started just before the view: `−3 ms`). */
function at(ms: number): string {
  return ms < 0 ? `−${formatMs(-ms)}` : `+${formatMs(ms)}`;
}

function Axis(props: { span: number }) {
  return (
    <div class="pl-axis" aria-hidden="true">
      <span />
      <span class="pl-track">
        {ticks(props.span).map((t) => (
          <span key={t} class="tl-tick" style={{ left: `${(t / props.span) * 100}%` }}>
            {t === 0 ? '0' : formatMs(t)}
          </span>
        ))}
      </span>
    </div>
  );
}

function BarRow(props: { r: PhaseRow | ResourceRow }) {
  const { r } = props;
  const failed = r.kind === 'resource' && r.problem != null;
  return (
    <li class={`pl-row ${r.kind} ${failed ? 'failed' : ''}`} data-testid="page-load-row">
      <span class="pl-label">
        {r.kind === 'resource' && r.type != null && <span class="pl-type">{r.type} </span>}
        <span class="pl-name" title={r.kind === 'resource' ? (r.url ?? undefined) : undefined}>
          {r.kind === 'resource' ? r.name : r.label}
        </span>
        {failed && (
          <>
            {' '}
            <span class="badge poor">error</span> <span class="pl-problem">{r.problem}</span>
          </>
        )}
      </span>
      <span class="pl-track" aria-hidden="true">
        <span class={`pl-bar ${r.kind} ${r.kind === 'phase' ? r.key : ''} ${failed ? 'failed' : ''}`} style={{ left: `${r.left}%`, width: `${r.width}%` }} />
      </span>
      <span class="pl-at mono">
        <span class="visually-hidden">starts at </span>
        {at(r.offset)}
      </span>
      <span class="pl-dur mono">
        <span class="visually-hidden">, lasts </span>
        {formatMs(r.duration)}
      </span>
    </li>
  );
}

function Marker(props: { m: MarkerRow }) {
  const { m } = props;
  return (
    <li class={`pl-row marker ${m.key}`} data-testid="page-load-row">
      <span class="pl-label">
        <span class="pl-name">{m.label}</span>
      </span>
      <span class="pl-track" aria-hidden="true">
        <span class={`pl-mark ${m.key}`} style={{ left: `${m.left}%` }} />
      </span>
      <span class="pl-at mono">
        <span class="visually-hidden">at </span>
        {at(m.offset)}
      </span>
      <span class="pl-dur" />
    </li>
  );
}

/** A metric's parts as one stacked bar, with a table of the numbers (the bar's text alternative). */
function BreakdownChart(props: { metric: 'LCP' | 'INP'; b: Breakdown; testid: string }) {
  const { metric, b } = props;
  const title = `${metric} breakdown`;
  // the parts add up to the metric; say so when the browser's numbers do not
  const off = b.value != null && Math.abs(b.value - b.total) >= 1;
  return (
    <div class="pl-breakdown" data-testid={props.testid}>
      <h4>
        {title}{' '}
        <span class="muted small">
          {metric} {formatMs(b.value ?? b.total)}
          {off ? ` · its parts add up to ${formatMs(b.total)}` : ''}
        </span>
      </h4>
      <div class="pl-stack" aria-hidden="true">
        {b.parts.map((p, i) => (
          <span key={p.key} class={`pl-seg s${i}`} style={{ left: `${p.left}%`, width: `${p.width}%` }} />
        ))}
      </div>
      <table class="table pl-legend">
        <caption class="visually-hidden">{title}</caption>
        <thead>
          <tr>
            <th scope="col">Part</th>
            <th scope="col" class="num">
              Time
            </th>
            <th scope="col" class="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {b.parts.map((p, i) => (
            <tr key={p.key}>
              <th scope="row">
                <i class={`pl-swatch s${i}`} aria-hidden="true" />
                {p.label}
              </th>
              <td class="num mono">{formatMs(p.duration)}</td>
              <td class="num mono">{b.total > 0 ? formatPercent(p.duration / b.total) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
