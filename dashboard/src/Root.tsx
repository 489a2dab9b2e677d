import type { ComponentChildren } from 'preact';
import { useContext, useEffect, useMemo } from 'preact/hooks';
import { useLocation, navigate } from './lib/router';
import { parseFilters, parseRange, parseRoute, resolveRange, routePath, type Route } from './lib/url';
import { useApi } from './lib/useApi';
import { Ctx, type PageCtx } from './lib/context';
import type { AppsResponse, Me } from './lib/types';
import { ErrorState, Loading } from './components/States';
import { Logo } from './components/Layout';
import { LoginPage } from './pages/Login';
import { NewAppPage } from './pages/NewApp';
import { OverviewPage } from './pages/Overview';
import { VitalsPage } from './pages/Vitals';
import { ErrorsPage } from './pages/Errors';
import { IssuePage } from './pages/Issue';
import { SessionsPage } from './pages/Sessions';
import { SessionPage } from './pages/Session';
import { ActionsPage } from './pages/Actions';
import { ResourcesPage } from './pages/Resources';
import { ServicesPage } from './pages/Services';
import { TracePage } from './pages/Trace';
import { SettingsPage } from './pages/Settings';
import { UsagePage } from './pages/Usage';
import { TokensPage } from './pages/Tokens';
import { UsersPage } from './pages/Users';
import { AuditPage } from './pages/Audit';
import { isAdmin } from './lib/role';
import { NotFoundPage } from './pages/NotFound';

export function Root() {
  const loc = useLocation();
  const route = parseRoute(loc.pathname);
  useEffect(() => {
    document.title = title(route);
  }, [loc.pathname]);
  if (route.page === 'login') return <LoginPage search={loc.search} />;
  // Mounted afresh after every login, so nothing from a previous user lingers.
  return <Authed />;
}

function title(route: Route): string {
  const names: Record<Route['page'], string> = {
    login: 'Log in',
    home: 'Apps',
    'new-app': 'New app',
    overview: 'Overview',
    vitals: 'Web vitals',
    errors: 'Errors',
    issue: 'Issue',
    sessions: 'Sessions',
    session: 'Session',
    actions: 'Actions',
    resources: 'Resources',
    services: 'Services',
    trace: 'Trace',
    usage: 'Usage & cost',
    settings: 'Settings',
    tokens: 'API tokens',
    users: 'Users',
    audit: 'Audit log',
    'not-found': 'Not found',
  };
  return `${names[route.page]} · Fovea`;
}

function Authed() {
  const loc = useLocation();
  const me = useApi<Me>('/me');
  const apps = useApi<AppsResponse>('/apps');
  const route = parseRoute(loc.pathname);
  const params = useMemo(() => new URLSearchParams(loc.search), [loc.search]);
  const ctx = useMemo<PageCtx | null>(() => {
    if (me.data == null || apps.data == null) return null;
    const range = parseRange(params);
    const appId = 'app' in route ? route.app : undefined;
    return {
      loc,
      route,
      params,
      range,
      window: resolveRange(range, loc.at),
      filters: parseFilters(params),
      me: me.data,
      apps: apps.data.apps,
      app: apps.data.apps.find((a) => a.id === appId),
      reloadApps: apps.reload,
    };
  }, [loc, me.data, apps.data]);

  const first = apps.data?.apps[0];
  useEffect(() => {
    if (route.page === 'home' && first) navigate(routePath({ page: 'overview', app: first.id }) + loc.search, { replace: true });
  }, [route.page, first?.id]);

  const err = me.error ?? apps.error;
  if (err) {
    return (
      <div class="center-page">
        <Logo />
        <ErrorState error={err} retry={() => (me.error ? me.reload() : apps.reload())} what="your account" />
      </div>
    );
  }
  if (ctx == null) {
    return (
      <div class="center-page">
        <Logo />
        <Loading rows={2} />
      </div>
    );
  }
  return (
    <Ctx.Provider value={ctx}>
      <Page route={route} />
    </Ctx.Provider>
  );
}

function Page(props: { route: Route }) {
  const { route } = props;
  switch (route.page) {
    case 'home':
    case 'new-app':
      return <NewAppPage first={route.page === 'home'} />;
    case 'overview':
      return <AppGuard><OverviewPage /></AppGuard>;
    case 'vitals':
      return <AppGuard><VitalsPage /></AppGuard>;
    case 'errors':
      return <AppGuard><ErrorsPage /></AppGuard>;
    case 'issue':
      return <AppGuard><IssuePage fingerprint={route.fingerprint} /></AppGuard>;
    case 'sessions':
      return <AppGuard><SessionsPage /></AppGuard>;
    case 'session':
      return <AppGuard><SessionPage id={route.id} /></AppGuard>;
    case 'actions':
      return <AppGuard><ActionsPage /></AppGuard>;
    case 'resources':
      return <AppGuard><ResourcesPage /></AppGuard>;
    case 'services':
      return <AppGuard><ServicesPage /></AppGuard>;
    case 'trace':
      return <AppGuard><TracePage traceId={route.trace_id} /></AppGuard>;
    case 'usage':
      return <AppGuard><UsagePage /></AppGuard>;
    case 'settings':
      return <AppGuard><SettingsPage /></AppGuard>;
    case 'tokens':
      return <TokensPage />;
    case 'users':
      return <AdminGuard><UsersPage /></AdminGuard>;
    case 'audit':
      return <AdminGuard><AuditPage /></AdminGuard>;
    case 'login':
    case 'not-found':
      return <NotFoundPage />;
  }
}

function AppGuard(props: { children: ComponentChildren }) {
  const ctx = useContext(Ctx);
  if (ctx?.app == null) return <NotFoundPage what="app" />;
  return <>{props.children}</>;
}

/** Admin pages: anyone else gets a page that says so (the server refuses them the API too). */
function AdminGuard(props: { children: ComponentChildren }) {
  const ctx = useContext(Ctx);
  if (ctx == null || !isAdmin(ctx.me)) return <NotFoundPage what="admin" />;
  return <>{props.children}</>;
}
