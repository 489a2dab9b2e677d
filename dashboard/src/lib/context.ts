import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { App, Me } from './types';
import type { Filters, Route, TimeRange } from './url';
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
