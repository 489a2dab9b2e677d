// @vitest-environment jsdom
// The account and admin pages: users (add, edit role and apps, reset a
// password, delete), API tokens (the secret shown once, revoke), the audit
// log (newest first, as text), and who is offered them in the sidebar.
import { h, render, type FunctionComponent } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Root } from '../src/Root';
import { AuditPage } from '../src/pages/Audit';
import { TokensPage } from '../src/pages/Tokens';
import { UsersPage } from '../src/pages/Users';
import type { ApiToken, App, AuditEntry, Me, User } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmount, unmountPage, until, type, choose, type Call } from './page';

// Root brings every page, the charts too: uPlot reads the pixel ratio with matchMedia when it loads
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
});

const BLOG: App = { ...APP, id: 'blog', name: 'Blog' };
const ADMIN: Me = { username: 'root', role: 'admin', apps: [], read_only: false };

function adminPage(path: string, page: FunctionComponent, me: Me = ADMIN) {
  const ctx = { ...pageCtx(path), me, apps: [APP, BLOG], app: undefined };
  return mountPage(ctx, h(page, {}));
}

/** The element `sel` finds in `el`; the tests below know it is there. */
const q = <T extends Element = HTMLElement>(el: ParentNode, sel: string) => el.querySelector(sel) as T;

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

// ---- users ----------------------------------------------------------------------

describe('UsersPage', () => {
  let calls: Call[];
  let users: User[];
  beforeEach(() => {
    users = [
      { username: 'zoe', role: 'viewer', apps: ['blog', 'gone'], created_at: 1733490000000 },
      { username: 'root', role: 'admin', apps: [], created_at: 1733400000000 },
    ];
    calls = mockFetch((c) => {
      if (c.url === '/api/v1/users' && c.method === 'GET') return { body: { users } };
      if (c.url === '/api/v1/users' && c.method === 'POST') {
        const b = c.body as User;
        if (users.some((u) => u.username === b.username)) return { status: 409, body: { error: 'conflict', message: 'user zoe exists' } };
        const u = { username: b.username, role: b.role, apps: b.apps, created_at: 1 };
        users = [...users, u];
        return { status: 201, body: u };
      }
      if (c.url.startsWith('/api/v1/users/') && c.method === 'PATCH') return { body: { ...users[0], ...(c.body as object) } };
      if (c.url.startsWith('/api/v1/users/') && c.method === 'DELETE') return { status: 204 };
      return { status: 404, body: { error: 'not_found' } };
    });
  });

  const rows = (el: HTMLElement) => [...el.querySelectorAll('[data-testid=user-row]')];

  it('lists the users by name with their role and apps, as text', async () => {
    const el = adminPage('/admin/users', UsersPage);
    await until(() => rows(el).length === 2, 'the users');
    expect(rows(el).map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent))).toEqual([
      ['root (you)', 'Admin', 'All apps'],
      ['zoe', 'Viewer', 'Blog, gone'],
    ]);
    expect(q(el, '[data-testid=users-table] th').textContent).toBe('Username');
  });

  it('adds a user with a role and apps, and shows the server message when it refuses', async () => {
    const el = adminPage('/admin/users', UsersPage);
    await until(() => rows(el).length === 2, 'the users');
    const form = q<HTMLFormElement>(el, '[data-testid=user-add-form]');
    const submit = q<HTMLButtonElement>(form, 'button[type=submit]');
    expect(submit.disabled).toBe(true);
    type(q(form, 'input[name=username]'), ' mia ');
    type(q(form, 'input[name=password]'), 's3cret-pass');
    choose(q(form, 'select[name=role]'), 'member');
    act(() => q<HTMLInputElement>(form, 'input[name=apps][value=shop]').click());
    expect(submit.disabled).toBe(false);
    act(() => form.requestSubmit());
    await until(() => q(form, '[data-testid=user-add-message]') != null, 'the answer');
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.body).toEqual({ username: 'mia', password: 's3cret-pass', role: 'member', apps: ['shop'] });
    expect(post.headers['X-Fovea-Csrf']).toBe('1');
    expect(q(form, '[data-testid=user-add-message]').textContent).toBe('User mia added.');
    await until(() => rows(el).length === 3, 'the new user in the list');
    expect(q<HTMLInputElement>(form, 'input[name=password]').value).toBe('');

    type(q(form, 'input[name=username]'), 'zoe');
    type(q(form, 'input[name=password]'), 'x');
    act(() => form.requestSubmit());
    await until(() => q(form, '[data-testid=user-add-message]')?.textContent === 'user zoe exists', 'the refusal');
    expect(q(form, '[data-testid=user-add-message]').getAttribute('role')).toBe('alert');
  });

  it('sends no apps for an admin, and hides the app list', async () => {
    const el = adminPage('/admin/users', UsersPage);
    const form = q<HTMLFormElement>(el, '[data-testid=user-add-form]');
    expect(q(form, '[data-testid=user-add-apps] legend').textContent).toBe('Apps they may see');
    choose(q(form, 'select[name=role]'), 'admin');
    expect(q(form, '[data-testid=user-add-apps]')).toBeNull();
    type(q(form, 'input[name=username]'), 'ada');
    type(q(form, 'input[name=password]'), 'pw');
    act(() => form.requestSubmit());
    await until(() => calls.some((c) => c.method === 'POST'), 'the POST');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ username: 'ada', password: 'pw', role: 'admin', apps: [] });
  });

  it('changes a role and apps, and resets a password saying it signs the user out everywhere', async () => {
    const el = adminPage('/admin/users', UsersPage);
    await until(() => rows(el).length === 2, 'the users');
    const zoe = rows(el)[1]!;
    const edit = q<HTMLButtonElement>(zoe, '[data-testid=user-edit-button]');
    expect(edit.getAttribute('aria-label')).toBe('Edit zoe');
    act(() => edit.click());
    expect(edit.getAttribute('aria-expanded')).toBe('true');
    const editor = q(el, '[data-testid=user-editor]');
    const form = q<HTMLFormElement>(editor, '[data-testid=user-edit-form]');
    choose(q(form, 'select[name=role]'), 'member');
    act(() => q<HTMLInputElement>(form, 'input[name=apps][value=shop]').click());
    act(() => form.requestSubmit());
    await until(() => q(form, '[data-testid=user-edit-message]')?.textContent === 'Saved.', 'saved');
    const patch = calls.find((c) => c.method === 'PATCH')!;
    expect(patch.url).toBe('/api/v1/users/zoe');
    expect(patch.body).toEqual({ role: 'member', apps: ['shop', 'blog', 'gone'] });

    const pw = q<HTMLFormElement>(editor, '[data-testid=user-password-form]');
    expect(pw.textContent).toContain('signs zoe out everywhere');
    type(q(pw, 'input[name=password]'), 'n3w');
    act(() => pw.requestSubmit());
    await until(() => q(pw, '[data-testid=user-password-message]') != null, 'the answer');
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)[1]).toEqual({ password: 'n3w' });
    expect(q(pw, '[data-testid=user-password-message]').textContent).toBe('Password changed: zoe is signed out everywhere.');
  });

  it('deletes a user only after a confirmation', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const el = adminPage('/admin/users', UsersPage);
    await until(() => rows(el).length === 2, 'the users');
    const del = q<HTMLButtonElement>(rows(el)[1]!, '[data-testid=user-delete-button]');
    act(() => del.click());
    expect(confirm.mock.calls[0]![0]).toContain('Delete user zoe?');
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    confirm.mockReturnValue(true);
    act(() => del.click());
    await until(() => calls.some((c) => c.method === 'DELETE'), 'the DELETE');
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/v1/users/zoe');
  });
});

// ---- tokens ---------------------------------------------------------------------

describe('TokensPage', () => {
  let calls: Call[];
  let tokens: ApiToken[];
  beforeEach(() => {
    tokens = [{ id: 't1', name: '<b>ci</b>', access: 'read', created_at: 1733490000000, last_used_at: null, username: 'root' }];
    calls = mockFetch((c) => {
      if (c.url === '/api/v1/tokens' && c.method === 'GET') return { body: { tokens } };
      if (c.url === '/api/v1/tokens' && c.method === 'POST') {
        const b = c.body as { name: string; access: ApiToken['access'] };
        tokens = [...tokens, { id: 't2', ...b, created_at: 2, last_used_at: null, username: 'root' }];
        return { status: 201, body: { id: 't2', ...b, created_at: 2, token: 'fat_secret_once' } };
      }
      if (c.method === 'DELETE') return { status: 204 };
      return { status: 404, body: { error: 'not_found' } };
    });
  });

  const rows = (el: HTMLElement) => [...el.querySelectorAll('[data-testid=token-row]')];

  it('creates a token and shows its secret once, with a copy button', async () => {
    const el = adminPage('/account/tokens', TokensPage);
    await until(() => rows(el).length === 1, 'the tokens');
    // the name is text, not markup
    expect(rows(el)[0]!.querySelector('td')!.textContent).toBe('<b>ci</b>');
    expect(el.querySelector('b')).toBeNull();
    expect(rows(el)[0]!.textContent).toContain('never');

    const form = q<HTMLFormElement>(el, '[data-testid=token-add-form]');
    type(q(form, 'input[name=name]'), ' deploy ');
    choose(q(form, 'select[name=access]'), 'read-write');
    act(() => form.requestSubmit());
    await until(() => el.querySelector('[data-testid=new-token]') != null, 'the new token');
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ name: 'deploy', access: 'read-write' });
    const notice = q(el, '[data-testid=new-token]');
    expect(notice.getAttribute('role')).toBe('status');
    expect(q(notice, '[data-testid=token-value]').textContent).toBe('fat_secret_once');
    expect(notice.textContent).toContain('it will not be shown again');
    expect(q(notice, 'button').textContent).toBe('Copy');
    await until(() => rows(el).length === 2, 'the list reloaded');
    // the list never shows a secret
    expect(q(el, '[data-testid=tokens-table]').textContent).not.toContain('fat_secret_once');
  });

  it('offers a viewer read tokens only', () => {
    const el = adminPage('/account/tokens', TokensPage, { username: 'val', role: 'viewer', apps: ['shop'], read_only: false });
    const options = [...el.querySelectorAll<HTMLOptionElement>('select[name=access] option')].map((o) => o.value);
    expect(options).toEqual(['read']);
  });

  it('revokes a token after a confirmation', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    const el = adminPage('/account/tokens', TokensPage);
    await until(() => rows(el).length === 1, 'the tokens');
    const revoke = q<HTMLButtonElement>(rows(el)[0]!, '[data-testid=token-delete-button]');
    expect(revoke.getAttribute('aria-label')).toBe('Revoke <b>ci</b>');
    act(() => revoke.click());
    expect(confirm).toHaveBeenCalledTimes(1);
    await until(() => calls.some((c) => c.method === 'DELETE'), 'the DELETE');
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/v1/tokens/t1');
  });
});

// ---- audit log ------------------------------------------------------------------

describe('AuditPage', () => {
  it('asks for the latest 200 entries and shows them newest first, as text', async () => {
    const entries: AuditEntry[] = [
      { ts: 1733490000000, actor: 'root', action: 'user.create', target: 'mia', detail: null },
      { ts: 1733493600000, actor: 'root', action: 'app.update', target: 'shop', detail: '<img src=x onerror=alert(1)>' },
    ];
    const calls = mockFetch(() => ({ body: { entries } }));
    const el = adminPage('/admin/audit', AuditPage);
    await until(() => el.querySelectorAll('[data-testid=audit-row]').length === 2, 'the entries');
    expect(calls[0]!.url).toBe('/api/v1/audit?limit=200');
    const cells = [...el.querySelectorAll('[data-testid=audit-row]')].map((r) => [...r.querySelectorAll('td')].slice(1).map((td) => td.textContent));
    expect(cells).toEqual([
      ['root', 'app.update', 'shop', '<img src=x onerror=alert(1)>'],
      ['root', 'user.create', 'mia', '—'],
    ]);
    expect(el.querySelector('img')).toBeNull();
  });
});

// ---- navigation and guard --------------------------------------------------------

describe('account navigation', () => {
  let root: HTMLElement | null = null;
  afterEach(() => {
    if (root) {
      unmount(root);
      root = null;
    }
    window.history.replaceState(null, '', '/');
  });

  async function boot(path: string, me: Me) {
    window.history.replaceState(null, '', path);
    mockFetch((c) => {
      if (c.url === '/api/v1/me') return { body: me };
      if (c.url === '/api/v1/apps') return { body: { apps: [APP] } };
      if (c.url === '/api/v1/tokens') return { body: { tokens: [] } };
      if (c.url.startsWith('/api/v1/audit')) return { body: { entries: [] } };
      return { status: 404, body: { error: 'not_found' } };
    });
    root = document.createElement('div');
    document.body.append(root);
    const el = root;
    act(() => render(h(Root, {}), el));
    await until(() => el.querySelector('.shell, .center-page .state') != null && el.querySelector('.loading') == null, 'the page');
    return el;
  }

  it('offers admins the users and the audit log, and "New app"', async () => {
    const el = await boot('/admin/audit', ADMIN);
    expect(el.querySelector('[data-testid=nav-tokens]')!.getAttribute('href')).toBe('/account/tokens');
    expect(el.querySelector('[data-testid=nav-users]')!.getAttribute('href')).toBe('/admin/users');
    expect(el.querySelector('[data-testid=nav-audit]')!.getAttribute('aria-current')).toBe('page');
    expect(el.querySelector('option[value=__new]')).not.toBeNull();
  });

  it('offers others their tokens only, and tells them an admin page is not theirs', async () => {
    const member: Me = { username: 'mia', role: 'member', apps: ['shop'], read_only: false };
    const tokens = await boot('/account/tokens', member);
    expect(tokens.querySelector('[data-testid=nav-tokens]')).not.toBeNull();
    expect(tokens.querySelector('[data-testid=nav-users]')).toBeNull();
    expect(tokens.querySelector('[data-testid=nav-audit]')).toBeNull();
    expect(tokens.querySelector('option[value=__new]')).toBeNull();
    unmount(root!);
    root = null;

    const audit = await boot('/admin/audit', member);
    expect(audit.querySelector('[data-testid=admins-only]')!.textContent).toContain('For admins only');
  });
});
