import type { ComponentChildren } from 'preact';
import { Link } from './Link';
import { TimeRangePicker } from './TimeRangePicker';
import { FilterBar } from './FilterBar';
import { usePage } from '../lib/context';
import { api } from '../lib/api';
import { navigate } from '../lib/router';
import { isAdmin, mayCreateApp } from '../lib/role';
import { parseThemePref, setThemePref, THEME_LABEL, THEME_PREFS, useTheme } from '../lib/theme';
import { routePath, sharedParams, type AppPage, type Route } from '../lib/url';

const NAV: { page: AppPage; label: string; icon: string }[] = [
  { page: 'overview', label: 'Overview', icon: 'M2 13h12M4 10v3M8 6v7M12 3v10' },
  { page: 'vitals', label: 'Web vitals', icon: 'M1.5 8h3l2-5 3 10 2-5h3' },
  { page: 'errors', label: 'Errors', icon: 'M8 1.8 14.5 13.5h-13zM8 6v3.5M8 11.5v.2' },
  { page: 'sessions', label: 'Sessions', icon: 'M8 8a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2.5 14.5c.6-3 2.8-4.5 5.5-4.5s4.9 1.5 5.5 4.5' },
  { page: 'actions', label: 'Actions', icon: 'M4 2v10.5l2.8-2.6 2 4.6 2-.9-2-4.5 3.8-.3z' },
  { page: 'resources', label: 'Resources', icon: 'M2 3h12M2 6.5h8M2 10h10M2 13.5h6' },
  { page: 'services', label: 'Services', icon: 'M2.5 2.5h11v4.5h-11zM2.5 9h11v4.5h-11zM5 4.75h.01M5 11.25h.01' },
  { page: 'usage', label: 'Usage & cost', icon: 'M8 14.5a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM10.2 5.6H7.3a1.2 1.2 0 0 0 0 2.4h1.4a1.2 1.2 0 0 1 0 2.4H5.8M8 4.2v1.4M8 10.4v1.4' },
  { page: 'settings', label: 'Settings', icon: 'M8 10.3a2.3 2.3 0 1 0 0-4.6 2.3 2.3 0 0 0 0 4.6zM8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.4 1.4M11.6 11.6 13 13M3 13l1.4-1.4M11.6 4.4 13 3' },
];

type AccountPage = 'tokens' | 'users' | 'audit';

/** Pages of no app: everyone's own API tokens; users and the audit log for admins. */
const ACCOUNT_NAV: { page: AccountPage; label: string; icon: string; admin: boolean }[] = [
  { page: 'tokens', label: 'API tokens', icon: 'M10.5 9.5a3.5 3.5 0 1 0-3.3-2.3L1.5 12.9V14.5h2.5v-1.5h1.5v-1.5H7l1.2-1.2c.7.4 1.5.7 2.3.7zM11.5 5h.01', admin: false },
  { page: 'users', label: 'Users', icon: 'M6 7.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM1.5 14c.4-2.6 2.2-4 4.5-4s4.1 1.4 4.5 4M11 2.7a2.5 2.5 0 0 1 0 4.6M12.5 10.2c1.1.6 1.8 1.9 2 3.8', admin: true },
  { page: 'audit', label: 'Audit log', icon: 'M3.5 1.5h9v13h-9zM5.5 4.5h5M5.5 7.5h5M5.5 10.5h3', admin: true },
];

/** The nav section a route belongs to (detail pages highlight their list). */
function section(route: Route): AppPage | null {
  switch (route.page) {
    case 'issue':
      return 'errors';
    case 'session':
      return 'sessions';
    case 'trace':
      return 'services';
    case 'overview':
    case 'vitals':
    case 'errors':
    case 'sessions':
    case 'actions':
    case 'resources':
    case 'services':
    case 'usage':
    case 'settings':
      return route.page;
    default:
      return null;
  }
}

function Icon(props: { d: string }) {
  return (
    <svg class="nav-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d={props.d} fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function Logo() {
  return (
    <span class="logo">
      <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
        <circle cx="16" cy="16" r="14" fill="#1f3a8a" />
        <circle cx="16" cy="16" r="7" fill="#fff" />
        <circle cx="16" cy="16" r="3.5" fill="#0cce6b" />
      </svg>
      Fovea
    </span>
  );
}

/** System, light or dark; the choice is remembered in this browser. */
function ThemeSwitch() {
  const { pref } = useTheme();
  return (
    <label class="theme-switch">
      <span class="theme-switch-label">Theme</span>
      {/* named here too: the visible label hides on narrow screens */}
      <select aria-label="Theme" value={pref} onChange={(e) => setThemePref(parseThemePref(e.currentTarget.value))} data-testid="theme">
        {THEME_PREFS.map((t) => (
          <option key={t} value={t}>
            {THEME_LABEL[t]}
          </option>
        ))}
      </select>
    </label>
  );
}

async function logout() {
  try {
    await api('/logout', { method: 'POST', noRedirect: true });
  } finally {
    navigate('/login', { replace: true });
  }
}

/**
 * The page frame. `timeless`: no time range picker nor filters (settings);
 * `unfiltered`: the time range picker but no filters (pages whose figures the
 * filters do not apply to, such as usage).
 */
export function Layout(props: { title: ComponentChildren; children: ComponentChildren; timeless?: boolean; unfiltered?: boolean; actions?: ComponentChildren }) {
  const { route, apps, app, me, loc } = usePage();
  const current = section(route);
  const keep = sharedParams(loc.search);
  const switchApp = (id: string) => {
    if (id === '__new') return navigate('/apps/new');
    const page = current ?? 'overview';
    navigate(routePath({ page, app: id } as Route) + keep);
  };
  return (
    <div class="shell">
      <aside class="sidebar">
        <div class="brand">
          <Link href={app ? routePath({ page: 'overview', app: app.id }) + keep : '/'}>
            <Logo />
          </Link>
        </div>
        <label class="app-switcher">
          <span class="visually-hidden">Application</span>
          <select
            aria-label="Application"
            value={app?.id ?? ''}
            onChange={(e) => switchApp(e.currentTarget.value)}
            data-testid="app-switcher"
          >
            {app == null && <option value="">Choose an app…</option>}
            {apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
            {mayCreateApp(me) && <option value="__new">+ New app…</option>}
          </select>
        </label>
        {app && (
          <nav class="nav" aria-label="Sections">
            {NAV.map((n) => (
              <Link
                key={n.page}
                href={routePath({ page: n.page, app: app.id } as Route) + keep}
                class={current === n.page ? 'nav-link active' : 'nav-link'}
                aria-current={current === n.page ? 'page' : undefined}
              >
                <Icon d={n.icon} />
                <span>{n.label}</span>
              </Link>
            ))}
          </nav>
        )}
        <nav class="nav nav-account" aria-label="Account">
          {ACCOUNT_NAV.filter((n) => !n.admin || isAdmin(me)).map((n) => (
            <Link
              key={n.page}
              href={routePath({ page: n.page })}
              class={route.page === n.page ? 'nav-link active' : 'nav-link'}
              aria-current={route.page === n.page ? 'page' : undefined}
              data-testid={`nav-${n.page}`}
            >
              <Icon d={n.icon} />
              <span>{n.label}</span>
            </Link>
          ))}
        </nav>
        <ThemeSwitch />
        <div class="user">
          <span class="user-name" title="Signed in">
            {me.username}
          </span>
          <button type="button" class="btn small ghost" onClick={logout} data-testid="logout">
            Log out
          </button>
        </div>
      </aside>
      <main class="main">
        <header class="topbar">
          <h1 class="page-title">{props.title}</h1>
          <div class="topbar-actions">
            {props.actions}
            {!props.timeless && <TimeRangePicker />}
          </div>
        </header>
        {!props.timeless && !props.unfiltered && <FilterBar />}
        <div class="content">{props.children}</div>
      </main>
    </div>
  );
}
