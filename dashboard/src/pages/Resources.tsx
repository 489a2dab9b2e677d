import { Layout } from '../components/Layout';
import { ExternalUrl } from '../components/Link';
import { Async, Empty } from '../components/States';
import { TabPanel, Tabs } from '../components/Tabs';
import { usePage, useAppApi } from '../lib/context';
import { navigate } from '../lib/router';
import { formatCount, formatMs, formatPercent } from '../lib/format';
import type { ResourceRow } from '../lib/types';
import { safeHref, withParams } from '../lib/url';

const KINDS = ['document', 'fetch', 'xhr', 'script', 'css', 'img', 'font', 'other'] as const;
const ORDERS = ['slowest', 'failing'] as const;
const ORDER_LABEL = { slowest: 'Slowest', failing: 'Failing' } as const;

export function ResourcesPage() {
  const { params, loc } = usePage();
  const order = params.get('order') === 'failing' ? 'failing' : 'slowest';
  const kindRaw = params.get('kind');
  const kind = kindRaw != null && (KINDS as readonly string[]).includes(kindRaw) ? kindRaw : null;
  const res = useAppApi<{ resources: ResourceRow[] }>('resources', { order, kind });
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
    </Layout>
  );
}
