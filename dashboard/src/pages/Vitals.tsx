import { Layout } from '../components/Layout';
import { ExternalUrl, Link } from '../components/Link';
import { RatingBar } from '../components/RatingBar';
import { TabPanel, Tabs } from '../components/Tabs';
import { Async, Empty } from '../components/States';
import { VitalValue } from '../components/VitalCell';
import { HistogramChart } from '../charts/HistogramChart';
import { TimeChart } from '../charts/TimeChart';
import { usePage, useAppApi, useHref } from '../lib/context';
import { navigate } from '../lib/router';
import { formatAgo, formatCount, formatDateTime, formatMetric } from '../lib/format';
import { METRICS, METRIC_NAME, METRIC_SHORT, THRESHOLDS, isMetric, type Metric } from '../lib/thresholds';
import type { ExampleView, HistogramAnswer, TimeseriesAnswer, ViewsResponse, VitalsAnswer } from '../lib/types';
import { FILTER_KEYS, routePath, safeHref, urlPath, withParams, type FilterKey } from '../lib/url';

export const PERCENTILES = [50, 75, 90, 95, 99] as const;
export const DIMENSIONS = ['none', 'page', 'browser', 'device', 'country', 'connection', 'release'] as const;
type Dimension = (typeof DIMENSIONS)[number];
const DIM_LABEL: Record<Dimension, string> = {
  none: 'Nothing',
  page: 'Page',
  browser: 'Browser',
  device: 'Device',
  country: 'Country',
  connection: 'Connection',
  release: 'Release',
};

export function VitalsPage() {
  const { params, loc, window } = usePage();
  const m = params.get('metric');
  const metric: Metric = isMetric(m) ? m : 'lcp';
  const pRaw = Number(params.get('p') ?? 75);
  const p = (PERCENTILES as readonly number[]).includes(pRaw) ? pRaw : 75;
  const byRaw = params.get('by') ?? 'page';
  const by: Dimension = (DIMENSIONS as readonly string[]).includes(byRaw) ? (byRaw as Dimension) : 'page';
  const set = (changes: Record<string, string | null>) => navigate(loc.pathname + withParams(loc.search, changes));

  const total = useAppApi<VitalsAnswer>('vitals', { metric, p, by: 'none' });
  const hist = useAppApi<HistogramAnswer>('histogram', { metric });
  const series = useAppApi<TimeseriesAnswer>('timeseries', { metric, p });
  const groups = useAppApi<VitalsAnswer>(by === 'none' ? null : 'vitals', { metric, p, by });
  const fmt = (v: number) => formatMetric(metric, v);

  return (
    <Layout title="Web vitals">
      <div class="toolbar">
        <Tabs name="metric" label="Metric" class="metric-tabs" keys={METRICS} selected={metric} title={(x) => METRIC_NAME[x]} onSelect={(x) => set({ metric: x })}>
          {(x) => METRIC_SHORT[x]}
        </Tabs>
        <label class="inline">
          Percentile
          <select value={String(p)} onChange={(e) => set({ p: e.currentTarget.value === '75' ? null : e.currentTarget.value })}>
            {PERCENTILES.map((x) => (
              <option key={x} value={String(x)}>
                p{x}
              </option>
            ))}
          </select>
        </label>
        <label class="inline">
          Group by
          <select value={by} onChange={(e) => set({ by: e.currentTarget.value === 'page' ? null : e.currentTarget.value })}>
            {DIMENSIONS.map((d) => (
              <option key={d} value={d}>
                {DIM_LABEL[d]}
              </option>
            ))}
          </select>
        </label>
      </div>

      <TabPanel name="metric" selected={metric}>
        <section class="panel headline">
          <Async q={total} what={`${METRIC_SHORT[metric]} p${p}`} rows={1}>
            {(t) => {
              const g = t.groups[0];
              if (g == null || g.count === 0) return <Empty title={`No ${METRIC_SHORT[metric]} measurements in this range`} />;
              return (
                <div class="headline-row">
                  <div>
                    <div class="muted">
                      {METRIC_NAME[metric]} · p{p}
                    </div>
                    <div class="big-value" data-testid="vital-total">
                      <VitalValue metric={metric} value={g.value} />
                    </div>
                    <div class="muted small">{formatCount(g.count)} views · thresholds {fmt(THRESHOLDS[metric][0])} / {fmt(THRESHOLDS[metric][1])}</div>
                  </div>
                  <div class="headline-bar">
                    <RatingBar good={g.good} ni={g.ni} poor={g.poor} />
                  </div>
                </div>
              );
            }}
          </Async>
        </section>

        <div class="grid two">
          <section class="panel">
            <h2>Distribution</h2>
            <Async q={hist} what="the distribution">
              {(h) =>
                h.buckets.every((b) => b.count === 0) ? <Empty title="No measurements" /> : <HistogramChart metric={metric} buckets={h.buckets} />
              }
            </Async>
          </section>
          <section class="panel">
            <h2>
              p{p} over time <span class="muted small">dashed: good / poor thresholds</span>
            </h2>
            <Async q={series} what="the time series">
              {(ts) => <TimeChart window={window} points={ts.points} label={`${METRIC_SHORT[metric]} p${p}`} format={fmt} thresholds={THRESHOLDS[metric]} />}
            </Async>
          </section>
        </div>

        {by !== 'none' && (
          <section class="panel">
            <h2>
              By {DIM_LABEL[by].toLowerCase()} <span class="muted small">most views first; a value opens its sessions</span>
            </h2>
            <Async q={groups} what="the groups">
              {(a) => (a.groups.length === 0 ? <Empty title="No groups in this range" /> : <GroupTable metric={metric} p={p} by={by} answer={a} />)}
            </Async>
          </section>
        )}

        <SlowViews metric={metric} />
      </TabPanel>
    </Layout>
  );
}

function GroupTable(props: { metric: Metric; p: number; by: Dimension; answer: VitalsAnswer }) {
  const { metric, p, by } = props;
  const href = useHref();
  const { loc } = usePage();
  const filterKey = (FILTER_KEYS as readonly string[]).includes(by) ? (by as FilterKey) : null;
  return (
    <div class="table-wrap">
      <table class="table" data-testid="vital-groups">
        <thead>
          <tr>
            <th>{DIM_LABEL[by]}</th>
            <th class="num">p{p}</th>
            <th class="num">Views</th>
            <th class="bar-col">Good / needs improvement / poor</th>
            {filterKey && (
              <th class="actions-col">
                <span class="visually-hidden">Filter</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {props.answer.groups.map((g) => (
            <tr key={g.key ?? ''}>
              <td class="key-cell">
                {g.key == null || g.key === '' ? (
                  <span class="muted">(unknown)</span>
                ) : filterKey ? (
                  <Link href={href('sessions', { [filterKey]: g.key })} title="Sessions">
                    {g.key}
                  </Link>
                ) : (
                  <span>{g.key}</span>
                )}
              </td>
              <td class="num">
                <VitalValue metric={metric} value={g.value} />
              </td>
              <td class="num">{formatCount(g.count)}</td>
              <td class="bar-col">
                <RatingBar good={g.good} ni={g.ni} poor={g.poor} compact />
              </td>
              {filterKey && (
                <td class="actions-col">
                  {g.key != null && g.key !== '' && (
                    <Link href={loc.pathname + withParams(loc.search, { [filterKey]: g.key })} class="btn small ghost" title="Filter every chart by this value">
                      Filter
                    </Link>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function attribution(metric: Metric, v: ExampleView): { label: string; value?: string | null }[] {
  switch (metric) {
    case 'lcp':
      return [
        { label: 'element', value: v.lcp_element },
        { label: 'resource', value: v.lcp_resource_url },
      ];
    case 'inp':
      return [
        { label: 'target', value: v.inp_target },
        { label: 'event', value: v.inp_type },
      ];
    case 'cls':
      return [{ label: 'shifted', value: v.cls_target }];
    default:
      return [];
  }
}

function SlowViews(props: { metric: Metric }) {
  const { metric } = props;
  const { app, loc } = usePage();
  const views = useAppApi<ViewsResponse>('views', { metric, limit: 20 });
  return (
    <section class="panel">
      <h2>
        Slowest views <span class="muted small">by {METRIC_SHORT[metric]}, with attribution</span>
      </h2>
      <Async q={views} what="example views">
        {(a) =>
          a.views.length === 0 ? (
            <Empty title="No views in this range" />
          ) : (
            <ul class="example-list" data-testid="slow-views">
              {a.views.map((v) => (
                <li key={v.view_id} class="example">
                  <div class="example-main">
                    <VitalValue metric={metric} value={v[metric]} class="example-value" />
                    <div class="example-body">
                      <div class="example-url">
                        <ExternalUrl url={v.route ?? urlPath(v.url)} safe={safeHref(v.url)} />
                      </div>
                      <div class="muted small inline-links">
                        <span title={formatDateTime(v.ts)}>{formatAgo(v.ts, loc.at)}</span>
                        {[v.browser, v.device, v.country].filter(Boolean).map((x) => (
                          <span key={x}> · {x}</span>
                        ))}
                        {app && v.trace_id && (
                          <>
                            {' · '}
                            <Link href={routePath({ page: 'trace', app: app.id, trace_id: v.trace_id })}>backend trace</Link>
                          </>
                        )}
                      </div>
                      <dl class="attribution">
                        {attribution(metric, v)
                          .filter((a) => a.value)
                          .map((a) => (
                            <div key={a.label}>
                              <dt>{a.label}</dt>
                              <dd>
                                <code>{a.value}</code>
                              </dd>
                            </div>
                          ))}
                      </dl>
                    </div>
                    {app && (
                      <Link href={routePath({ page: 'session', app: app.id, id: v.session_id }) + `?view=${encodeURIComponent(v.view_id)}`} class="btn small">
                        Session →
                      </Link>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}
