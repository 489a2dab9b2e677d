import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { TimeChart } from '../charts/TimeChart';
import { usePage, useAppApi } from '../lib/context';
import { navigate } from '../lib/router';
import { formatAgo, formatCount, formatDateTime } from '../lib/format';
import type { Issue, TimeseriesAnswer } from '../lib/types';
import { routePath, withParams } from '../lib/url';
import { ISSUE_STATUSES, STATUS_LABEL, parseStatusFilter, statusBadge } from '../lib/issues';

export function ErrorsPage() {
  const { params, loc, app, window } = usePage();
  // `?status=` filters by workflow status; absent means all issues
  const status = parseStatusFilter(params.get('status'));
  const issues = useAppApi<{ issues: Issue[] }>('issues', { status });
  const series = useAppApi<TimeseriesAnswer>('timeseries', { metric: 'errors' });
  const q = params.get('q') ?? '';
  const search = (value: string) => navigate(loc.pathname + withParams(loc.search, { q: value }), { replace: true });
  return (
    <Layout title="Errors">
      <section class="panel">
        <h2>Errors over time</h2>
        <Async q={series} what="errors over time">
          {(ts) => <TimeChart window={window} points={ts.points} label="Errors" format={formatCount} bars integer height={180} />}
        </Async>
      </section>
      <section class="panel">
        <div class="panel-head">
          <h2>Issues</h2>
          <div class="issue-filters">
            <label class="inline">
              Status
              <select value={status ?? ''} onChange={(e) => navigate(loc.pathname + withParams(loc.search, { status: parseStatusFilter(e.currentTarget.value) }))}>
                <option value="">All</option>
                {ISSUE_STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {STATUS_LABEL[s]}
                  </option>
                ))}
              </select>
            </label>
            <input type="search" class="search" placeholder="Search messages" aria-label="Search issues" value={q} onInput={(e) => search(e.currentTarget.value)} />
          </div>
        </div>
        <Async q={issues} what="issues">
          {(a) => {
            const needle = q.toLowerCase();
            const rows = needle
              ? a.issues.filter((i) => `${i.kind ?? ''} ${i.message} ${i.top_frame ?? ''}`.toLowerCase().includes(needle))
              : a.issues;
            if (a.issues.length === 0 && status != null) return <Empty title={`No ${STATUS_LABEL[status].toLowerCase()} issues in this time range`} />;
            if (a.issues.length === 0) return <Empty title="No errors in this time range">Good news — or the SDK is not installed yet (see Settings).</Empty>;
            if (rows.length === 0) return <Empty title="No issue matches the search" />;
            const span = Math.max(1, window.to - window.from);
            return (
              <div class="table-wrap">
                <table class="table issues" data-testid="issues">
                  <thead>
                    <tr>
                      <th>Issue</th>
                      <th class="num">Events</th>
                      <th class="num">Sessions</th>
                      <th class="num">Users</th>
                      <th>First seen</th>
                      <th>Last seen</th>
                      <th class="trend-col" title="When it occurred within the time range">Activity</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((i) => {
                      const badge = statusBadge(i);
                      const left = Math.min(100, Math.max(0, ((i.first_seen - window.from) / span) * 100));
                      const right = Math.min(100, Math.max(left, ((i.last_seen - window.from) / span) * 100));
                      return (
                        <tr key={i.fingerprint}>
                          <td class="issue-cell">
                            <Link href={app ? routePath({ page: 'issue', app: app.id, fingerprint: i.fingerprint }) + withParams(loc.search, { q: null, status: null }) : '#'} class="issue-link">
                              <span class="issue-kind">{i.kind ?? 'Error'}</span>
                              <span class="issue-message">{i.message}</span>
                            </Link>
                            {badge && (
                              <span class={`badge status-${badge.tone}`} data-testid="issue-status">
                                {badge.label}
                              </span>
                            )}
                            <div class="muted small mono">
                              {i.source ? `${i.source} · ` : ''}
                              {i.top_frame ?? 'no stack'}
                            </div>
                          </td>
                          <td class="num">{formatCount(i.count)}</td>
                          <td class="num">{formatCount(i.sessions)}</td>
                          <td class="num">{formatCount(i.users)}</td>
                          <td title={formatDateTime(i.first_seen)}>{formatAgo(i.first_seen, loc.at)}</td>
                          <td title={formatDateTime(i.last_seen)}>{formatAgo(i.last_seen, loc.at)}</td>
                          <td class="trend-col">
                            <div class="span-track" title={`${formatDateTime(i.first_seen)} → ${formatDateTime(i.last_seen)}`}>
                              <span class="span-bar" style={{ left: `${left}%`, width: `${Math.max(1.5, right - left)}%` }} />
                            </div>
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
    </Layout>
  );
}
