import { useEffect, useState } from 'preact/hooks';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { usePage, useAppApi } from '../lib/context';
import { navigate } from '../lib/router';
import { formatAgo, formatCount, formatDateTime, formatDuration } from '../lib/format';
import type { SessionsResponse } from '../lib/types';
import { routePath, urlPath, withParams } from '../lib/url';

const PAGE = 50;
/** The server answers at most 500 sessions per request. */
const MAX = 500;

export function SessionsPage() {
  const { params, loc, app } = usePage();
  const user = params.get('user') ?? '';
  const hasErrors = params.get('has_errors') === 'true';
  const frustrated = params.get('frustrated') === 'true';
  const limit = Math.min(MAX, Math.max(PAGE, Number(params.get('limit')) || PAGE));
  // `?user=` is one of the filters every request carries
  const sessions = useAppApi<SessionsResponse>('sessions', {
    has_errors: hasErrors ? 'true' : null,
    frustrated: frustrated ? 'true' : null,
    limit,
  });
  const [userInput, setUserInput] = useState(user);
  useEffect(() => setUserInput(user), [user]);
  const set = (changes: Record<string, string | null>) => navigate(loc.pathname + withParams(loc.search, { limit: null, ...changes }));
  return (
    <Layout title="Sessions">
      <form
        class="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set({ user: userInput.trim() || null });
        }}
      >
        <input type="search" class="search" name="user" placeholder="User id" aria-label="User id" value={userInput} onInput={(e) => setUserInput(e.currentTarget.value)} />
        <button type="submit" class="btn">
          Search
        </button>
        <label class="toggle">
          <input type="checkbox" checked={hasErrors} onChange={(e) => set({ has_errors: e.currentTarget.checked ? 'true' : null })} />
          With errors
        </label>
        <label class="toggle">
          <input type="checkbox" checked={frustrated} onChange={(e) => set({ frustrated: e.currentTarget.checked ? 'true' : null })} />
          With frustration
        </label>
      </form>
      <section class="panel flush">
        <Async q={sessions} what="sessions" rows={6}>
          {(a) =>
            a.sessions.length === 0 ? (
              <Empty title="No sessions match">Try a wider time range or fewer filters.</Empty>
            ) : (
              <>
                <div class="table-wrap">
                  <table class="table sessions" data-testid="sessions">
                    <thead>
                      <tr>
                        <th>Started</th>
                        <th>Replay</th>
                        <th>User</th>
                        <th>First page</th>
                        <th class="num">Duration</th>
                        <th class="num">Views</th>
                        <th class="num">Actions</th>
                        <th class="num">Errors</th>
                        <th class="num" title="Rage, dead and error clicks">Frustration</th>
                        <th>Browser</th>
                        <th>Device</th>
                        <th>Country</th>
                      </tr>
                    </thead>
                    <tbody>
                      {a.sessions.map((s) => (
                        <tr key={s.id}>
                          <td>
                            <Link href={app ? routePath({ page: 'session', app: app.id, id: s.id }) : '#'} title={formatDateTime(s.start)} class="session-link">
                              {formatAgo(s.start, loc.at)}
                            </Link>
                          </td>
                          <td>
                            {s.has_replay && app && (
                              <Link href={routePath({ page: 'session', app: app.id, id: s.id })} class="badge replay" title="Watch the replay">
                                ▶ replay
                              </Link>
                            )}
                          </td>
                          <td class="truncate">{s.user_id ?? <span class="muted">anonymous</span>}</td>
                          <td class="truncate url-cell" title={s.first_url ?? ''}>
                            {urlPath(s.first_url)}
                          </td>
                          <td class="num">{formatDuration(s.end - s.start)}</td>
                          <td class="num">{formatCount(s.views)}</td>
                          <td class="num">{formatCount(s.actions)}</td>
                          <td class="num">{s.errors > 0 ? <span class="badge poor">{formatCount(s.errors)}</span> : '0'}</td>
                          <td class="num">{s.frustrations > 0 ? <span class="badge ni">{formatCount(s.frustrations)}</span> : '0'}</td>
                          <td>
                            {s.browser ?? '—'}
                            {s.os ? <span class="muted"> · {s.os}</span> : null}
                          </td>
                          <td>{s.device ?? '—'}</td>
                          <td>{s.country ?? '—'}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {a.sessions.length >= limit && limit < MAX && (
                  <div class="load-more">
                    <button type="button" class="btn" onClick={() => navigate(loc.pathname + withParams(loc.search, { limit: String(limit + PAGE) }), { replace: true })}>
                      Show more
                    </button>
                  </div>
                )}
              </>
            )
          }
        </Async>
      </section>
    </Layout>
  );
}
