import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { StackTrace } from '../components/StackTrace';
import { eventFacts, eventTitle, TYPE_LABEL } from '../lib/events';
import { TimeChart } from '../charts/TimeChart';
import { usePage, useAppApi, useHref } from '../lib/context';
import { formatAgo, formatCount, formatDateTime, formatPercent } from '../lib/format';
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { issuePatch, issueStatus, NO_RELEASE, releaseRange, STATUS_LABEL, trendPoints } from '../lib/issues';
import type { Issue, IssueDetail, IssueStatus, IssueStatusAnswer } from '../lib/types';
import { replayHref } from '../lib/replay';
import { routePath } from '../lib/url';
import { mayWrite } from '../lib/role';

export function IssuePage(props: { fingerprint: string }) {
  const detail = useAppApi<IssueDetail>(`issues/${encodeURIComponent(props.fingerprint)}`);
  const href = useHref();
  return (
    <Layout
      title={
        <>
          <Link href={href('errors')} class="crumb">
            Errors
          </Link>
          <span class="crumb-sep">/</span> Issue
        </>
      }
    >
      <Async q={detail} what="this issue" rows={5}>
        {(d) => <IssueBody d={d} reload={detail.reload} />}
      </Async>
    </Layout>
  );
}

function IssueBody(props: { d: IssueDetail; reload: () => void }) {
  const { d } = props;
  const { app, window, loc, me } = usePage();
  const i = d.issue;
  const totalBrowsers = d.browsers.reduce((s, b) => s + b.count, 0) || 1;
  const sessionHref = (id: string) => (app ? routePath({ page: 'session', app: app.id, id }) : '#');
  const traceHref = (trace_id: string) => (app ? routePath({ page: 'trace', app: app.id, trace_id }) : '#');
  const crumbs = d.breadcrumbs;
  // The server does not say which sessions have a replay: the session page says so when one has none.
  const latest = d.sessions.reduce<(typeof d.sessions)[number] | undefined>((a, s) => (a == null || s.ts > a.ts ? s : a), undefined);
  const releases = releaseRange(i);
  return (
    <>
      <section class="panel issue-head">
        <div class="issue-title">
          <span class="issue-kind">{i.kind ?? 'Error'}</span>
          <h2 class="issue-message" data-testid="issue-message">
            {i.message}
          </h2>
        </div>
        <div class="muted mono small">{i.top_frame ?? 'no stack frame'}</div>
        <div class="small" data-testid="issue-release">
          {d.release != null ? (
            <>
              Latest occurrence in release <code>{d.release}</code>
            </>
          ) : (
            <span class="muted">Latest occurrence has no release</span>
          )}
        </div>
        {app && <Workflow appId={app.id} canWrite={mayWrite(me, app.id)} issue={i} release={d.release} reload={props.reload} />}
        {latest && app && (
          <div class="issue-actions">
            <Link href={replayHref(app.id, latest.id, latest.ts)} class="btn small" data-testid="watch-latest">
              ▶ Watch the replay of the latest occurrence
            </Link>
          </div>
        )}
        <div class="stats">
          <Stat label="Events" value={formatCount(i.count)} />
          <Stat label="Sessions" value={formatCount(i.sessions)} />
          <Stat label="Users" value={formatCount(i.users)} />
          <Stat label="Source" value={i.source ?? '—'} />
          <Stat label="First seen" value={formatAgo(i.first_seen, loc.at)} title={`${formatDateTime(i.first_seen)}, over all time`} />
          <Stat label="Last seen" value={formatAgo(i.last_seen, loc.at)} title={`${formatDateTime(i.last_seen)}, over all time`} />
          {releases != null && <Stat label="Releases" value={releases} title="Releases of the first and the latest occurrence" />}
        </div>
      </section>

      <section class="panel">
        <h2>Stack trace</h2>
        <StackTrace stack={d.stack} frames={d.frames} release={d.release} />
      </section>

      <div class="grid two">
        <section class="panel">
          <h2>Occurrences over time</h2>
          <TimeChart window={window} points={trendPoints(i.trend)} label="Occurrences" format={formatCount} bars integer height={160} />
          <h3>Browsers</h3>
          {d.browsers.length === 0 ? (
            <p class="muted">No browser recorded.</p>
          ) : (
            <ul class="bar-list">
              {d.browsers.map((b) => (
                <li key={b.key ?? ''}>
                  <span class="bar-label">{b.key ?? '(unknown)'}</span>
                  <span class="bar-track">
                    <span class="bar-fill" style={{ width: `${(b.count / totalBrowsers) * 100}%` }} />
                  </span>
                  <span class="bar-num">
                    {formatCount(b.count)} <span class="muted">({formatPercent(b.count / totalBrowsers)})</span>
                  </span>
                </li>
              ))}
            </ul>
          )}
          {i.releases.length > 0 && (
            <>
              <h3>Releases</h3>
              <ul class="release-list" data-testid="issue-releases">
                {i.releases.map((r) => (
                  <li key={r.release ?? ''}>
                    {r.release != null ? <code class="release-name">{r.release}</code> : <span class="muted">{NO_RELEASE}</span>}
                    <span class="bar-num" title="Occurrences in this release, over all time">
                      {formatCount(r.count)}
                    </span>
                    <span class="muted small">
                      <span title={formatDateTime(r.first_seen)}>first {formatAgo(r.first_seen, loc.at)}</span>
                      {' · '}
                      <span title={formatDateTime(r.last_seen)}>last {formatAgo(r.last_seen, loc.at)}</span>
                    </span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
        <section class="panel">
          <h2>Sessions</h2>
          {d.sessions.length === 0 ? (
            <Empty title="No sessions recorded" />
          ) : (
            <ul class="session-links" data-testid="issue-sessions">
              {d.sessions.map((s) => (
                <li key={s.id}>
                  <Link href={sessionHref(s.id)} class="mono">
                    {s.id}
                  </Link>
                  <span class="session-link-side">
                    {s.trace_id && (
                      <Link href={traceHref(s.trace_id)} class="small trace-link" title="The backend trace of the failed request" data-testid="issue-trace">
                        trace
                      </Link>
                    )}
                    {app && (
                      <Link href={replayHref(app.id, s.id, s.ts)} class="small" title="Open the replay at this error">
                        ▶ watch the replay
                      </Link>
                    )}
                    <span class="muted small" title={formatDateTime(s.ts)}>
                      {formatAgo(s.ts, loc.at)}
                    </span>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <section class="panel">
        <h2>
          Breadcrumbs <span class="muted small">what the user did before the latest occurrence</span>
        </h2>
        {crumbs.length === 0 ? (
          <Empty title="No breadcrumbs" />
        ) : (
          <ol class="breadcrumbs" data-testid="breadcrumbs">
            {crumbs.map((e) => (
              <li key={e.event_id} class={`crumb-item type-${e.type}`}>
                <span class={`type-badge ${e.type}`}>{TYPE_LABEL[e.type] ?? e.type}</span>
                <span class="crumb-text">{eventTitle(e)}</span>
                <span class="muted small">{eventFacts(e).join(' · ')}</span>
                {typeof e.trace_id === 'string' && e.trace_id !== '' && (
                  <Link href={traceHref(e.trace_id)} class="small trace-link" title="The backend trace of this request or page load">
                    trace
                  </Link>
                )}
                <time class="muted small" title={formatDateTime(e.ts)}>
                  {formatDateTime(e.ts)}
                </time>
              </li>
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

/** The issue's status, and the buttons that change it (PATCH, then reload the issue). */
function Workflow(props: { appId: string; canWrite: boolean; issue: Issue; release?: string | null; reload: () => void }) {
  const { issue: i } = props;
  const status = issueStatus(i.status);
  const [release, setRelease] = useState(i.last_release ?? props.release ?? '');
  const [busy, setBusy] = useState<IssueStatus | null>(null);
  const [error, setError] = useState<string | null>(null);

  const change = async (next: IssueStatus) => {
    setBusy(next);
    setError(null);
    try {
      await api<IssueStatusAnswer>(`/apps/${encodeURIComponent(props.appId)}/issues/${encodeURIComponent(i.fingerprint)}`, {
        method: 'PATCH',
        body: issuePatch(next, release),
      });
      props.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div class="issue-workflow" data-testid="issue-workflow">
      <div class="small" aria-live="polite">
        Status: <strong data-testid="issue-status">{STATUS_LABEL[status]}</strong>
        {i.regressed && (
          <>
            {' · '}
            <span class="badge status-regressed">
              Regressed{i.last_release != null ? <> in release <code>{i.last_release}</code></> : null}
            </span>
          </>
        )}
        {status === 'resolved' && i.resolved_in_release != null && (
          <>
            {' · '}Resolved in <code>{i.resolved_in_release}</code>
          </>
        )}
      </div>
      {!props.canWrite ? null : status === 'open' ? (
        <form
          class="issue-actions"
          onSubmit={(e) => {
            e.preventDefault();
            void change('resolved');
          }}
        >
          <label class="inline">
            in release
            <input type="text" value={release} placeholder="optional" aria-label="Resolved in release (optional)" onInput={(e) => setRelease(e.currentTarget.value)} />
          </label>
          <button type="submit" class="btn small primary" disabled={busy != null}>
            {busy === 'resolved' ? 'Resolving…' : 'Resolve'}
          </button>
          <button type="button" class="btn small" disabled={busy != null} onClick={() => void change('ignored')}>
            {busy === 'ignored' ? 'Ignoring…' : 'Ignore'}
          </button>
        </form>
      ) : (
        <div class="issue-actions">
          <button type="button" class="btn small" disabled={busy != null} onClick={() => void change('open')}>
            {busy === 'open' ? 'Reopening…' : 'Reopen'}
          </button>
        </div>
      )}
      {error != null && (
        <div class="form-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

function Stat(props: { label: string; value: string; title?: string }) {
  return (
    <div class="stat" title={props.title}>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
    </div>
  );
}
