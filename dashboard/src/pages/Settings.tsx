import { useEffect, useState } from 'preact/hooks';
import { AsyncSnippet } from '../components/AsyncSnippet';
import { CodeBlock, CopyButton } from '../components/Copy';
import { Layout } from '../components/Layout';
import { SamplingEditor } from '../components/SamplingEditor';
import { Setup } from '../components/Setup';
import { Async, Empty } from '../components/States';
import { api, ApiError } from '../lib/api';
import { usePage } from '../lib/context';
import { erasePath, erasureFailed, erasureStatusPath, erasureText, eraseStep, isSending, pollDelay, startErasure, type EraseEvent, type EraseState, type EraseTarget } from '../lib/erasure';
import { GRACE_DEFAULT_HOURS, GRACE_MAX_HOURS, parseGraceHours, previousKeyNote, rotateQuestion } from '../lib/ingestKey';
import { mayWrite } from '../lib/role';
import { takeServerKey } from '../lib/serverKey';
import { keysProblem, parseLines, patternsProblem, sameList, USER_ID_MODE_HINT, USER_ID_MODE_LABEL, USER_ID_MODES } from '../lib/scrub';
import type { App, AppPatch, Erasure, ErasureAccepted, RotatedIngestKey, RotateKey, ServerKeyAnswer, SourceFilesResponse, UserIdMode } from '../lib/types';
import { parseIntIn, parseNumberIn, parseOrigins, parseQuota } from '../lib/forms';
import { formatBytes, formatCount, formatDateTime } from '../lib/format';
import { groupByRelease, uploadCommand } from '../lib/sourcemaps';
import { otlpEnvSnippet } from '../lib/snippet';
import { useApi } from '../lib/useApi';

const quotaText = (q: number | null | undefined) => (q == null ? '' : String(q));
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function SettingsPage() {
  const { app } = usePage();
  return app == null ? null : <AppSettings app={app} />;
}

function AppSettings(props: { app: App }) {
  const { app } = props;
  const { params, reloadApps, me } = usePage();
  // a viewer reads the settings; the fields stay readable but cannot change, and nothing offers to save
  const canWrite = mayWrite(me, app.id);
  const readOnly = !canWrite;
  const [name, setName] = useState(app.name);
  const [origins, setOrigins] = useState(app.origins.join('\n'));
  const [sample, setSample] = useState(String(app.sample_rate));
  const [retention, setRetention] = useState(String(app.retention_days));
  const [eventQuota, setEventQuota] = useState(quotaText(app.daily_event_quota));
  const [replayQuota, setReplayQuota] = useState(quotaText(app.daily_replay_bytes_quota));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  // a server key just created (with the app, or by a rotation), shown once
  const [issued, setIssued] = useState<Issued | null>(() => {
    const key = takeServerKey(app.id);
    return key == null ? null : { app: app.id, key };
  });
  useEffect(() => {
    setName(app.name);
    setOrigins(app.origins.join('\n'));
    setSample(String(app.sample_rate));
    setRetention(String(app.retention_days));
    setEventQuota(quotaText(app.daily_event_quota));
    setReplayQuota(quotaText(app.daily_replay_bytes_quota));
  }, [app.id, app.name, app.origins.join('\n'), app.sample_rate, app.retention_days, app.daily_event_quota, app.daily_replay_bytes_quota]);

  const parsed = parseOrigins(origins);
  const sampleN = parseNumberIn(sample, 0, 100);
  const retentionN = parseIntIn(retention, 1, 3650);
  const eventQuotaN = parseQuota(eventQuota);
  const replayQuotaN = parseQuota(replayQuota);
  const valid =
    name.trim() !== '' && parsed.invalid.length === 0 && sampleN != null && retentionN != null && eventQuotaN !== undefined && replayQuotaN !== undefined;

  const save = async (e: Event) => {
    e.preventDefault();
    if (!valid) return;
    const patch: AppPatch = {};
    if (name.trim() !== app.name) patch.name = name.trim();
    if (parsed.origins.join('\n') !== app.origins.join('\n')) patch.origins = parsed.origins;
    if (sampleN !== app.sample_rate) patch.sample_rate = sampleN;
    if (retentionN !== app.retention_days) patch.retention_days = retentionN;
    if (eventQuotaN !== (app.daily_event_quota ?? null)) patch.daily_event_quota = eventQuotaN;
    if (replayQuotaN !== (app.daily_replay_bytes_quota ?? null)) patch.daily_replay_bytes_quota = replayQuotaN;
    if (Object.keys(patch).length === 0) {
      setMessage({ ok: true, text: 'Nothing to save.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await api<App>(`/apps/${encodeURIComponent(app.id)}`, { method: 'PATCH', body: patch });
      reloadApps();
      setMessage({ ok: true, text: 'Saved.' });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Layout title="Settings" timeless>
      {params.get('created') === '1' && (
        <div class="notice good">
          App <strong>{app.name}</strong> created. Paste the snippet below into your site, then data appears within seconds.
          {issued?.app === app.id && ' Its server key, for backend traces, is under Backend tracing below: copy it now.'}
        </div>
      )}
      {readOnly && (
        <div class="notice" data-testid="read-only">
          Your account can read this app's settings but not change them: ask an admin.
        </div>
      )}
      <div class="grid two">
        <form class="panel form" onSubmit={save} data-testid="settings-form">
          <h2>App</h2>
          <div class="kv">
            <span class="muted">App id</span>
            <code>{app.id}</code>
            <span class="muted">Created</span>
            <span>{typeof app.created_at === 'number' ? formatDateTime(app.created_at) : String(app.created_at)}</span>
          </div>
          <label>
            Name
            <input name="name" value={name} readOnly={readOnly} onInput={(e) => setName(e.currentTarget.value)} required maxLength={100} />
          </label>
          <label>
            Allowed origins <span class="muted">(one per line; <code>*</code> allows any)</span>
            <textarea name="origins" rows={4} value={origins} readOnly={readOnly} onInput={(e) => setOrigins(e.currentTarget.value)} />
          </label>
          {parsed.invalid.length > 0 && (
            <div class="form-error" role="alert">
              Not an origin: {parsed.invalid.join(', ')}
            </div>
          )}
          <div class="form-row">
            <label>
              Sample rate (% of sessions kept by default; see Sampling below)
              <input name="sample_rate" type="number" min={0} max={100} step="any" value={sample} readOnly={readOnly} onInput={(e) => setSample(e.currentTarget.value)} />
            </label>
            <label>
              Retention (days)
              <input name="retention_days" type="number" min={1} max={3650} step={1} value={retention} readOnly={readOnly} onInput={(e) => setRetention(e.currentTarget.value)} />
            </label>
          </div>
          <div class="form-row">
            <label>
              Daily event quota <span class="muted">(empty: unlimited)</span>
              <input name="daily_event_quota" type="number" min={0} step={1} value={eventQuota} readOnly={readOnly} onInput={(e) => setEventQuota(e.currentTarget.value)} />
            </label>
            <label>
              Daily replay quota (bytes) <span class="muted">(empty: unlimited)</span>
              <input name="daily_replay_bytes_quota" type="number" min={0} step={1} value={replayQuota} readOnly={readOnly} onInput={(e) => setReplayQuota(e.currentTarget.value)} />
            </label>
          </div>
          {(eventQuotaN === undefined || replayQuotaN === undefined) && (
            <div class="form-error">A quota is a whole number from 0, or empty for unlimited.</div>
          )}
          {sampleN == null && <div class="form-error">Sample rate is a percentage from 0 to 100.</div>}
          {retentionN == null && <div class="form-error">Retention is a whole number of days from 1 to 3650.</div>}
          {message && (
            <div class={message.ok ? 'form-ok' : 'form-error'} role="status">
              {message.text}
            </div>
          )}
          {canWrite && (
            <div class="row-actions">
              <button type="submit" class="btn primary" disabled={busy || !valid}>
                {busy ? 'Saving…' : 'Save'}
              </button>
            </div>
          )}
        </form>
        <section class="panel">
          <h2>Install</h2>
          <div class="setup">
            <AsyncSnippet app={app} />
            <Setup app={app} />
          </div>
        </section>
      </div>
      <SamplingEditor key={app.id} app={app} canWrite={canWrite} />
      {canWrite && <IngestKeyRotation app={app} />}
      <BackendTracing app={app} canWrite={canWrite} issued={issued?.app === app.id ? issued.key : null} onIssued={(key) => setIssued({ app: app.id, key })} />
      <SourceMaps app={app} canWrite={canWrite} />
      <Privacy app={app} canWrite={canWrite} />
    </Layout>
  );
}

interface Issued {
  app: string;
  key: string;
}

/**
 * The server key backends send their spans with (OTLP, `x-fovea-key`), the
 * OpenTelemetry environment to use it, and the template of links to the
 * user's own tracing tool.
 */
function BackendTracing(props: { app: App; canWrite: boolean; issued: string | null; onIssued: (key: string) => void }) {
  const { app, issued, canWrite } = props;
  const { reloadApps } = usePage();
  const has = app.has_server_key || issued != null;
  const [busy, setBusy] = useState(false);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [template, setTemplate] = useState(app.trace_url_template ?? '');
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    setTemplate(app.trace_url_template ?? '');
    setMessage(null);
  }, [app.id, app.trace_url_template]);
  useEffect(() => setKeyError(null), [app.id]);

  const rotate = async () => {
    if (has && !window.confirm(`Rotate the server key of ${app.name}? The current key stops working at once: backends that send with it are refused until they have the new one.`)) return;
    setBusy(true);
    setKeyError(null);
    try {
      const a = await api<ServerKeyAnswer>(`/apps/${encodeURIComponent(app.id)}/server-key`, { method: 'POST' });
      props.onIssued(a.server_key);
      reloadApps();
    } catch (err) {
      setKeyError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const saveTemplate = async (e: Event) => {
    e.preventDefault();
    const next = template.trim() === '' ? null : template.trim();
    if (next === (app.trace_url_template ?? null)) {
      setMessage({ ok: true, text: 'Nothing to save.' });
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      await api<App>(`/apps/${encodeURIComponent(app.id)}`, { method: 'PATCH', body: { trace_url_template: next } satisfies AppPatch });
      reloadApps();
      setMessage({ ok: true, text: next == null ? 'Saved: traces link nowhere else.' : 'Saved.' });
    } catch (err) {
      setMessage({ ok: false, text: err instanceof Error ? err.message : String(err) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <section class="panel backend-tracing" data-testid="backend-tracing">
      <h2>Backend tracing</h2>
      <p class="muted">
        Your backends send their spans with OpenTelemetry (OTLP over HTTP) to this server; the SDK's fetch and XHR calls to the
        URLs in its <code>allowedTracingUrls</code> carry a <code>traceparent</code>, so each request can be followed from the
        browser into your services. Connect a backend with OpenTelemetry: docs/tracing.md.
      </p>
      <div class="key-line">
        <span class="muted">Server key</span>
        <span data-testid="server-key-status">{has ? 'set (shown only when it is created)' : 'none yet: backends cannot send traces'}</span>
        {canWrite && (
          <button type="button" class="btn small" disabled={busy} onClick={rotate} data-testid="server-key-button">
            {busy ? (has ? 'Rotating…' : 'Creating…') : has ? 'Rotate server key' : 'Create server key'}
          </button>
        )}
      </div>
      {keyError && (
        <div class="form-error" role="alert">
          {keyError}
        </div>
      )}
      {issued != null && (
        <div class="notice hint server-key" role="status" data-testid="new-server-key">
          <strong>Copy this server key now: it will not be shown again.</strong> Rotating makes a new one and stops this one.
          <div class="key-line">
            <code class="ingest-key" data-testid="server-key">
              {issued}
            </code>
            <CopyButton text={issued} />
          </div>
        </div>
      )}
      <CodeBlock label="OpenTelemetry SDK environment" code={otlpEnvSnippet(window.location.origin, issued)} />
      <p class="muted small">
        The SDKs append <code>/v1/traces</code> to the endpoint. Set <code>OTEL_SERVICE_NAME</code> too: it names the service
        on the Services page.
      </p>
      <form class="form" onSubmit={saveTemplate} data-testid="trace-link-form">
        <label>
          Trace link template{' '}
          <span class="muted">
            (a URL with <code>{'{trace_id}'}</code>, e.g. <code>{'https://jaeger.example/trace/{trace_id}'}</code>; the trace page
            links there. Empty: no link)
          </span>
          <input
            name="trace_url_template"
            type="text"
            inputMode="url"
            spellcheck={false}
            autoComplete="off"
            value={template}
            readOnly={!canWrite}
            placeholder="https://jaeger.example/trace/{trace_id}"
            onInput={(e) => setTemplate(e.currentTarget.value)}
          />
        </label>
        {message && (
          <div class={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="trace-link-message">
            {message.text}
          </div>
        )}
        {canWrite && (
          <div class="row-actions">
            <button type="submit" class="btn primary" disabled={saving}>
              {saving ? 'Saving…' : 'Save link'}
            </button>
          </div>
        )}
      </form>
    </section>
  );
}

function SourceMaps(props: { app: App; canWrite: boolean }) {
  const { app, canWrite } = props;
  const base = `/apps/${encodeURIComponent(app.id)}/sourcemaps`;
  const list = useApi<SourceFilesResponse>(base);
  // the release or file id being deleted; one at a time keeps the list and the server in step
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = async (question: string, path: string, key: string) => {
    if (!window.confirm(question)) return;
    setBusy(key);
    setError(null);
    try {
      await api(path, { method: 'DELETE' });
      list.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="panel sourcemaps" data-testid="sourcemaps">
      <h2>Source maps</h2>
      <p class="muted">
        Upload each release's bundles and source maps after you build it, and errors of that release show the original
        functions, files, lines and code. The release must be the SDK's <code>release</code> option; the token is an API
        token such as the server's <code>FOVEA_ADMIN_TOKEN</code>. See docs/errors.md.
      </p>
      <CodeBlock label="Upload with the CLI" code={uploadCommand(window.location.origin, app.id)} />
      {error && (
        <div class="form-error" role="alert">
          {error}
        </div>
      )}
      <Async q={list} what="the source maps" rows={3}>
        {(d) => {
          const releases = groupByRelease(d.sourcemaps);
          if (releases.length === 0) return <Empty title="No source maps uploaded yet" />;
          return (
            <div class="sm-releases">
              {releases.map((r) => (
                <div key={r.release} class="sm-release" data-testid="sourcemap-release">
                  <div class="sm-release-head">
                    <h3>
                      Release <code>{r.release}</code>
                    </h3>
                    <span class="muted small">
                      {formatCount(r.files.length)} {r.files.length === 1 ? 'file' : 'files'} · {formatBytes(r.bytes)} · uploaded{' '}
                      {formatDateTime(r.uploaded_at)}
                    </span>
                    {canWrite && (
                      <button
                        type="button"
                        class="btn small"
                        disabled={busy != null}
                        onClick={() => remove(`Delete every file of release ${r.release}? Its errors will show minified stacks again.`, `${base}?release=${encodeURIComponent(r.release)}`, `release ${r.release}`)}
                      >
                        {busy === `release ${r.release}` ? 'Deleting…' : 'Delete release'}
                      </button>
                    )}
                  </div>
                  <div class="table-wrap">
                    <table class="table">
                      <thead>
                        <tr>
                          <th>URL</th>
                          <th>Kind</th>
                          <th>Debug id</th>
                          <th class="num">Size</th>
                          <th>Uploaded</th>
                          {canWrite && (
                            <th class="actions-col">
                              <span class="visually-hidden">Delete</span>
                            </th>
                          )}
                        </tr>
                      </thead>
                      <tbody>
                        {r.files.map((f) => (
                          <tr key={f.id}>
                            <td class="url-cell mono" title={`sha256 ${f.sha256}`}>
                              {f.url}
                            </td>
                            <td>{f.kind === 'map' ? 'source map' : 'bundle'}</td>
                            <td class="mono small">{f.debug_id ?? '—'}</td>
                            <td class="num">{formatBytes(f.bytes)}</td>
                            <td class="small">{formatDateTime(f.uploaded_at)}</td>
                            {canWrite && (
                              <td class="actions-col">
                                <button
                                  type="button"
                                  class="btn ghost small"
                                  disabled={busy != null}
                                  aria-label={`Delete ${f.url}`}
                                  onClick={() => remove(`Delete ${f.url} of release ${r.release}? Errors it mapped will show minified frames again.`, `${base}/${encodeURIComponent(f.id)}`, f.id)}
                                >
                                  {busy === f.id ? 'Deleting…' : 'Delete'}
                                </button>
                              </td>
                            )}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </div>
              ))}
            </div>
          );
        }}
      </Async>
    </section>
  );
}

/**
 * A new ingest key for the app's pages. The previous key is still accepted
 * for the grace period, so pages cached with it keep reporting while the new
 * snippet (above, once the app reloads) is deployed.
 */
function IngestKeyRotation(props: { app: App }) {
  const { app } = props;
  const { reloadApps } = usePage();
  const [grace, setGrace] = useState(String(GRACE_DEFAULT_HOURS));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // the answer of the latest rotation, for the app it was made for
  const [rotated, setRotated] = useState<{ app: string; at: number; answer: RotatedIngestKey } | null>(null);
  const graceN = parseGraceHours(grace);
  useEffect(() => setError(null), [app.id]);

  const rotate = async (e: Event) => {
    e.preventDefault();
    if (graceN == null || !window.confirm(rotateQuestion(app.name, graceN))) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api<RotatedIngestKey>(`/apps/${encodeURIComponent(app.id)}/rotate-key`, { method: 'POST', body: { grace_hours: graceN } satisfies RotateKey });
      setRotated({ app: app.id, at: Date.now(), answer });
      // the install snippets read the app's ingest key
      reloadApps();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const shown = rotated?.app === app.id ? rotated : null;
  return (
    <section class="panel settings-section" data-testid="ingest-key-rotation">
      <h2>Ingest key</h2>
      <p class="muted">
        The ingest key is public: it ships in your pages and can only send data. Rotate it when someone sends junk with it.
        The current key keeps working for a grace period, so pages that still carry it report until you have deployed the
        new snippet.
      </p>
      <form class="key-line" onSubmit={rotate} data-testid="rotate-key-form">
        <label class="inline">
          Grace period (hours, 0–{GRACE_MAX_HOURS})
          <input name="grace_hours" type="number" min={0} max={GRACE_MAX_HOURS} step={1} value={grace} class="short" onInput={(e) => setGrace(e.currentTarget.value)} />
        </label>
        <button type="submit" class="btn small" disabled={busy || graceN == null} data-testid="rotate-key-button">
          {busy ? 'Rotating…' : 'Rotate ingest key'}
        </button>
      </form>
      {graceN == null && <div class="form-error">The grace period is a whole number of hours from 0 to {GRACE_MAX_HOURS}.</div>}
      {error && (
        <div class="form-error" role="alert" data-testid="rotate-key-error">
          {error}
        </div>
      )}
      {shown != null && (
        <div class="notice hint server-key" role="status" data-testid="rotated-key">
          <strong>The app's new ingest key:</strong>
          <div class="key-line">
            <code class="ingest-key" data-testid="new-ingest-key">
              {shown.answer.ingest_key}
            </code>
            <CopyButton text={shown.answer.ingest_key} />
          </div>
          <span data-testid="previous-key-note">
            {previousKeyNote(shown.answer, shown.at)} The snippets on this page now carry the new key: put it in your pages
            {shown.answer.previous_key_expires_at > shown.at ? ' before then' : ''}.
          </span>
        </div>
      )}
    </section>
  );
}

/**
 * What the app stores of the people on its pages (its privacy settings, which
 * a viewer reads), and, for those who may change the app, erasing one
 * person's or one session's data.
 */
function Privacy(props: { app: App; canWrite: boolean }) {
  const { app, canWrite } = props;
  return (
    <section class="panel settings-section" data-testid="privacy">
      <h2>Privacy</h2>
      <PrivacySettings app={app} canWrite={canWrite} />
      {canWrite && <EraseData app={app} />}
    </section>
  );
}

const modeOf = (app: App): UserIdMode => app.user_id_mode ?? 'raw';

/**
 * The app's user id mode and its own scrub patterns and query keys, saved
 * together with `PATCH /apps/{app}` (only these three fields). The lists are
 * one entry per line (lib/scrub.ts); the server compiles the patterns and its
 * 400 names one it refuses.
 */
function PrivacySettings(props: { app: App; canWrite: boolean }) {
  const { app, canWrite } = props;
  const { reloadApps } = usePage();
  const [mode, setMode] = useState<UserIdMode>(modeOf(app));
  const [patterns, setPatterns] = useState((app.scrub_patterns ?? []).join('\n'));
  const [keys, setKeys] = useState((app.scrub_keys ?? []).join('\n'));
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const show = (a: App) => {
    setMode(modeOf(a));
    setPatterns((a.scrub_patterns ?? []).join('\n'));
    setKeys((a.scrub_keys ?? []).join('\n'));
  };
  useEffect(() => show(app), [app.id, app.user_id_mode, (app.scrub_patterns ?? []).join('\n'), (app.scrub_keys ?? []).join('\n')]);
  useEffect(() => setMessage(null), [app.id]);

  const patternList = parseLines(patterns);
  const keyList = parseLines(keys);
  const problems = [patternsProblem(patternList), keysProblem(keyList)].filter((p) => p != null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (problems.length > 0) return;
    if (mode === modeOf(app) && sameList(patternList, app.scrub_patterns ?? []) && sameList(keyList, app.scrub_keys ?? [])) {
      setMessage({ ok: true, text: 'Nothing to save.' });
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      const body: AppPatch = { user_id_mode: mode, scrub_patterns: patternList, scrub_keys: keyList };
      const saved = await api<App>(`/apps/${encodeURIComponent(app.id)}`, { method: 'PATCH', body });
      show(saved);
      reloadApps();
      setMessage({ ok: true, text: 'Saved: applies to data written from now on.' });
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="form" onSubmit={save} data-testid="privacy-form">
      <h3>What is stored</h3>
      <p class="muted">
        Emails, card numbers, IBANs, tokens, IP addresses, phone numbers and sensitive URL query values are always replaced by{' '}
        <code>[redacted]</code> before anything is stored (docs/privacy.md). Add what is personal on your own pages below. A
        change applies to data written from then on: what is stored already stays as it is.
      </p>
      <label>
        User ids <span class="muted">(what is stored of the id your site gives the SDK)</span>
        <select name="user_id_mode" value={mode} disabled={!canWrite} onChange={(e) => setMode(e.currentTarget.value as UserIdMode)} data-testid="user-id-mode">
          {USER_ID_MODES.map((m) => (
            <option key={m} value={m}>
              {USER_ID_MODE_LABEL[m]}: {USER_ID_MODE_HINT[m]}
            </option>
          ))}
        </select>
      </label>
      <div class="form-row">
        <label>
          Scrub patterns{' '}
          <span class="muted">
            (one regular expression per line, Rust regex syntax, e.g. <code>{'ORD-\\d{6}'}</code>; matches become{' '}
            <code>[redacted]</code>)
          </span>
          <textarea
            name="scrub_patterns"
            rows={4}
            spellcheck={false}
            autoComplete="off"
            value={patterns}
            readOnly={!canWrite}
            onInput={(e) => setPatterns(e.currentTarget.value)}
            data-testid="scrub-patterns"
          />
        </label>
        <label>
          Redacted query keys <span class="muted">(one per line; besides the built-in list, e.g. <code>token</code>, <code>email</code>)</span>
          <textarea
            name="scrub_keys"
            rows={4}
            spellcheck={false}
            autoComplete="off"
            value={keys}
            readOnly={!canWrite}
            onInput={(e) => setKeys(e.currentTarget.value)}
            data-testid="scrub-keys"
          />
        </label>
      </div>
      {problems.map((p) => (
        <div class="form-error" key={p}>
          {p}
        </div>
      ))}
      {message && (
        <div class={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="privacy-message">
          {message.text}
        </div>
      )}
      {canWrite && (
        <div class="row-actions">
          <button type="submit" class="btn primary" disabled={saving || problems.length > 0} data-testid="privacy-save">
            {saving ? 'Saving…' : 'Save privacy settings'}
          </button>
        </div>
      )}
    </form>
  );
}

/**
 * Erasing a user's or a session's data everywhere (events and replays), on
 * request of the person it is about. The server queues it; the page follows
 * the job until it is done (lib/erasure.ts).
 */
function EraseData(props: { app: App }) {
  const { app } = props;
  const [userId, setUserId] = useState('');
  const [sessionId, setSessionId] = useState('');
  const [state, setState] = useState<EraseState | null>(null);
  const step = (event: EraseEvent) => setState((s) => (s == null ? s : eraseStep(s, event)));

  // one status request per answer: each state of the polling schedules the next
  const delay = state == null ? null : pollDelay(state);
  const pollKey = state?.phase === 'polling' ? `${state.id} ${state.polls}` : null;
  useEffect(() => {
    if (state?.phase !== 'polling' || delay == null) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      api<Erasure>(erasureStatusPath(state.id), { signal: ctl.signal }).then(
        (erasure) => {
          if (!ctl.signal.aborted) step({ type: 'polled', erasure });
        },
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          const final = err instanceof ApiError && err.status >= 400 && err.status < 500;
          step({ type: 'poll-failed', message: errorText(err), final });
        },
      );
    }, delay);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [pollKey]);
  // another app's page: stop following this one's erasure
  useEffect(() => setState(null), [app.id]);

  const erase = async (target: EraseTarget) => {
    const question =
      target.kind === 'user'
        ? `Erase all data of user “${target.id}” in ${app.name}: their sessions, events and replays? This cannot be undone.`
        : `Erase session “${target.id}” of ${app.name}: its events and replay? This cannot be undone.`;
    if (!window.confirm(question)) return;
    setState(startErasure(target));
    try {
      const a = await api<ErasureAccepted>(erasePath(app.id, target), { method: 'DELETE' });
      step({ type: 'accepted', id: a.erasure_id });
      if (target.kind === 'user') setUserId('');
      else setSessionId('');
    } catch (err) {
      step({ type: 'refused', message: errorText(err) });
    }
  };

  const sending = isSending(state);
  return (
    <>
      <p class="muted">
        Erase what this app stored about one person (the user id your site gives the SDK) or one session, for example on a
        request under the GDPR. Events and replays are removed everywhere; this cannot be undone.
      </p>
      <div class="grid two">
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (userId.trim() !== '') void erase({ kind: 'user', id: userId.trim() });
          }}
          data-testid="erase-user-form"
        >
          <h3>Erase a user's data</h3>
          <label>
            User id
            <input name="user_id" value={userId} autoComplete="off" spellcheck={false} onInput={(e) => setUserId(e.currentTarget.value)} />
          </label>
          <div class="row-actions">
            <button type="submit" class="btn danger" disabled={sending || userId.trim() === ''} data-testid="erase-user-button">
              Erase user data
            </button>
          </div>
        </form>
        <form
          class="form"
          onSubmit={(e) => {
            e.preventDefault();
            if (sessionId.trim() !== '') void erase({ kind: 'session', id: sessionId.trim() });
          }}
          data-testid="erase-session-form"
        >
          <h3>Erase a session</h3>
          <label>
            Session id
            <input name="session_id" value={sessionId} autoComplete="off" spellcheck={false} onInput={(e) => setSessionId(e.currentTarget.value)} />
          </label>
          <div class="row-actions">
            <button type="submit" class="btn danger" disabled={sending || sessionId.trim() === ''} data-testid="erase-session-button">
              Erase session
            </button>
          </div>
        </form>
      </div>
      <div
        class={state == null ? 'erasure-status' : erasureFailed(state) ? 'erasure-status form-error' : state.phase === 'finished' ? 'erasure-status form-ok' : 'erasure-status'}
        role="status"
        data-testid="erasure-status"
        data-phase={state?.phase}
        data-erasure-status={state?.phase === 'finished' ? state.erasure.status : undefined}
      >
        {state == null ? '' : erasureText(state)}
      </div>
    </>
  );
}
