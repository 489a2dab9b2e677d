// The one way the dashboard talks to the server. Same-origin cookie session;
// every state-changing call carries `X-Fovea-Csrf: 1` (docs/api.md,
// "Authentication"); a 401 anywhere sends the user to the login page and
// remembers where they were going.

import { navigate } from './router';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export function needsCsrf(method: Method): boolean {
  return method !== 'GET';
}

export function loginRedirect(): void {
  const here = window.location.pathname + window.location.search;
  if (window.location.pathname === '/login') return;
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
}

export interface CallOptions {
  method?: Method;
  body?: unknown;
  signal?: AbortSignal;
  /** Do not redirect on 401 (the login form handles it itself). */
  noRedirect?: boolean;
}

export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (needsCsrf(method)) headers['X-Fovea-Csrf'] = '1';
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: opts.body === undefined ? null : JSON.stringify(opts.body),
      signal: opts.signal ?? null,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the Fovea server.');
  }
  if (res.status === 401 && !opts.noRedirect) {
    loginRedirect();
    throw new ApiError(401, 'unauthorized', 'Your session has ended: please log in again.');
  }
  if (!res.ok) {
    let code = `http_${res.status}`;
    let message = `The server answered ${res.status} ${res.statusText}.`;
    try {
      const body = (await res.json()) as { error?: unknown; message?: unknown };
      if (typeof body.error === 'string') code = body.error;
      if (typeof body.message === 'string' && body.message) message = body.message;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(res.status, code, message);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (text === '') return undefined as T;
  return JSON.parse(text) as T;
}
