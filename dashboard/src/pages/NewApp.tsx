import { useState } from 'preact/hooks';
import { Layout } from '../components/Layout';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import { navigate } from '../lib/router';
import { handOverServerKey } from '../lib/serverKey';
import type { CreatedApp, NewApp } from '../lib/types';
import { routePath } from '../lib/url';
import { parseOrigins } from '../lib/forms';
import { mayCreateApp } from '../lib/role';
import { Empty } from '../components/States';

export function NewAppPage(props: { first: boolean }) {
  const { apps, me, reloadApps } = usePage();
  const [name, setName] = useState('');
  const [origins, setOrigins] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (props.first && apps.length > 0) return null; // redirecting to the first app
  if (!mayCreateApp(me)) {
    return (
      <Layout title={props.first ? 'Welcome to Fovea' : 'New app'} timeless>
        <Empty title={apps.length === 0 ? 'No app is shared with you yet' : 'Only admins create apps'}>
          Ask an admin of this Fovea to {apps.length === 0 ? 'give you access to an app' : 'create it and give you access'}.
        </Empty>
      </Layout>
    );
  }
  const parsed = parseOrigins(origins);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (parsed.invalid.length > 0) return;
    setBusy(true);
    setError(null);
    try {
      const app = await api<CreatedApp>('/apps', { method: 'POST', body: { name: name.trim(), origins: parsed.origins } satisfies NewApp });
      // shown once, on the settings page this leads to, under "Backend tracing"
      if (app.server_key) handOverServerKey(app.id, app.server_key);
      reloadApps();
      navigate(`${routePath({ page: 'settings', app: app.id })}?created=1`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Layout title={props.first ? 'Welcome to Fovea' : 'New app'} timeless>
      {props.first && (
        <div class="intro">
          <p>
            Fovea measures what real visitors experience on your site: Core Web Vitals, errors, slow resources and whole
            sessions. Start by creating an app for your site; you will then get a snippet to paste into its pages.
          </p>
        </div>
      )}
      <form class="panel form narrow" onSubmit={submit}>
        <h2>Create an app</h2>
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="shop" required maxLength={100} />
        </label>
        <label>
          Allowed origins <span class="muted">(one per line; <code>*</code> allows any)</span>
          <textarea
            name="origins"
            rows={3}
            value={origins}
            onInput={(e) => setOrigins(e.currentTarget.value)}
            placeholder="https://shop.example"
          />
        </label>
        {parsed.invalid.length > 0 && (
          <div class="form-error" role="alert">
            Not an origin: {parsed.invalid.join(', ')} (write scheme://host[:port], e.g. https://shop.example)
          </div>
        )}
        {error && (
          <div class="form-error" role="alert">
            {error}
          </div>
        )}
        <div class="row-actions">
          <button type="submit" class="btn primary" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create app'}
          </button>
        </div>
      </form>
    </Layout>
  );
}
