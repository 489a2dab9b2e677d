import { useEffect, useState } from 'preact/hooks';
import { Layout } from '../components/Layout';
import { Setup } from '../components/Setup';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import type { App } from '../lib/types';
import { parseIntIn, parseNumberIn, parseOrigins } from '../lib/forms';
import { formatDateTime } from '../lib/format';

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
    </Layout>
  );
}
