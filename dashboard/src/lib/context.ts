import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { App, Me } from './types';
import type { Filters, TimeRange } from './url';
import { useApi, type Query } from './useApi';
import { apiQuery, routePath, sharedParams, withParams, type AppPage, type Route } from './url';
import type { Loc } from './router';

/** What every page of one app needs: parsed URL state plus the signed-in user and apps. */
export interface PageCtx {
  loc: Loc;
  route: Route;
  params: URLSearchParams;
  range: TimeRange;
  window: { from: number; to: number };
  filters: Filters;
  me: Me;
  apps: App[];
  app: App | undefined;
  reloadApps: () => void;
}

export const Ctx = createContext<PageCtx | null>(null);

export function usePage(): PageCtx {
  const ctx = useContext(Ctx);
  if (ctx == null) throw new Error('usePage outside of <Ctx.Provider>');
  return ctx;
}


/**
 * GETs `/apps/{app}/{endpoint}` with the page's time window and filters plus
 * `extra`; `endpoint` null fetches nothing.
 */
export function useAppApi<T>(
  endpoint: string | null,
  extra: Record<string, string | number | boolean | null | undefined> = {},
  opts: { filters?: boolean } = {},
): Query<T> {
  const { app, window, filters, loc } = usePage();
  const path =
    app == null || endpoint == null
      ? null
      : `/apps/${encodeURIComponent(app.id)}/${endpoint}?${apiQuery(window, opts.filters === false ? {} : filters, extra)}`;
  return useApi<T>(path, loc.epoch);
}

/** An in-app href to another page of the current app, keeping the time range and filters. */
export function useHref(): (page: AppPage | Route, changes?: Record<string, string | null | undefined>) => string {
  const { app, loc } = usePage();
  const keep = sharedParams(loc.search);
  return (page, changes = {}) => {
    const route = typeof page === 'string' ? ({ page, app: app?.id ?? '' } as Route) : page;
    return routePath(route) + withParams(keep, changes);
  };
}
