import { useEffect, useMemo, useState } from 'preact/hooks';
import { Layout } from '../components/Layout';
import { ExternalUrl, Link } from '../components/Link';
import { PageLoad } from '../components/PageLoad';
import { NoReplay, ReplayPanel } from '../components/ReplayPlayer';
import { Async, Empty } from '../components/States';
import { eventDuration, eventFacts, eventTitle, str, TYPE_LABEL } from '../lib/events';
import { usePage, useHref } from '../lib/context';
import { useApi } from '../lib/useApi';
import { formatDateTime, formatDuration, formatCount, formatMs, formatOffset } from '../lib/format';
import { currentIndex, parseSeek } from '../lib/replay';
import { layoutTimeline, ticks, type Placed } from '../lib/timeline';
import type { SessionAnswer, SessionEvent } from '../lib/types';
import { routePath, safeHref } from '../lib/url';

const TYPES = ['view', 'action', 'error', 'resource', 'long_task'] as const;
const MAX_ROWS = 400;

export function SessionPage(props: { id: string }) {
  const { app, loc } = usePage();
  const href = useHref();
  const q = useApi<SessionAnswer>(app ? `/apps/${encodeURIComponent(app.id)}/sessions/${encodeURIComponent(props.id)}` : null, loc.epoch);
  return (
    <Layout
      timeless
      title={
        <>
          <Link href={href('sessions')} class="crumb">
            Sessions
          </Link>
          <span class="crumb-sep">/</span> Session
        </>
      }
    >
      <Async q={q} what="this session" rows={6}>
        {(a) => <SessionBody a={a} />}
      </Async>
    </Layout>
  );
}

function SessionBody(props: { a: SessionAnswer }) {
  const { session: s, events } = props.a;
  const { params, app } = usePage();
  const focusView = params.get('view');
  const seek = parseSeek(params);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  // a link to one view (`?view=`) opens that view's row, so its page load shows
  const [open, setOpen] = useState<ReadonlySet<string>>(
    () => new Set(focusView == null ? [] : events.filter((e) => e.type === 'view' && e.view_id === focusView).map((e) => e.event_id)),
  );
  const [all, setAll] = useState(false);
  const sorted = useMemo(() => [...events].sort((x, y) => x.ts - y.ts), [events]);
  const times = useMemo(() => sorted.map((e) => e.ts), [sorted]);
  // The event at the replay's playhead; changes only when the playhead passes an event.
  const [atPlayhead, setAtPlayhead] = useState<string | null>(null);
  const onTime = (t: number) => setAtPlayhead(sorted[currentIndex(times, t)]?.event_id ?? null);
  const layout = useMemo(() => layoutTimeline(sorted, eventDuration, { start: s.start, end: s.end }), [sorted, s.start, s.end]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const e of sorted) c[e.type] = (c[e.type] ?? 0) + 1;
    return c;
  }, [sorted]);
  const shown = layout.placed.filter((p) => !hidden.has(p.event.type));
  const rows = all ? shown : shown.slice(0, MAX_ROWS);
  useEffect(() => {
    if (focusView == null) return;
    document.querySelector('.tl-row.focus')?.scrollIntoView({ block: 'center' });
  }, [focusView]);
  const toggle = (t: string) => {
    const next = new Set(hidden);
    if (next.has(t)) next.delete(t);
    else next.add(t);
    setHidden(next);
  };
  return (
    <>
      <section class="panel session-head">
        <div class="stats">
          <Fact label="User" value={s.user_id ?? 'anonymous'} />
          <Fact label="Started" value={formatDateTime(s.start)} />
          <Fact label="Duration" value={formatDuration(s.end - s.start)} />
          <Fact label="Browser" value={[s.browser, s.os].filter(Boolean).join(' · ') || '—'} />
          <Fact label="Device" value={s.device ?? '—'} />
          <Fact label="Country" value={s.country ?? '—'} />
          <Fact label="Views" value={formatCount(s.views)} />
          <Fact label="Actions" value={formatCount(s.actions)} />
          <Fact label="Errors" value={formatCount(s.errors)} tone={s.errors > 0 ? 'poor' : undefined} />
          <Fact label="Frustration" value={formatCount(s.frustrations)} tone={s.frustrations > 0 ? 'ni' : undefined} />
        </div>
        <div class="muted small mono inline-links">
          Session {s.id}
          {s.first_url && (
            <>
              {' · entered at '}
              <ExternalUrl url={s.first_url} safe={safeHref(s.first_url)} />
            </>
          )}
        </div>
      </section>

      {s.has_replay && app ? (
        <ReplayPanel app={app.id} session={s.id} events={sorted} seek={seek} onTime={onTime} />
      ) : (
        <section class="panel replay" aria-label="Session replay">
          <NoReplay />
        </section>
      )}

      <section class="panel">
        <div class="panel-head">
          <h2>Timeline</h2>
          <div class="type-toggles" role="group" aria-label="Event types">
            {TYPES.map((t) => (
              <button key={t} type="button" class={`type-toggle ${t} ${hidden.has(t) ? 'off' : ''}`} aria-pressed={!hidden.has(t)} onClick={() => toggle(t)} disabled={!counts[t]}>
                <i class={`dot ${t}`} />
                {TYPE_LABEL[t]} <span class="muted">{counts[t] ?? 0}</span>
              </button>
            ))}
          </div>
        </div>
        {sorted.length === 0 ? (
          <Empty title="This session has no events" />
        ) : (
          <>
            <Overview placed={layout.placed.filter((p) => !hidden.has(p.event.type))} span={layout.span} />
            <div class="waterfall" role="list" data-testid="timeline">
              {rows.map((p) => (
                <Row
                  key={p.event.event_id}
                  p={p}
                  events={sorted}
                  open={open.has(p.event.event_id)}
                  focus={focusView != null && p.event.view_id === focusView}
                  current={p.event.event_id === atPlayhead}
                  onToggle={() => {
                    const next = new Set(open);
                    if (!next.delete(p.event.event_id)) next.add(p.event.event_id);
                    setOpen(next);
                  }}
                />
              ))}
            </div>
            {rows.length < shown.length && (
              <div class="load-more">
                <button type="button" class="btn" onClick={() => setAll(true)}>
                  Show all {formatCount(shown.length)} events
                </button>
              </div>
            )}
          </>
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

/** Lanes per event type across the whole session, with a time axis. */
function Overview(props: { placed: Placed<SessionEvent>[]; span: number }) {
  const lanes = TYPES.filter((t) => props.placed.some((p) => p.event.type === t));
  return (
    <div class="tl-overview" aria-hidden="true">
      {lanes.map((t) => (
        <div key={t} class="tl-lane">
          <span class="tl-lane-label">{TYPE_LABEL[t]}</span>
          <div class="tl-lane-track">
            {props.placed
              .filter((p) => p.event.type === t)
              .map((p) => (
                <span key={p.event.event_id} class={`tl-mark ${t}`} style={{ left: `${p.left}%`, width: p.width > 0.4 ? `${p.width}%` : undefined }} />
              ))}
          </div>
        </div>
      ))}
      <div class="tl-lane tl-axis">
        <span class="tl-lane-label" />
        <div class="tl-lane-track">
          {ticks(props.span).map((t) => (
            <span key={t} class="tl-tick" style={{ left: `${(t / props.span) * 100}%` }}>
              {t === 0 ? '0' : formatMs(t)}
            </span>
          ))}
        </div>
      </div>
    </div>
  );
}

function Row(props: { p: Placed<SessionEvent>; events: readonly SessionEvent[]; open: boolean; focus: boolean; current: boolean; onToggle: () => void }) {
  const { p } = props;
  const e = p.event;
  const facts = eventFacts(e);
  if (traceOf(e) != null) facts.push('traced');
  const failed = e.type === 'resource' && typeof e.status === 'number' && (e.status >= 400 || e.status === 0);
  return (
    <div class={`tl-row ${e.type} ${props.open ? 'open' : ''} ${props.focus ? 'focus' : ''} ${props.current ? 'current' : ''} ${failed ? 'failed' : ''}`} role="listitem" aria-current={props.current ? 'true' : undefined}>
      <button type="button" class="tl-row-main" aria-expanded={props.open} onClick={props.onToggle}>
        <span class="tl-offset mono">{formatOffset(p.offset)}</span>
        <span class={`type-badge ${e.type}`}>{TYPE_LABEL[e.type] ?? e.type}</span>
        <span class="tl-text">
          <span class="tl-title">{eventTitle(e)}</span>
          {facts.length > 0 && <span class="tl-facts">{facts.join(' · ')}</span>}
        </span>
        <span class="tl-track">
          <span class={`tl-bar ${e.type}`} style={{ left: `${p.left}%`, width: p.width > 0.3 ? `${p.width}%` : undefined }} />
        </span>
      </button>
      {props.open && e.type === 'view' && <PageLoad view={e} events={props.events} />}
      {props.open && <Details e={e} />}
    </div>
  );
}

const HIDDEN_FIELDS = new Set(['app']);
/** Events the trace page shows: requests, page loads (Server-Timing) and network errors. */
const TRACED_TYPES = new Set(['resource', 'view', 'error']);

function traceOf(e: SessionEvent): string | null {
  return TRACED_TYPES.has(e.type) && typeof e.trace_id === 'string' && e.trace_id !== '' ? e.trace_id : null;
}

function Details(props: { e: SessionEvent }) {
  const { app } = usePage();
  const fingerprint = typeof props.e.fingerprint === 'string' ? props.e.fingerprint : null;
  const trace = traceOf(props.e);
  const entries = Object.entries(props.e).filter(([k, v]) => v != null && v !== '' && !HIDDEN_FIELDS.has(k));
  return (
    <dl class="tl-details">
      {props.e.type === 'error' && fingerprint && app && (
        <div>
          <dt>issue</dt>
          <dd>
            <Link href={routePath({ page: 'issue', app: app.id, fingerprint })}>Open the issue →</Link>
          </dd>
        </div>
      )}
      {trace && app && (
        <div>
          <dt>trace</dt>
          <dd>
            <Link href={routePath({ page: 'trace', app: app.id, trace_id: trace })} data-testid="timeline-trace">
              Open the trace →
            </Link>
          </dd>
        </div>
      )}
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>
            {k === 'ts' && typeof v === 'number'
              ? `${formatDateTime(v)} (${v})`
              : (k === 'url' || k === 'resource_url' || k === 'lcp_resource_url') && typeof v === 'string'
                ? <ExternalUrl url={v} safe={safeHref(v)} />
                : typeof v === 'object'
                  ? JSON.stringify(v)
                  : (str(v) ?? String(v))}
          </dd>
        </div>
      ))}
    </dl>
  );
}
