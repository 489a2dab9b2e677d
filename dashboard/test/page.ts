// Renders a page under jsdom as Root would: inside the page context, with
// `fetch` answered by a function of the request. For tests that carry
// `// @vitest-environment jsdom`.
import { h, render, type ComponentChildren } from 'preact';
import { act } from 'preact/test-utils';
import { vi } from 'vitest';
import { Ctx, type PageCtx } from '../src/lib/context';
import type { App } from '../src/lib/types';
import { parseFilters, parseRange, parseRoute, resolveRange } from '../src/lib/url';

export const APP: App = {
  id: 'shop',
  name: 'Shop',
  ingest_key: 'fik_test',
  origins: ['https://shop.test'],
  sample_rate: 100,
  retention_days: 30,
  created_at: 1733490000000,
  has_server_key: false,
  trace_url_template: null,
};

/** The context of `path` (with its query) for `app`, at a fixed moment. */
export function pageCtx(path: string, app: App = APP): PageCtx {
  const url = new URL(path, 'http://fovea.test');
  const params = url.searchParams;
  const range = parseRange(params);
  const at = Date.UTC(2024, 11, 6, 13, 0);
  return {
    loc: { pathname: url.pathname, search: url.search, at, epoch: 0 },
    route: parseRoute(url.pathname),
    params,
    range,
    window: resolveRange(range, at),
    filters: parseFilters(params),
    me: { username: 'admin', role: 'admin', apps: [], read_only: false },
    apps: [app],
    app,
    reloadApps: () => {},
  };
}

export interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Stubs `fetch`: `answer` gets each request and gives the status and JSON body. */
export function mockFetch(answer: (call: Call) => { status?: number; body?: unknown }): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const call: Call = {
        url,
        method: init.method ?? 'GET',
        headers: (init.headers ?? {}) as Record<string, string>,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      const r = answer(call);
      const status = r.status ?? 200;
      return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status, headers: { 'content-type': 'application/json' } });
    }),
  );
  return calls;
}

let root: HTMLElement | null = null;

/** Renders `page` in `ctx` into a fresh element of the document. */
export function mountPage(ctx: PageCtx, page: ComponentChildren): HTMLElement {
  unmountPage();
  root = document.createElement('div');
  document.body.append(root);
  const el = root;
  act(() => render(h(Ctx.Provider, { value: ctx }, page), el));
  return el;
}

/**
 * Unmounts what is rendered in `el` and removes it. Inside `act()`: Preact
 * runs an unmounted component's effect cleanups after the next paint (a
 * timer), which outside `act()` may fire once the test file's jsdom is gone
 * ("window is not defined"); `act()` runs them before it returns.
 */
export function unmount(el: HTMLElement): void {
  act(() => render(null, el));
  el.remove();
}

export function unmountPage(): void {
  if (root == null) return;
  unmount(root);
  root = null;
}

/** Lets fetches answer and effects run until `cond` holds (or fails after a while). */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (cond()) return;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Types `value` into a field as a user would (an input event). */
export function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

/** Picks `value` in a select as a user would (a change event). */
export function choose(select: HTMLSelectElement, value: string): void {
  act(() => {
    select.value = value;
    select.dispatchEvent(new Event('change', { bubbles: true }));
  });
}
