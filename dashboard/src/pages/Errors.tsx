import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { TimeChart } from '../charts/TimeChart';
import { Sparkline } from '../charts/Sparkline';
import { ParamSelect } from '../components/ParamSelect';
import { usePage, useAppApi } from '../lib/context';
import { navigate } from '../lib/router';
import { formatAgo, formatCount, formatDateTime } from '../lib/format';
import type { IssuesResponse, TimeseriesAnswer } from '../lib/types';
import { routePath, withParams } from '../lib/url';
import {
  ISSUE_SORTS,
  ISSUE_STATUSES,
  SORT_LABEL,
  STATUS_LABEL,
  parseIssueSort,
  parseStatusFilter,
  releaseRange,
  sortParam,
  statusBadge,
  trendPoints,
} from '../lib/issues';

export function ErrorsPage() {
  const { params, loc, app, window } = usePage();
  // `?status=` filters by workflow status; absent means all issues
  const status = parseStatusFilter(params.get('status'));
  // `?sort=` orders the rows on the server; absent means by events
  const sort = parseIssueSort(params.get('sort'));
  const issues = useAppApi<IssuesResponse>('issues', { status, sort: sortParam(sort) });
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
            <ParamSelect label="Status" param="status" value={status ?? ''} options={ISSUE_STATUSES} labels={STATUS_LABEL} toParam={parseStatusFilter} first={{ value: '', label: 'All' }} />
            <ParamSelect label="Sort by" param="sort" value={sort} options={ISSUE_SORTS} labels={SORT_LABEL} toParam={(v) => sortParam(parseIssueSort(v))} />
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
            return (
              <div class="table-wrap">
                <table class="table issues" data-testid="issues">
                  <thead>
                    <tr>
                      <th>Issue</th>
                      <th class="num">Events</th>
                      <th class="num">Sessions</th>
                      <th class="num">Users</th>
                      <th title="The first occurrence, over all time">First seen</th>
                      <th title="The latest occurrence, over all time">Last seen</th>
                      <th class="trend-col" title="Occurrences over the time range">Trend</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((i) => {
                      const badge = statusBadge(i);
                      const releases = releaseRange(i);
                      return (
                        <tr key={i.fingerprint}>
                          <td class="issue-cell">
                            <Link href={app ? routePath({ page: 'issue', app: app.id, fingerprint: i.fingerprint }) + withParams(loc.search, { q: null, status: null, sort: null }) : '#'} class="issue-link">
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
                            {releases != null && (
                              <div class="muted small" title="Releases of the first and the latest occurrence, over all time">
                                Release <span class="mono">{releases}</span>
                              </div>
                            )}
                          </td>
                          <td class="num">{formatCount(i.count)}</td>
                          <td class="num">{formatCount(i.sessions)}</td>
                          <td class="num">{formatCount(i.users)}</td>
                          <td title={`${formatDateTime(i.first_seen)}, over all time`}>{formatAgo(i.first_seen, loc.at)}</td>
                          <td title={`${formatDateTime(i.last_seen)}, over all time`}>{formatAgo(i.last_seen, loc.at)}</td>
                          <td class="trend-col">
                            <Sparkline points={trendPoints(i.trend)} label={`${formatCount(i.count)} events over the time range`} tone="poor" fromZero />
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
