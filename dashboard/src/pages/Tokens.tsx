import { useState } from 'preact/hooks';
import { CopyButton } from '../components/Copy';
import { Layout } from '../components/Layout';
import { Async, Empty } from '../components/States';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import { formatAgo, formatDateTime } from '../lib/format';
import { tokenAccesses } from '../lib/role';
import { ACCESS_LABEL, bearerHeader } from '../lib/tokens';
import type { ApiToken, CreatedToken, NewToken, TokenAccess, TokensResponse } from '../lib/types';
import { useApi } from '../lib/useApi';

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The signed-in user's API tokens, for the CLI and scripts: create one (its
 * secret is shown this once), see when each was last used, revoke.
 */
export function TokensPage() {
  const { me, loc } = usePage();
  const list = useApi<TokensResponse>('/tokens', loc.epoch);
  const accesses = tokenAccesses(me);
  const [name, setName] = useState('');
  const [access, setAccess] = useState<TokenAccess>('read');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // the secret of the token just created: in this component's memory only, never the URL
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [listError, setListError] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    if (name.trim() === '') return;
    setBusy(true);
    setError(null);
    try {
      const t = await api<CreatedToken>('/tokens', { method: 'POST', body: { name: name.trim(), access } satisfies NewToken });
      setCreated(t);
      setName('');
      list.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (t: ApiToken) => {
    if (!window.confirm(`Revoke the token “${t.name}”? Scripts that use it are refused from now on. This cannot be undone.`)) return;
    setRevoking(t.id);
    setListError(null);
    try {
      await api(`/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
      if (created?.id === t.id) setCreated(null);
      list.reload();
    } catch (err) {
      setListError(errorText(err));
    } finally {
      setRevoking(null);
    }
  };

  return (
    <Layout title="API tokens" timeless>
      <p class="intro">
        A token lets the CLI and your scripts call this server's API as you, with the header{' '}
        <code>{bearerHeader('<token>')}</code> (for example <code>fovea sourcemaps upload --token</code>). A read token can
        only read; a read-and-write token can also change what your account may change.
      </p>
      <form class="panel form narrow" onSubmit={create} data-testid="token-add-form">
        <h2>Create a token</h2>
        <div class="form-row">
          <label>
            Name <span class="muted">(what it is for)</span>
            <input name="name" value={name} required maxLength={100} autoComplete="off" placeholder="CI source map upload" onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>
            Access
            <select name="access" value={access} onChange={(e) => setAccess(e.currentTarget.value as TokenAccess)}>
              {accesses.map((a) => (
                <option key={a} value={a}>
                  {ACCESS_LABEL[a]}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && (
          <div class="form-error" role="alert" data-testid="token-add-error">
            {error}
          </div>
        )}
        <div class="row-actions">
          <button type="submit" class="btn primary" disabled={busy || name.trim() === ''}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>
      {created != null && (
        <div class="notice hint server-key" role="status" data-testid="new-token">
          <strong>Copy the token “{created.name}” now: it will not be shown again.</strong>
          <div class="key-line">
            <code class="ingest-key" data-testid="token-value">
              {created.token}
            </code>
            <CopyButton text={created.token} />
          </div>
          <span>
            Send it as <code>{bearerHeader('<token>')}</code>. Lost it? Revoke it below and create another.
          </span>
        </div>
      )}
      <section class="panel" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Your tokens</h2>
        {listError && (
          <div class="form-error" role="alert" data-testid="token-error">
            {listError}
          </div>
        )}
        <Async q={list} what="your tokens" rows={3}>
          {(d) => {
            if (d.tokens.length === 0) return <Empty title="No API tokens yet" />;
            const owners = d.tokens.some((t) => t.username !== me.username);
            return (
              <div class="table-wrap">
                <table class="table" data-testid="tokens-table">
                  <thead>
                    <tr>
                      <th>Name</th>
                      {owners && <th>Owner</th>}
                      <th>Access</th>
                      <th>Created</th>
                      <th>Last used</th>
                      <th class="actions-col">
                        <span class="visually-hidden">Revoke</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.tokens.map((t) => (
                      <tr key={t.id} data-testid="token-row" data-token-id={t.id}>
                        <td class="key-cell">{t.name}</td>
                        {owners && <td>{t.username}</td>}
                        <td>{ACCESS_LABEL[t.access] ?? t.access}</td>
                        <td class="small nowrap">{formatDateTime(t.created_at)}</td>
                        <td class="small nowrap" title={t.last_used_at == null ? undefined : formatDateTime(t.last_used_at)}>
                          {t.last_used_at == null ? 'never' : formatAgo(t.last_used_at)}
                        </td>
                        <td class="actions-col">
                          <button
                            type="button"
                            class="btn ghost small"
                            disabled={revoking != null}
                            aria-label={`Revoke ${t.name}`}
                            onClick={() => void revoke(t)}
                            data-testid="token-delete-button"
                          >
                            {revoking === t.id ? 'Revoking…' : 'Revoke'}
                          </button>
                        </td>
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
