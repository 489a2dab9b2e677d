import { Layout } from '../components/Layout';
import { ExternalUrl, Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { TabPanel, Tabs } from '../components/Tabs';
import { usePage, useAppApi } from '../lib/context';
import { navigate } from '../lib/router';
import { formatCount, formatDateTime, formatFineMs, formatMs, formatPercent } from '../lib/format';
import type { ResourcesResponse, SlowRequestsResponse } from '../lib/types';
import { routePath, safeHref, withParams } from '../lib/url';

const KINDS = ['document', 'fetch', 'xhr', 'script', 'css', 'img', 'font', 'other'] as const;
const ORDERS = ['slowest', 'failing'] as const;
const ORDER_LABEL = { slowest: 'Slowest', failing: 'Failing' } as const;
/** Traced requests listed under "Slowest requests". */
const SLOW_LIMIT = 20;

export function ResourcesPage() {
  const { params, loc } = usePage();
  const order = params.get('order') === 'failing' ? 'failing' : 'slowest';
  const kindRaw = params.get('kind');
  const kind = kindRaw != null && (KINDS as readonly string[]).includes(kindRaw) ? kindRaw : null;
  const res = useAppApi<ResourcesResponse>('resources', { order, kind });
  const set = (changes: Record<string, string | null>) => navigate(loc.pathname + withParams(loc.search, changes));
  return (
    <Layout title="Resources">
      <div class="toolbar">
        <Tabs name="order" label="Order" keys={ORDERS} selected={order} onSelect={(o) => set({ order: o === 'slowest' ? null : o })}>
          {(o) => ORDER_LABEL[o]}
        </Tabs>
        <label class="inline">
          Kind
          <select value={kind ?? ''} onChange={(e) => set({ kind: e.currentTarget.value || null })}>
            <option value="">All</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      </div>
      <TabPanel name="order" selected={order}>
        <section class="panel flush">
          <Async q={res} what="resources" rows={6}>
            {(a) => {
              if (a.resources.length === 0)
                return <Empty title={order === 'failing' ? 'No failing resources in this range' : 'No resources in this range'} />;
              const max = Math.max(1, ...a.resources.map((r) => r.p75_duration ?? 0));
              return (
                <div class="table-wrap">
                  <table class="table resources" data-testid="resources">
                    <thead>
                      <tr>
                        <th>URL</th>
                        <th>Kind</th>
                        <th class="num">Requests</th>
                        <th class="num">p75 duration</th>
                        <th class="bar-col">
                        <span class="visually-hidden">p75 duration, relative</span>
                      </th>
                        <th class="num">Failures</th>
                        <th class="num">Failure rate</th>
                      </tr>
                    </thead>
                    <tbody>
                      {a.resources.map((r) => (
                        <tr key={`${r.method ?? ''} ${r.url}`}>
                          <td class="url-cell">
                            {r.method && <span class="method">{r.method}</span>}
                            <ExternalUrl url={r.url} safe={safeHref(r.url)} class="break" />
                          </td>
                          <td>{r.kind ?? '—'}</td>
                          <td class="num">{formatCount(r.count)}</td>
                          <td class="num">{formatMs(r.p75_duration)}</td>
                          <td class="bar-col">
                            <span class="bar-track">
                              <span class="bar-fill" style={{ width: `${((r.p75_duration ?? 0) / max) * 100}%` }} />
                            </span>
                          </td>
                          <td class="num">{r.failures > 0 ? <span class="badge poor">{formatCount(r.failures)}</span> : '0'}</td>
                          <td class="num">{formatPercent(r.failure_rate)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              );
            }}
          </Async>
        </section>
      </TabPanel>
      <SlowRequests />
    </Layout>
  );
}

/** The slowest traced fetch/xhr requests, with where the backend spent the time. */
function SlowRequests() {
  const { app } = usePage();
  const q = useAppApi<SlowRequestsResponse>('slow-requests', { limit: SLOW_LIMIT });
  return (
    <section class="panel" aria-labelledby="slow-requests-title" data-testid="slow-requests-panel">
      <h2 id="slow-requests-title">
        Slowest requests <span class="muted small">traced fetch and XHR calls, and the backend span that took the longest</span>
      </h2>
      <Async q={q} what="the slowest requests" rows={4}>
        {({ requests: rows }) => {
          if (rows.length === 0)
            return (
              <Empty title="No traced requests in this range">
                <span data-testid="slow-requests-empty">
                  Connect a backend with OpenTelemetry (docs/tracing.md): list your API in the SDK's{' '}
                  <code>allowedTracingUrls</code> so its requests carry a <code>traceparent</code>, and let the backend
                  export its spans to this server. Each slow request then shows the backend's span that took the time.
                </span>
              </Empty>
            );
          return (
            <div class="table-wrap">
              <table class="table slow-requests" data-testid="slow-requests">
                <thead>
                  <tr>
                    <th>Request</th>
                    <th class="num">Status</th>
                    <th class="num">Duration</th>
                    <th>Backend service</th>
                    <th>Server span</th>
                    <th>Bottleneck span</th>
                    <th>Trace</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((r, i) => {
                    const failed = r.status != null && (r.status === 0 || r.status >= 500);
                    return (
                      <tr key={`${r.trace_id} ${i}`}>
                        <td class="url-cell">
                          <span class="method">{r.method}</span>
                          <ExternalUrl url={r.url} safe={safeHref(r.url)} class="break" />
                          <div class="muted small" title={formatDateTime(r.ts)}>
                            {r.route ?? ''}
                            {r.route ? ' · ' : ''}
                            {formatDateTime(r.ts)}
                          </div>
                        </td>
                        <td class="num">
                          {r.status == null ? '—' : failed ? <span class="badge poor">{r.status === 0 ? 'network error' : r.status}</span> : r.status}
                        </td>
                        <td class="num">{formatMs(r.duration)}</td>
                        <td>{r.server?.service ?? <span class="muted">no backend span</span>}</td>
                        <td>
                          {r.server ? (
                            <>
                              <span class="break">{r.server.name}</span> <span class="muted small nowrap">{formatFineMs(r.server.duration)}</span>
                            </>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td>
                          {r.bottleneck ? (
                            <>
                              <span class="break">{r.bottleneck.name}</span>
                              {r.server == null || r.bottleneck.service !== r.server.service ? (
                                <span class="muted small"> in {r.bottleneck.service}</span>
                              ) : null}{' '}
                              <span class="muted small nowrap" title="Self time: the span's duration minus its children's">
                                {formatFineMs(r.bottleneck.self_time)} self
                              </span>
                            </>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td>
                          {app && (
                            <Link href={routePath({ page: 'trace', app: app.id, trace_id: r.trace_id })} class="mono" title={`Open trace ${r.trace_id}`}>
                              {r.trace_id.slice(0, 8)}…
                            </Link>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          );
        }}
      </Async>
    </section>
  );
}
