import { useState } from 'preact/hooks';
import { api, ApiError } from '../lib/api';
import { navigate } from '../lib/router';
import { safeNext } from '../lib/url';
import type { Credentials } from '../lib/types';
import { Logo } from '../components/Layout';

export function LoginPage(props: { search: string }) {
  const next = safeNext(new URLSearchParams(props.search).get('next'));
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/login', { method: 'POST', body: { username, password } satisfies Credentials, noRedirect: true });
      navigate(next, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError('Wrong username or password.');
      else if (err instanceof ApiError && err.status === 429) setError('Too many attempts. Wait a minute and try again.');
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <div class="login-page">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title">
        <Logo />
        <h1 id="login-title">Sign in to Fovea</h1>
        <p class="muted">Real user monitoring for your sites.</p>
        <label>
          Username
          <input name="username" autoComplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
            required
            autoFocus
          />
        </label>
        {error && (
          <div class="form-error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" class="btn primary block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
