import type { ComponentChildren } from 'preact';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { RatingBar } from '../components/RatingBar';
import { Async, Empty } from '../components/States';
import { Setup } from '../components/Setup';
import { VitalValue } from '../components/VitalCell';
import { Sparkline } from '../charts/Sparkline';
import { TimeChart } from '../charts/TimeChart';
import { usePage, useAppApi, useHref } from '../lib/context';
import { formatCompact, formatCount, formatHighShare, formatPercent } from '../lib/format';
import { CARD_METRICS, METRIC_NAME, METRIC_SHORT, rate, rateCrashFree, type Metric, type Rating } from '../lib/thresholds';
import type { Shares, Summary, TimeseriesAnswer, VitalsAnswer } from '../lib/types';
import type { Query } from '../lib/useApi';

export function OverviewPage() {
  const { app } = usePage();
  const summary = useAppApi<Summary>('summary');
  return (
    <Layout title={app?.name ?? 'Overview'}>
      <Async q={summary} what="the overview" rows={4}>
        {(s) => (s.views === 0 && s.sessions === 0 && s.errors === 0 ? <NoData /> : <Dashboard summary={s} />)}
      </Async>
    </Layout>
  );
}

function NoData() {
  const { app } = usePage();
  const href = useHref();
  return (
    <div class="panel">
      <Empty title="No data in this time range">
        Widen the time range above, or, if this app is new, install the SDK on your site:
      </Empty>
      {app && <Setup app={app} />}
      <p class="muted">
        Change allowed origins, sampling and retention in <Link href={href('settings')}>settings</Link>.
      </p>
    </div>
  );
}

function Dashboard(props: { summary: Summary }) {
  const s = props.summary;
  const href = useHref();
  const { window } = usePage();
  const views = useAppApi<TimeseriesAnswer>('timeseries', { metric: 'views' });
  return (
    <>
      <section class="cards vitals-cards" aria-label="Web vitals (p75)">
        {CARD_METRICS.map((m) => (
          <VitalCard key={m} metric={m} shares={s.vitals[m]} />
        ))}
      </section>
      <section class="cards count-cards" aria-label="Traffic">
        <CountCard label="Page views" value={formatCompact(s.views)} raw={s.views} href={href('sessions')} testid="views" />
        <CountCard label="Sessions" value={formatCompact(s.sessions)} raw={s.sessions} href={href('sessions')} testid="sessions" />
        <CountCard label="Errors" value={formatCompact(s.errors)} raw={s.errors} href={href('errors')} testid="errors" />
        <CountCard
          label="Error rate"
          hint="views with an error"
          value={formatPercent(s.error_rate)}
          raw={s.error_rate}
          href={href('sessions', { has_errors: 'true' })}
          testid="error-rate"
          tone={s.error_rate > 0.05 ? 'poor' : s.error_rate > 0.01 ? 'ni' : 'good'}
        />
        <CrashFreeCard share={s.crash_free_sessions} />
      </section>
      <div class="grid two">
        <section class="panel">
          <h2>Page views</h2>
          <Async q={views} what="page views over time">
            {(ts) => <TimeChart window={window} points={ts.points} label="Page views" format={formatCount} bars integer height={200} />}
          </Async>
        </section>
        <ErrorsOverTime />
      </div>
      <TopPages />
    </>
  );
}

function ErrorsOverTime() {
  const errors = useAppApi<TimeseriesAnswer>('timeseries', { metric: 'errors' });
  const href = useHref();
  const { window } = usePage();
  return (
    <section class="panel">
      <h2>
        Errors <Link href={href('errors')} class="h-link">all issues →</Link>
      </h2>
      <Async q={errors} what="errors over time">
        {(ts) => <TimeChart window={window} points={ts.points} label="Errors" format={formatCount} bars integer height={200} />}
      </Async>
    </section>
  );
}

function VitalCard(props: { metric: Metric; shares: Shares | undefined }) {
  const { metric, shares } = props;
  const href = useHref();
  const trend = useAppApi<TimeseriesAnswer>('timeseries', { metric, p: 75 });
  const r = rate(metric, shares?.value);
  return (
    <Link href={href('vitals', { metric })} class={`card vital-card ${r ?? 'none'}`} data-testid={`card-${metric}`}>
      <div class="card-head">
        <span class="card-title">{METRIC_SHORT[metric]}</span>
        <span class="card-sub">{METRIC_NAME[metric]}</span>
      </div>
      <div class="card-value">
        <VitalValue metric={metric} value={shares?.value} />
      </div>
      <div class="card-meta">p75 · {formatCount(shares?.count ?? 0)} views</div>
      {shares && shares.count > 0 ? <RatingBar good={shares.good} ni={shares.ni} poor={shares.poor} /> : <div class="rating-empty">no measurements</div>}
      <CardTrend q={trend} label={`${METRIC_SHORT[metric]} p75 trend`} rating={r} />
    </Link>
  );
}

function CrashFreeCard(props: { share: number }) {
  const href = useHref();
  const trend = useAppApi<TimeseriesAnswer>('timeseries', { metric: 'crash_free' });
  const r = rateCrashFree(props.share);
  return (
    <CountCard
      label="Crash-free sessions"
      hint="sessions without an unhandled error"
      value={formatHighShare(props.share)}
      raw={props.share}
      href={href('sessions', { has_errors: 'true' })}
      testid="crash-free"
      tone={r ?? undefined}
    >
      <CardTrend q={trend} label="Crash-free sessions trend" rating={r} />
    </CountCard>
  );
}

/** A card's sparkline, coloured by the card's rating; an empty slot of the same height while it loads. */
function CardTrend(props: { q: Query<TimeseriesAnswer>; label: string; rating: Rating | null }) {
  const { q, rating } = props;
  if (!q.data) return <div class="sparkline empty-spark">{q.error ? 'trend unavailable' : ''}</div>;
  return <Sparkline points={q.data.points} label={props.label} tone={rating ?? 'line'} />;
}

function CountCard(props: {
  label: string;
  value: string;
  raw: number;
  href: string;
  testid: string;
  hint?: string;
  tone?: string;
  children?: ComponentChildren;
}) {
  return (
    <Link href={props.href} class={`card count-card ${props.tone ?? ''}`} data-testid={`count-${props.testid}`}>
      <div class="card-title">{props.label}</div>
      <div class="card-value" data-value={props.raw}>
        {props.value}
      </div>
      {props.hint && <div class="card-meta">{props.hint}</div>}
      {props.children}
    </Link>
  );
}

const PAGE_METRICS: Metric[] = ['lcp', 'inp', 'cls'];

function TopPages() {
  const href = useHref();
  const lcp = useAppApi<VitalsAnswer>('vitals', { metric: 'lcp', p: 75, by: 'page' });
  const inp = useAppApi<VitalsAnswer>('vitals', { metric: 'inp', p: 75, by: 'page' });
  const cls = useAppApi<VitalsAnswer>('vitals', { metric: 'cls', p: 75, by: 'page' });
  return (
    <section class="panel">
      <h2>
        Top pages <span class="muted small">p75 by page, most viewed first</span>
      </h2>
      <Async q={lcp} what="top pages">
        {(base) => {
          const byKey = (a: VitalsAnswer | undefined) => new Map((a?.groups ?? []).map((g) => [g.key, g]));
          const others = { inp: byKey(inp.data), cls: byKey(cls.data) };
          if (base.groups.length === 0) return <Empty title="No page views with LCP in this range" />;
          return (
            <div class="table-wrap">
              <table class="table" data-testid="top-pages">
                <thead>
                  <tr>
                    <th>Page</th>
                    <th class="num">Views</th>
                    {PAGE_METRICS.map((m) => (
                      <th key={m} class="num">
                        {METRIC_SHORT[m]}
                      </th>
                    ))}
                    <th class="bar-col">LCP rating</th>
                  </tr>
                </thead>
                <tbody>
                  {base.groups.slice(0, 15).map((g) => (
                    <tr key={g.key ?? ''}>
                      <td class="key-cell">
                        {g.key == null ? (
                          <span class="muted">(none)</span>
                        ) : (
                          <Link href={href('sessions', { page: g.key })} title="Sessions on this page">
                            {g.key}
                          </Link>
                        )}
                      </td>
                      <td class="num">{formatCount(g.count)}</td>
                      <td class="num">
                        <VitalValue metric="lcp" value={g.value} />
                      </td>
                      <td class="num">
                        <VitalValue metric="inp" value={others.inp.get(g.key)?.value} />
                      </td>
                      <td class="num">
                        <VitalValue metric="cls" value={others.cls.get(g.key)?.value} />
                      </td>
                      <td class="bar-col">
                        <RatingBar good={g.good} ni={g.ni} poor={g.poor} compact />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Async>
    </section>
  );
}

