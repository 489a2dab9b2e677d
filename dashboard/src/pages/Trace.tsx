// One trace, end to end: the browser's request (or page load) and the backend
// spans under it on one time axis (layout in lib/waterfall.ts). Span names,
// services, messages and attributes come from a backend, event fields from a
// browser: all of it is rendered as text.
import { useMemo, useState } from 'preact/hooks';
import { Layout } from '../components/Layout';
import { ExternalLink, ExternalUrl, Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { ApiError } from '../lib/api';
import { usePage, useHref } from '../lib/context';
import { num, str } from '../lib/events';
import { formatCount, formatDateTime, formatFineMs, formatOffset } from '../lib/format';
import { ticks } from '../lib/timeline';
import type { TraceAnswer } from '../lib/types';
import { useApi } from '../lib/useApi';
import { routePath, safeHref } from '../lib/url';
import { attrEntries, attrText, layoutWaterfall, traceSessions, type BrowserRow, type SpanRow, type WaterfallRow } from '../lib/waterfall';

/** Deeper levels stop indenting further: the name column stays readable. */
const MAX_INDENT = 12;

const BROWSER_KIND: Record<BrowserRow['browser'], string> = {
  request: 'browser request (fetch/xhr)',
  'page-load': 'page load',
  'network-error': 'network error',
  event: 'browser event',
};

export function TracePage(props: { traceId: string }) {
  const { app, loc } = usePage();
  const href = useHref();
  const q = useApi<TraceAnswer>(app ? `/apps/${encodeURIComponent(app.id)}/traces/${encodeURIComponent(props.traceId)}` : null, loc.epoch);
  const missing = q.error instanceof ApiError && q.error.status === 404;
  return (
    <Layout
      timeless
      title={
        <>
          <Link href={href('services')} class="crumb">
            Services
          </Link>
          <span class="crumb-sep">/</span> Trace
        </>
      }
    >
      {missing ? (
        <section class="panel">
          <Empty title="No such trace">
            Neither a backend span nor a browser event carries the trace id <code>{props.traceId}</code>. Its data may be
            older than the app's retention, or the backend has not sent its spans yet.
          </Empty>
        </section>
      ) : (
        <Async q={q} what="this trace" rows={6}>
          {(a) => <TraceBody a={a} />}
        </Async>
      )}
    </Layout>
  );
}

function TraceBody(props: { a: TraceAnswer }) {
  const { a } = props;
  const { app } = usePage();
  const w = useMemo(() => layoutWaterfall(a.spans, a.rum), [a]);
  const [open, setOpen] = useState<string | null>(null);
  const services = useMemo(() => [...new Set(a.spans.map((s) => s.service))], [a.spans]);
  const failed = w.rows.filter((r) => r.problem != null).length;
  const sessions = traceSessions(a.rum);
  const link = safeHref(a.link);
  return (
    <>
      <section class="panel trace-head">
        <div class="stats">
          <Fact label="Started" value={w.rows.length > 0 ? formatDateTime(w.start) : '—'} />
          <Fact label="Duration" value={formatFineMs(w.end - w.start)} />
          <Fact label="Spans" value={formatCount(a.spans.length)} />
          <Fact label="Services" value={formatCount(services.length)} />
          <Fact label="Browser events" value={formatCount(a.rum.length)} />
          <Fact label="Errors" value={formatCount(failed)} tone={failed > 0 ? 'poor' : undefined} />
        </div>
        <div class="muted small mono" data-testid="trace-id">
          Trace {a.trace_id}
        </div>
        {(link != null || (app && sessions.length > 0)) && (
          <div class="trace-links">
            {link != null && (
              <ExternalLink href={link} class="btn small" data-testid="trace-link">
                Open in your tracing tool ↗
              </ExternalLink>
            )}
            {app &&
              sessions.map((id) => (
                <Link key={id} href={routePath({ page: 'session', app: app.id, id })} class="btn small" data-testid="trace-session">
                  Session <span class="mono">{id.length > 12 ? `${id.slice(0, 12)}…` : id}</span>
                </Link>
              ))}
          </div>
        )}
      </section>

      <section class="panel">
        <div class="panel-head">
          <h2>
            Waterfall <span class="muted small">browser first, then the backend spans it caused; select a row for its details</span>
          </h2>
        </div>
        {w.rows.length === 0 ? (
          <Empty title="This trace has no spans" />
        ) : (
          <div class="trace-wf">
            <Axis span={w.end - w.start} />
            <ul class="trace-rows" data-testid="trace-waterfall">
              {w.rows.map((r) => (
                <TraceRow key={r.key} r={r} open={open === r.key} onToggle={() => setOpen(open === r.key ? null : r.key)} />
              ))}
            </ul>
          </div>
        )}
        {a.spans.length === 0 && a.rum.length > 0 && (
          <p class="muted small" data-testid="no-spans">
            No backend span arrived for this trace: the backend is not connected, or it does not export this request's spans.
            Connect a backend with OpenTelemetry (docs/tracing.md).
          </p>
        )}
      </section>
    </>
  );
}

function Fact(props: { label: string; value: string; tone?: string | undefined }) {
  return (
    <div class="stat">
      <div class="stat-label">{props.label}</div>
      <div class={`stat-value ${props.tone ?? ''}`}>{props.value}</div>
    </div>
  );
}

/** The time axis above the bars, in the bars' column. */
function Axis(props: { span: number }) {
  const marks = props.span >= 5 ? ticks(props.span) : [0];
  return (
    <div class="wf-axis" aria-hidden="true">
      <span />
      <span class="wf-track">
        {marks.map((t) => (
          <span key={t} class="tl-tick" style={{ left: `${(t / Math.max(props.span, 0.001)) * 100}%` }}>
            {t === 0 ? '0' : formatFineMs(t)}
          </span>
        ))}
      </span>
      <span />
    </div>
  );
}

function TraceRow(props: { r: WaterfallRow; open: boolean; onToggle: () => void }) {
  const { r } = props;
  const detailsId = `wf-details-${r.key.replace(/[^\w-]/g, '-')}`;
  const bar = r.kind === 'browser' ? `browser ${r.browser}` : 'span';
  const instant = r.kind === 'browser' && r.browser === 'network-error';
  return (
    <li class={`wf-row ${r.kind} ${r.problem != null ? 'failed' : ''} ${props.open ? 'open' : ''}`} data-testid="trace-row">
      <button type="button" class="wf-main" aria-expanded={props.open} aria-controls={props.open ? detailsId : undefined} onClick={props.onToggle}>
        <span class="wf-label">
          <span class="wf-indent" style={{ width: `${Math.min(r.depth, MAX_INDENT) * 14}px` }} />
          {r.depth > 0 && <span class="visually-hidden">Level {r.depth + 1}: </span>}
          <span class="wf-service">{r.service}</span>
          <span class="wf-sep">{' · '}</span>
          <span class="wf-name">{r.name}</span>
          {r.problem != null && (
            <>
              {' '}
              <span class="badge poor wf-error">error</span> <span class="wf-problem">{r.problem}</span>
            </>
          )}
        </span>
        <span class="wf-track" aria-hidden="true">
          <span class={`wf-bar ${bar} ${r.problem != null ? 'failed' : ''}`} style={{ left: `${r.left}%`, width: instant ? undefined : `${r.width}%` }} />
        </span>
        <span class="wf-dur mono">{instant ? `at ${formatOffset(r.offset)}` : formatFineMs(r.duration)}</span>
      </button>
      {props.open && (
        <div class="wf-details" id={detailsId} data-testid="trace-details">
          {r.kind === 'span' ? <SpanDetails r={r} /> : <BrowserDetails r={r} />}
        </div>
      )}
    </li>
  );
}

function When(props: { r: WaterfallRow }) {
  return (
    <>
      <dt>start</dt>
      <dd>
        {formatDateTime(props.r.start)} ({formatOffset(props.r.offset)})
      </dd>
      <dt>duration</dt>
      <dd>{formatFineMs(props.r.duration)}</dd>
    </>
  );
}

function SpanDetails(props: { r: SpanRow }) {
  const s = props.r.span;
  return (
    <>
      <dl class="kv wf-facts">
        <dt>service</dt>
        <dd>{props.r.service}</dd>
        <dt>kind</dt>
        <dd>{s.kind}</dd>
        <dt>status</dt>
        <dd>
          {s.status === 'error' ? <span class="badge poor">error</span> : s.status}
          {s.status_message ? ` ${s.status_message}` : ''}
        </dd>
        <When r={props.r} />
        <dt>span id</dt>
        <dd class="mono">{s.span_id}</dd>
        <dt>parent span id</dt>
        <dd class="mono">{s.parent_span_id ?? '—'}</dd>
      </dl>
      <KvTable title="Attributes" entries={attrEntries(s.attributes)} />
      <KvTable title="Resource attributes" entries={attrEntries(s.resource)} />
    </>
  );
}

const HIDDEN_FIELDS = new Set(['app']);
const URL_FIELDS = new Set(['url', 'resource_url', 'lcp_resource_url']);

function BrowserDetails(props: { r: BrowserRow }) {
  const { app } = usePage();
  const e = props.r.event;
  const session = str(e.session_id);
  const view = str(e.view_id);
  const status = num(e.status);
  const fields = Object.entries(e)
    .filter(([k, v]) => v != null && v !== '' && !HIDDEN_FIELDS.has(k))
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return (
    <>
      <dl class="kv wf-facts">
        <dt>kind</dt>
        <dd>{BROWSER_KIND[props.r.browser]}</dd>
        <dt>status</dt>
        <dd>
          {props.r.problem != null && <span class="badge poor">error</span>}
          {props.r.problem != null ? ` ${props.r.problem}` : status != null ? `HTTP ${status}` : '—'}
        </dd>
        <When r={props.r} />
        <dt>span id</dt>
        <dd class="mono">{props.r.spanId ?? '—'}</dd>
        {session != null && app && (
          <>
            <dt>session</dt>
            <dd>
              <Link href={routePath({ page: 'session', app: app.id, id: session }) + (view ? `?view=${encodeURIComponent(view)}` : '')}>
                Open the session →
              </Link>
            </dd>
          </>
        )}
      </dl>
      <h3>Event fields</h3>
      <table class="table kv-table" aria-label="Event fields">
        <tbody>
          {fields.map(([k, v]) => (
            <tr key={k}>
              <th scope="row">{k}</th>
              <td>
                {URL_FIELDS.has(k) && typeof v === 'string' ? (
                  <ExternalUrl url={v} safe={safeHref(v)} />
                ) : k === 'ts' && typeof v === 'number' ? (
                  `${formatDateTime(v)} (${v})`
                ) : (
                  attrText(v)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function KvTable(props: { title: string; entries: [string, string][] }) {
  return (
    <>
      <h3>{props.title}</h3>
      {props.entries.length === 0 ? (
        <p class="muted small">None</p>
      ) : (
        <table class="table kv-table" aria-label={props.title}>
          <tbody>
            {props.entries.map(([k, v], i) => (
              <tr key={`${i} ${k}`}>
                <th scope="row">{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
