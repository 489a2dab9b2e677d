import type { ComponentChildren } from 'preact';
import { Layout } from '../components/Layout';
import { Link } from '../components/Link';
import { NumHeaders } from '../components/NumHeaders';
import { Async } from '../components/States';
import { DailyChart } from '../charts/DailyChart';
import { usePage, useAppApi } from '../lib/context';
import { formatBytes, formatCount, formatDateTime, formatPercent } from '../lib/format';
import { navigate } from '../lib/router';
import type { App, Usage, UsageDay } from '../lib/types';
import {
  COUNTS_LABEL,
  countsLabel,
  dayDropped,
  dayEvents,
  DROP_LABEL,
  DROP_REASONS,
  EVENT_KINDS,
  EVENT_LABEL,
  hasQuota,
  quotaReached,
  quotaUse,
  STORED_KINDS,
  STORED_LABEL,
  totals,
  utcDay,
} from '../lib/usage';
import { routePath, withParams } from '../lib/url';

/** `?extrapolate=true` shows sessions, views and events weighted by 1/sample rate. */
const PARAM = 'extrapolate';

/**
 * Usage & cost: what the app stored per UTC day of the time range, what it
 * keeps now and will store in 30 days, what was dropped and why, and where it
 * stands against its daily quotas. The page filters do not apply: these are
 * the whole app's figures.
 */
export function UsagePage() {
  const { app, params, loc, range } = usePage();
  const extrapolate = params.get(PARAM) === 'true';
  const usage = useAppApi<Usage>('usage', { extrapolate }, { filters: false });
  // the same view counted another way: no new history entry, no scroll to the top
  const choose = (on: boolean) => navigate(loc.pathname + withParams(loc.search, { [PARAM]: on ? 'true' : null }), { replace: true });
  if (app == null) return null;
  return (
    <Layout title="Usage & cost" unfiltered>
      <div class="toolbar usage-toolbar">
        <div class="segmented" role="group" aria-label="Counts">
          <button type="button" class={extrapolate ? '' : 'active'} aria-pressed={!extrapolate} onClick={() => choose(false)} data-testid="counts-raw">
            Raw counts
          </button>
          <button type="button" class={extrapolate ? 'active' : ''} aria-pressed={extrapolate} onClick={() => choose(true)} data-testid="counts-extrapolated">
            Extrapolated (weighted by 1/sample rate)
          </button>
        </div>
        {range.kind === 'absolute' && (
          <span class="chip muted" title="Fixed time window">
            {formatDateTime(range.from)} → {formatDateTime(range.to)}
          </span>
        )}
        <span class="muted small">The whole app: filters do not apply. Days are UTC days.</span>
      </div>
      <Async q={usage} what="the usage" rows={5}>
        {(u) => <UsageView usage={u} app={app} />}
      </Async>
    </Layout>
  );
}

function UsageView(props: { usage: Usage; app: App }) {
  const { usage: u, app } = props;
  // the server says which it answered
  const mode = countsLabel(u.extrapolated);
  const t = totals(u.days);
  const dates = u.days.map((d) => d.date);
  const sampling = routePath({ page: 'settings', app: app.id }) + '#sampling';
  return (
    <>
      {u.warning != null && (
        <div class="notice hint usage-warning" data-testid="usage-warning">
          <strong>High volume at full sampling:</strong> {u.warning.message} ({formatCount(u.warning.sessions_per_day)} sessions a day;
          the warning starts at {formatCount(u.warning.threshold)}.){' '}
          <Link href={sampling}>Set sampling rules</Link>
        </div>
      )}
      <section class="cards count-cards usage-cards" aria-label="Totals in this time range" data-testid="usage-totals">
        <Stat label="Sessions" value={formatCount(t.sessions)} meta={mode} testid="sessions" />
        <Stat label="Page views" value={formatCount(t.views)} meta={mode} testid="views" />
        <Stat label="Events" value={formatCount(t.events)} meta={`${mode}; besides views`} testid="events" />
        <Stat label="Replay" value={formatBytes(t.replay_bytes)} meta={`${formatCount(t.replay_segments)} segments; ${COUNTS_LABEL.raw}`} testid="replay" />
        <Stat label="Dropped" value={formatCount(t.dropped)} meta={COUNTS_LABEL.raw} testid="dropped" />
      </section>
      <div class="grid two">
        <ChartPanel title="Sessions and views per day" mode={mode}>
          <DailyChart
            title={`Sessions and views per day (${mode})`}
            dates={dates}
            format={formatCount}
            series={[
              { label: 'Sessions', values: u.days.map((d) => d.sessions), color: '--chart-line' },
              { label: 'Page views', values: u.days.map((d) => d.views), color: '--t-action' },
            ]}
          />
        </ChartPanel>
        <ChartPanel title="Events per day by type" mode={mode}>
          <DailyChart
            title={`Events per day by type (${mode})`}
            dates={dates}
            format={formatCount}
            series={EVENT_KINDS.map((k) => ({ label: EVENT_LABEL[k], values: u.days.map((d) => d.events[k] ?? 0), color: `--t-${k}` }))}
          />
        </ChartPanel>
        <ChartPanel title="Replay bytes per day" mode={COUNTS_LABEL.raw}>
          <DailyChart
            title={`Replay bytes per day (${COUNTS_LABEL.raw})`}
            dates={dates}
            format={formatBytes}
            series={[{ label: 'Replay bytes', values: u.days.map((d) => d.replay_bytes), color: '--chart-line' }]}
          />
        </ChartPanel>
        <ChartPanel title="Dropped per day by reason" mode={COUNTS_LABEL.raw}>
          <DailyChart
            title={`Dropped per day by reason (${COUNTS_LABEL.raw})`}
            dates={dates}
            format={formatCount}
            series={DROP_REASONS.map((r) => ({ label: DROP_LABEL[r], values: u.days.map((d) => d.dropped[r] ?? 0), color: DROP_COLOR[r] }))}
          />
        </ChartPanel>
      </div>
      <div class="grid two">
        <StoredBytes usage={u} />
        <section class="panel" data-testid="usage-projection">
          <h2>Next 30 days</h2>
          <p class="muted small">Projected, at the current pace:</p>
          <div class="stats">
            <Figure label="Sessions" value={formatCount(u.projection_30d.sessions)} />
            <Figure label="Events" value={formatCount(u.projection_30d.events)} />
            <Figure label="Bytes" value={formatBytes(u.projection_30d.bytes)} />
          </div>
          <p class="muted small">
            What would other sampling rules cost? <Link href={sampling}>Estimate it in Settings → Sampling</Link> before saving them.
          </p>
        </section>
      </div>
      <Quotas usage={u} app={app} />
      <section class="panel flush">
        <div class="panel-head padded">
          <h2>Per day</h2>
          <span class="muted small" data-testid="usage-mode">
            Sessions, views and events: {mode}. Replay, spans and drops: {COUNTS_LABEL.raw}.
          </span>
        </div>
        <DaysTable days={u.days} mode={mode} />
      </section>
    </>
  );
}

const DROP_COLOR: Record<(typeof DROP_REASONS)[number], string> = {
  sampled: '--chart-axis',
  bot: '--t-action',
  excluded: '--t-resource',
  quota: '--chart-poor',
};

function Stat(props: { label: string; value: string; meta: string; testid: string }) {
  return (
    <div class="card count-card static" data-testid={`usage-${props.testid}`}>
      <div class="card-title">{props.label}</div>
      <div class="card-value">{props.value}</div>
      <div class="card-meta">{props.meta}</div>
    </div>
  );
}

function Figure(props: { label: string; value: string }) {
  return (
    <div>
      <div class="stat-label">{props.label}</div>
      <div class="stat-value">{props.value}</div>
    </div>
  );
}

function ChartPanel(props: { title: string; mode: string; children: ComponentChildren }) {
  return (
    <section class="panel">
      <h2>
        {props.title} <span class="muted small">{props.mode}</span>
      </h2>
      {props.children}
    </section>
  );
}

function StoredBytes(props: { usage: Usage }) {
  const { stored_bytes: stored, retention_days } = props.usage;
  const total = STORED_KINDS.reduce((n, k) => n + (stored[k] ?? 0), 0);
  return (
    <section class="panel" data-testid="usage-stored">
      <h2>
        Stored now <span class="muted small">{formatBytes(total)}, kept {formatCount(retention_days)} days</span>
      </h2>
      <ul class="bar-list">
        {STORED_KINDS.map((k) => (
          <li key={k}>
            <span class="bar-label">{STORED_LABEL[k]}</span>
            <span class="bar-track" aria-hidden="true">
              <span class="bar-fill" style={{ width: `${total > 0 ? ((stored[k] ?? 0) / total) * 100 : 0}%` }} />
            </span>
            <span class="bar-num">{formatBytes(stored[k] ?? 0)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * The app's daily quotas (set in Settings) and today's use of them, as the
 * server counts it (`usage.quota`: raw, whatever the time range and the
 * toggle), and when a quota used up was reached.
 */
function Quotas(props: { usage: Usage; app: App }) {
  const { usage: u, app } = props;
  const { loc } = usePage();
  const today = utcDay(loc.at);
  const settings = routePath({ page: 'settings', app: app.id });
  if (!hasQuota(u.quota)) {
    return (
      <section class="panel" data-testid="usage-quotas">
        <h2>Daily quotas</h2>
        <p class="muted">
          None: the app stores whatever its pages send. <Link href={settings}>Set daily quotas in Settings</Link>.
        </p>
      </section>
    );
  }
  // drops are raw whatever the toggle; today is among the days when the range reaches it
  const day = u.days.find((d) => d.date === today.date);
  return (
    <section class="panel" data-testid="usage-quotas">
      <h2>
        Daily quotas <span class="muted small">today ({today.date}, UTC), {COUNTS_LABEL.raw}</span>
      </h2>
      <ul class="bar-list quota-list">
        {quotaUse(u.quota).map((x) => {
          const fmt = x.kind === 'events' ? formatCount : formatBytes;
          return (
            <li key={x.kind} data-testid={`quota-${x.kind}`} class={x.reached ? 'reached' : ''}>
              <span class="bar-label">{x.kind === 'events' ? 'Events' : 'Replay bytes'}</span>
              <span class="bar-track" aria-hidden="true">
                <span class={x.reached ? 'bar-fill poor' : 'bar-fill'} style={{ width: `${Math.min(1, x.share) * 100}%` }} />
              </span>
              <span class="bar-num">
                {fmt(x.used)} of {fmt(x.quota)} ({formatPercent(x.share)}){quotaReached(x)}
              </span>
            </li>
          );
        })}
      </ul>
      {day != null && day.dropped.quota > 0 && (
        <p class="muted small" data-testid="quota-dropped">
          {formatCount(day.dropped.quota)} dropped over quota today.
        </p>
      )}
      <p class="muted small">
        Change them in <Link href={settings}>Settings</Link>.
      </p>
    </section>
  );
}

/** The reasons a day's drops had: `sampled out 10, bots 2`. */
function dropReasons(d: UsageDay): string {
  return DROP_REASONS.filter((r) => (d.dropped[r] ?? 0) > 0)
    .map((r) => `${DROP_LABEL[r].toLowerCase()} ${formatCount(d.dropped[r])}`)
    .join(', ');
}

const DAY_COLUMNS = ['Sessions', 'Views', 'Events', 'Replay', 'Spans', 'Dropped'] as const;

function DaysTable(props: { days: UsageDay[]; mode: string }) {
  const { days, mode } = props;
  // newest first, as the other tables
  const rows = [...days].reverse();
  return (
    <div class="table-wrap">
      <table class="table" data-testid="usage-days">
        <caption class="visually-hidden">Usage per UTC day, newest first; sessions, views and events as {mode}</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <NumHeaders labels={DAY_COLUMNS} />
          </tr>
        </thead>
        <tbody>
          {rows.map((d) => (
            <tr key={d.date}>
              <th scope="row" class="day-cell">
                {d.date}
              </th>
              <td class="num">{formatCount(d.sessions)}</td>
              <td class="num">{formatCount(d.views)}</td>
              <td class="num">{formatCount(dayEvents(d))}</td>
              <td class="num">{formatBytes(d.replay_bytes)}</td>
              <td class="num">{formatCount(d.spans)}</td>
              <td class="num">
                {formatCount(dayDropped(d))}
                {dayDropped(d) > 0 && <span class="muted small drop-reasons"> ({dropReasons(d)})</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
