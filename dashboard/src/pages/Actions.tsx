import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { Async, Empty } from '../components/States';
import { ParamSelect } from '../components/ParamSelect';
import { usePage, useAppApi } from '../lib/context';
import { formatCount, formatPercent } from '../lib/format';
import type { ActionRow, ActionsResponse } from '../lib/types';
import { routePath } from '../lib/url';
import { ACTION_ORDERS, ACTION_ORDER_LABEL, actionKey, actionLabel, actionOrderParam, parseActionOrder, shortId } from '../lib/actions';

/** The hot spots are a short worklist; the top actions a longer overview. */
const HOT_SPOTS = 10;
const TOP = 50;

export function ActionsPage() {
  const { params } = usePage();
  // `?order=` orders the top actions on the server; absent means by count
  const order = parseActionOrder(params.get('order'));
  const hot = useAppApi<ActionsResponse>('actions', { order: 'frustration', limit: HOT_SPOTS });
  const top = useAppApi<ActionsResponse>('actions', { order, limit: TOP });
  return (
    <Layout title="Actions">
      <section class="panel">
        <h2>Frustration hot spots</h2>
        <Async q={hot} what="frustration hot spots">
          {(a) =>
            a.actions.length === 0 ? (
              <Empty title="No rage, dead or error clicks in this time range" />
            ) : (
              <div class="table-wrap">
                <table class="table" data-testid="hot-spots">
                  <thead>
                    <tr>
                      <th>Page</th>
                      <th>Element</th>
                      <th class="num" title="Repeated clicks in a short time">Rage</th>
                      <th class="num" title="Clicks that changed nothing on the page">Dead</th>
                      <th class="num" title="Clicks followed by an error">Error</th>
                      <th class="num" title="Clicks with any frustration (one click can be several kinds)">Frustrated</th>
                      <th class="num" title="Frustrated clicks among all clicks on this element">Rate</th>
                      <th>Sessions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.actions.map((r) => (
                      <tr key={actionKey(r)}>
                        <PageCell row={r} />
                        <ElementCell row={r} />
                        <td class="num"><CountBadge n={r.rage} tone="ni" /></td>
                        <td class="num"><CountBadge n={r.dead} tone="ni" /></td>
                        <td class="num"><CountBadge n={r.error} tone="poor" /></td>
                        <td class="num">{formatCount(r.frustrated)}</td>
                        <td class="num">{formatPercent(r.frustration_rate)}</td>
                        <ExamplesCell row={r} />
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Async>
      </section>
      <section class="panel">
        <div class="panel-head">
          <h2>Top actions</h2>
          <ParamSelect label="Sort by" param="order" value={order} options={ACTION_ORDERS} labels={ACTION_ORDER_LABEL} toParam={(v) => actionOrderParam(parseActionOrder(v))} />
        </div>
        <Async q={top} what="actions">
          {(a) => {
            // ordered by rate, the server leaves out actions that never frustrated anyone
            if (a.actions.length === 0 && order === 'frustration_rate') return <Empty title="No rage, dead or error clicks in this time range" />;
            if (a.actions.length === 0) return <Empty title="No actions in this time range">Clicks and custom actions show up here once the SDK records them.</Empty>;
            return (
              <div class="table-wrap">
                <table class="table" data-testid="actions">
                  <thead>
                    <tr>
                      <th>Page</th>
                      <th>Element</th>
                      <th>Type</th>
                      <th class="num">Count</th>
                      <th class="num">Sessions</th>
                      <th class="num" title="Occurrences with a rage, dead or error click">Frustration rate</th>
                      <th title="Example sessions, frustrated ones first">Examples</th>
                    </tr>
                  </thead>
                  <tbody>
                    {a.actions.map((r) => (
                      <tr key={actionKey(r)}>
                        <PageCell row={r} />
                        <ElementCell row={r} />
                        <td>{r.action_type}</td>
                        <td class="num">{formatCount(r.count)}</td>
                        <td class="num">{formatCount(r.sessions)}</td>
                        <td class="num">{formatPercent(r.frustration_rate)}</td>
                        <ExamplesCell row={r} />
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

function PageCell(props: { row: ActionRow }) {
  return <td class="url-cell">{props.row.route || '—'}</td>;
}

function ElementCell(props: { row: ActionRow }) {
  const { name, target } = props.row;
  return (
    <td class="key-cell">
      {/* without a name the selector is the label: shown once, as code */}
      <span class={name == null && target != null ? 'mono' : undefined}>{actionLabel(props.row)}</span>
      {name != null && target != null && <div class="muted small mono">{target}</div>}
    </td>
  );
}

/** A count that stands out when it is not zero. */
function CountBadge(props: { n: number; tone: 'ni' | 'poor' }) {
  return props.n > 0 ? <span class={`badge ${props.tone}`}>{formatCount(props.n)}</span> : <>0</>;
}

function ExamplesCell(props: { row: ActionRow }) {
  const { app } = usePage();
  const ids = props.row.example_sessions.slice(0, 3);
  return (
    <td>
      {app == null || ids.length === 0 ? (
        <span class="muted">—</span>
      ) : (
        <span class="example-sessions">
          {ids.map((id) => (
            <Link key={id} href={routePath({ page: 'session', app: app.id, id })} class="mono" title={`Session ${id}`}>
              {shortId(id)}
            </Link>
          ))}
        </span>
      )}
    </td>
  );
}
