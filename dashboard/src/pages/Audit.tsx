import { Layout } from '../components/Layout';
import { Async, Empty } from '../components/States';
import { AUDIT_LIMIT, newestFirst } from '../lib/audit';
import { usePage } from '../lib/context';
import { DASH, formatDateTime } from '../lib/format';
import type { AuditLog } from '../lib/types';
import { useApi } from '../lib/useApi';

/** Who changed what (admins only): the latest entries of the server's audit log, newest first. */
export function AuditPage() {
  const { loc } = usePage();
  const log = useApi<AuditLog>(`/audit?limit=${AUDIT_LIMIT}`, loc.epoch);
  return (
    <Layout title="Audit log" timeless>
      <section class="panel" aria-labelledby="audit-heading">
        <h2 id="audit-heading">
          Latest changes <span class="muted small">the {AUDIT_LIMIT} most recent, newest first</span>
        </h2>
        <Async q={log} what="the audit log" rows={5}>
          {(d) =>
            d.entries.length === 0 ? (
              <Empty title="Nothing logged yet" />
            ) : (
              <div class="table-wrap">
                <table class="table" data-testid="audit-table">
                  <thead>
                    <tr>
                      <th>Time</th>
                      <th>Actor</th>
                      <th>Action</th>
                      <th>Target</th>
                      <th>Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {newestFirst(d.entries).map((e, i) => (
                      <tr key={`${e.ts} ${i}`} data-testid="audit-row">
                        <td class="small nowrap">{formatDateTime(e.ts)}</td>
                        <td>{e.actor}</td>
                        <td class="mono">{e.action}</td>
                        <td class="key-cell">{e.target ?? DASH}</td>
                        <td class="key-cell small">{e.detail ?? DASH}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Async>
      </section>
    </Layout>
  );
}
