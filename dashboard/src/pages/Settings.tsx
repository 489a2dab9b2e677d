import { useEffect, useState } from 'preact/hooks';
import { CodeBlock } from '../components/Copy';
import { Layout } from '../components/Layout';
import { Setup } from '../components/Setup';
import { Async, Empty } from '../components/States';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import type { App, SourceFile } from '../lib/types';
import { parseIntIn, parseNumberIn, parseOrigins } from '../lib/forms';
import { formatBytes, formatCount, formatDateTime } from '../lib/format';
import { groupByRelease, uploadCommand } from '../lib/sourcemaps';
import { useApi } from '../lib/useApi';

export function SettingsPage() {
  const { app } = usePage();
  return app == null ? null : <AppSettings app={app} />;
}

function AppSettings(props: { app: App }) {
  const { app } = props;
  const { params, reloadApps } = usePage();
  const [name, setName] = useState(app.name);
  const [origins, setOrigins] = useState(app.origins.join('\n'));
  const [sample, setSample] = useState(String(app.sample_rate));
  const [retention, setRetention] = useState(String(app.retention_days));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  useEffect(() => {
    setName(app.name);
    setOrigins(app.origins.join('\n'));
    setSample(String(app.sample_rate));
    setRetention(String(app.retention_days));
  }, [app.id, app.name, app.origins.join('\n'), app.sample_rate, app.retention_days]);

  const parsed = parseOrigins(origins);
  const sampleN = parseNumberIn(sample, 0, 100);
  const retentionN = parseIntIn(retention, 1, 3650);
  const valid = name.trim() !== '' && parsed.invalid.length === 0 && sampleN != null && retentionN != null;

  const save = async (e: Event) => {
    e.preventDefault();
    if (!valid) return;
    const patch: Partial<App> = {};
    if (name.trim() !== app.name) patch.name = name.trim();
    if (parsed.origins.join('\n') !== app.origins.join('\n')) patch.origins = parsed.origins;
    if (sampleN !== app.sample_rate) patch.sample_rate = sampleN;
    if (retentionN !== app.retention_days) patch.retention_days = retentionN;
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
            <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={100} />
          </label>
          <label>
            Allowed origins <span class="muted">(one per line; <code>*</code> allows any)</span>
            <textarea name="origins" rows={4} value={origins} onInput={(e) => setOrigins(e.currentTarget.value)} />
          </label>
          {parsed.invalid.length > 0 && (
            <div class="form-error" role="alert">
              Not an origin: {parsed.invalid.join(', ')}
            </div>
          )}
          <div class="form-row">
            <label>
              Sample rate (% of sessions kept)
              <input name="sample_rate" type="number" min={0} max={100} step="any" value={sample} onInput={(e) => setSample(e.currentTarget.value)} />
            </label>
            <label>
              Retention (days)
              <input name="retention_days" type="number" min={1} max={3650} step={1} value={retention} onInput={(e) => setRetention(e.currentTarget.value)} />
            </label>
          </div>
          {sampleN == null && <div class="form-error">Sample rate is a percentage from 0 to 100.</div>}
          {retentionN == null && <div class="form-error">Retention is a whole number of days from 1 to 3650.</div>}
          {message && (
            <div class={message.ok ? 'form-ok' : 'form-error'} role="status">
              {message.text}
            </div>
          )}
          <div class="row-actions">
            <button type="submit" class="btn primary" disabled={busy || !valid}>
              {busy ? 'Saving…' : 'Save'}
            </button>
          </div>
        </form>
        <section class="panel">
          <h2>Install</h2>
          <Setup app={app} />
        </section>
      </div>
      <SourceMaps app={app} />
    </Layout>
  );
}

function SourceMaps(props: { app: App }) {
  const { app } = props;
  const base = `/apps/${encodeURIComponent(app.id)}/sourcemaps`;
  const list = useApi<{ sourcemaps: SourceFile[] }>(base);
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
                    <button
                      type="button"
                      class="btn small"
                      disabled={busy != null}
                      onClick={() => remove(`Delete every file of release ${r.release}? Its errors will show minified stacks again.`, `${base}?release=${encodeURIComponent(r.release)}`, `release ${r.release}`)}
                    >
                      {busy === `release ${r.release}` ? 'Deleting…' : 'Delete release'}
                    </button>
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
                          <th class="actions-col">
                            <span class="visually-hidden">Delete</span>
                          </th>
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
