// The backend services that send spans (OTLP, docs/tracing.md): their
// requests (server and consumer spans), errors and latency in the range.
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { usePage, useAppApi, useHref } from '../lib/context';
import { formatCount, formatFineMs, formatPercent } from '../lib/format';
import type { ServicesResponse } from '../lib/types';
import { FILTER_KEYS, FILTER_LABEL } from '../lib/url';

export function ServicesPage() {
  const { filters } = usePage();
  const href = useHref();
  // spans carry an environment but no page, browser or user: only `env` applies
  const services = useAppApi<ServicesResponse>('services', { env: filters.env }, { filters: false });
  const ignored = FILTER_KEYS.filter((k) => k !== 'env' && filters[k] != null).map((k) => FILTER_LABEL[k].toLowerCase());
  if ((filters.attrs?.length ?? 0) > 0) ignored.push('custom attributes');
  return (
    <Layout title="Services">
      {ignored.length > 0 && (
        <div class="notice" data-testid="services-filters">
          Backend spans have no {ignored.join(', ')}: only the environment filter applies on this page.
        </div>
      )}
      <section class="panel flush">
        <Async q={services} what="services" rows={4}>
          {({ services: rows }) => {
            if (rows.length === 0)
              return (
                <Empty title="No backend spans in this range">
                  <span class="inline-links" data-testid="services-empty">
                    Backends send their traces with OpenTelemetry (OTLP over HTTP) to <code>/v1/traces</code> on this server,
                    with the header <code>x-fovea-key</code> set to the app's server key. Create the key and copy the
                    environment variables under <Link href={href('settings')}>Settings → Backend tracing</Link>. Connect a
                    backend with OpenTelemetry: docs/tracing.md.
                  </span>
                </Empty>
              );
            const max = Math.max(1, ...rows.map((r) => r.p95 ?? r.p75 ?? 0));
            return (
              <div class="table-wrap">
                <table class="table services" data-testid="services">
                  <thead>
                    <tr>
                      <th>Service</th>
                      <th class="num">Requests</th>
                      <th class="num">Errors</th>
                      <th class="num">Error rate</th>
                      <th class="num">p75</th>
                      <th class="num">p95</th>
                      <th class="bar-col">
                        <span class="visually-hidden">p75 and p95, relative</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr key={r.service}>
                        <td class="key-cell">{r.service}</td>
                        <td class="num">{formatCount(r.requests)}</td>
                        <td class="num">{r.errors > 0 ? <span class="badge poor">{formatCount(r.errors)}</span> : '0'}</td>
                        <td class="num">{formatPercent(r.error_rate)}</td>
                        <td class="num">{formatFineMs(r.p75)}</td>
                        <td class="num">{formatFineMs(r.p95)}</td>
                        <td class="bar-col">
                          <span class="bar-track bar-pair">
                            <span class="bar-fill faint" style={{ width: `${((r.p95 ?? 0) / max) * 100}%` }} />
                            <span class="bar-fill" style={{ width: `${((r.p75 ?? 0) / max) * 100}%` }} />
                          </span>
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
    </Layout>
  );
}
