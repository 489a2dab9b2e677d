import { useState } from 'preact/hooks';
import { AppPicker } from '../components/AppPicker';
import { Layout } from '../components/Layout';
import { Async, Empty } from '../components/States';
import { api } from '../lib/api';
import { usePage } from '../lib/context';
import { formatDateTime } from '../lib/format';
import { ROLE_HINT, ROLE_LABEL, ROLES } from '../lib/role';
import type { App, NewUser, Role, User, UserPatch, UsersResponse } from '../lib/types';
import { appsMatter, newUserProblem, sortUsers, userAppsText, userPatch } from '../lib/users';
import { useApi } from '../lib/useApi';

type Message = { ok: boolean; text: string } | null;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The users of this Fovea (admins only): add, change role and apps, reset a password, delete. */
export function UsersPage() {
  const { apps, loc } = usePage();
  const list = useApi<UsersResponse>('/users', loc.epoch);
  return (
    <Layout title="Users" timeless>
      <p class="intro">
        Admins see every app and manage users; members read and manage the apps they are given (settings, keys, issues,
        source maps, erasure); viewers read the apps they are given and change nothing.
      </p>
      <AddUser apps={apps} onAdded={list.reload} />
      <section class="panel" aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <Async q={list} what="the users" rows={3}>
          {(d) => (d.users.length === 0 ? <Empty title="No users" /> : <UsersTable users={sortUsers(d.users)} apps={apps} reload={list.reload} />)}
        </Async>
      </section>
    </Layout>
  );
}

function RoleSelect(props: { value: Role; onChange: (r: Role) => void; name: string }) {
  return (
    <select name={props.name} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {ROLE_LABEL[r]}: {ROLE_HINT[r]}
        </option>
      ))}
    </select>
  );
}

function AddUser(props: { apps: App[]; onAdded: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [apps, setApps] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const problem = newUserProblem(username, password);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (problem != null) return;
    const body: NewUser = { username: username.trim(), password, role, apps: appsMatter(role) ? apps : [] };
    setBusy(true);
    setMessage(null);
    try {
      const user = await api<User>('/users', { method: 'POST', body });
      setMessage({ ok: true, text: `User ${user.username} added.` });
      setUsername('');
      setPassword('');
      setApps([]);
      props.onAdded();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="panel form narrow" onSubmit={submit} data-testid="user-add-form">
      <h2>Add a user</h2>
      <div class="form-row">
        <label>
          Username
          <input name="username" value={username} autoComplete="off" spellcheck={false} required maxLength={100} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" value={password} autoComplete="new-password" required onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Role
        <RoleSelect name="role" value={role} onChange={setRole} />
      </label>
      {appsMatter(role) ? (
        <AppPicker legend="Apps they may see" apps={props.apps} value={apps} onChange={setApps} data-testid="user-add-apps" />
      ) : (
        <p class="muted small">Admins see every app.</p>
      )}
      {message && (
        <div class={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="user-add-message">
          {message.text}
        </div>
      )}
      <div class="row-actions">
        <button type="submit" class="btn primary" disabled={busy || problem != null}>
          {busy ? 'Adding…' : 'Add user'}
        </button>
      </div>
    </form>
  );
}

function UsersTable(props: { users: User[]; apps: App[]; reload: () => void }) {
  const { me } = usePage();
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const remove = async (u: User) => {
    const you = u.username === me.username ? ' That is you: you will be signed out.' : '';
    if (!window.confirm(`Delete user ${u.username}? They can no longer sign in.${you} This cannot be undone.`)) return;
    setDeleting(u.username);
    setError(null);
    try {
      await api(`/users/${encodeURIComponent(u.username)}`, { method: 'DELETE' });
      if (editing === u.username) setEditing(null);
      props.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setDeleting(null);
    }
  };

  return (
    <>
      {error && (
        <div class="form-error" role="alert" data-testid="users-error">
          {error}
        </div>
      )}
      <div class="table-wrap">
        <table class="table" data-testid="users-table">
          <thead>
            <tr>
              <th>Username</th>
              <th>Role</th>
              <th>Apps</th>
              <th>Created</th>
              <th class="actions-col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.users.flatMap((u) => {
              const open = editing === u.username;
              const rows = [
                <tr key={u.username} data-testid="user-row" data-username={u.username}>
                  <td>
                    <strong>{u.username}</strong>
                    {u.username === me.username && <span class="muted small"> (you)</span>}
                  </td>
                  <td data-testid="user-role">{ROLE_LABEL[u.role] ?? u.role}</td>
                  <td class="key-cell" data-testid="user-apps">
                    {userAppsText(u, props.apps)}
                  </td>
                  <td class="small nowrap">{formatDateTime(u.created_at)}</td>
                  <td class="actions-col nowrap">
                    <button
                      type="button"
                      class="btn ghost small"
                      aria-expanded={open}
                      aria-label={`${open ? 'Close' : 'Edit'} ${u.username}`}
                      onClick={() => setEditing(open ? null : u.username)}
                      data-testid="user-edit-button"
                    >
                      {open ? 'Close' : 'Edit'}
                    </button>
                    <button
                      type="button"
                      class="btn ghost small"
                      disabled={deleting != null}
                      aria-label={`Delete ${u.username}`}
                      onClick={() => void remove(u)}
                      data-testid="user-delete-button"
                    >
                      {deleting === u.username ? 'Deleting…' : 'Delete'}
                    </button>
                  </td>
                </tr>,
              ];
              if (open) {
                rows.push(
                  <tr key={`${u.username} edit`} class="edit-row">
                    <td colSpan={5}>
                      <UserEditor user={u} apps={props.apps} saved={props.reload} />
                    </td>
                  </tr>,
                );
              }
              return rows;
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** One user's role and apps, and a new password; each saved on its own. */
function UserEditor(props: { user: User; apps: App[]; saved: () => void }) {
  const { user } = props;
  const { me } = usePage();
  const [role, setRole] = useState<Role>(user.role);
  const [apps, setApps] = useState<string[]>(user.apps);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<Message>(null);
  const [password, setPassword] = useState('');
  const [pwBusy, setPwBusy] = useState(false);
  const [pwMessage, setPwMessage] = useState<Message>(null);
  const path = `/users/${encodeURIComponent(user.username)}`;
  const you = user.username === me.username;

  const save = async (e: Event) => {
    e.preventDefault();
    const patch = userPatch(user, { role, apps });
    if (patch == null) {
      setMessage({ ok: true, text: 'Nothing to save.' });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      await api<User>(path, { method: 'PATCH', body: patch });
      setMessage({ ok: true, text: 'Saved.' });
      props.saved();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  };

  const setNewPassword = async (e: Event) => {
    e.preventDefault();
    if (password === '') return;
    setPwBusy(true);
    setPwMessage(null);
    try {
      const body: UserPatch = { password };
      await api<User>(path, { method: 'PATCH', body });
      setPassword('');
      setPwMessage({ ok: true, text: `Password changed: ${user.username} is signed out everywhere.` });
    } catch (err) {
      setPwMessage({ ok: false, text: errorText(err) });
    } finally {
      setPwBusy(false);
    }
  };

  return (
    <div class="user-editor" data-testid="user-editor">
      <form class="form" onSubmit={save} data-testid="user-edit-form">
        <h3>Role and apps</h3>
        <label>
          Role of {user.username}
          <RoleSelect name="role" value={role} onChange={setRole} />
        </label>
        {appsMatter(role) ? (
          <AppPicker legend={`Apps ${user.username} may see`} apps={props.apps} value={apps} onChange={setApps} data-testid="user-edit-apps" />
        ) : (
          <p class="muted small">Admins see every app.</p>
        )}
        {message && (
          <div class={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'} data-testid="user-edit-message">
            {message.text}
          </div>
        )}
        <div class="row-actions">
          <button type="submit" class="btn primary small" disabled={busy} data-testid="user-save">
            {busy ? 'Saving…' : 'Save role and apps'}
          </button>
        </div>
      </form>
      <form class="form" onSubmit={setNewPassword} data-testid="user-password-form">
        <h3>Reset password</h3>
        <label>
          New password for {user.username}
          <input name="password" type="password" autoComplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <p class="muted small">
          Changing the password signs {user.username} out everywhere{you ? ', this browser included' : ''}.
        </p>
        {pwMessage && (
          <div class={pwMessage.ok ? 'form-ok' : 'form-error'} role={pwMessage.ok ? 'status' : 'alert'} data-testid="user-password-message">
            {pwMessage.text}
          </div>
        )}
        <div class="row-actions">
          <button type="submit" class="btn small" disabled={pwBusy || password === ''} data-testid="user-password-button">
            {pwBusy ? 'Changing…' : 'Set password'}
          </button>
        </div>
      </form>
    </div>
  );
}
