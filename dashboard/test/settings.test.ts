// @vitest-environment jsdom
// Settings → Backend tracing: creating and rotating the server key (confirmed
// first when one exists, then shown once), the OpenTelemetry environment, the
// trace link template and the server's word on a bad one.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettingsPage } from '../src/pages/Settings';
import { handOverServerKey, takeServerKey } from '../src/lib/serverKey';
import { otlpEnvSnippet } from '../src/lib/snippet';
import type { App } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmountPage, until, type Call } from './page';

let calls: Call[];
let reloads: number;

function settings(app: App, path = '/apps/shop/settings') {
  const ctx = { ...pageCtx(path, app), reloadApps: () => (reloads += 1) };
  return mountPage(ctx, h(SettingsPage, {}));
}

const section = (el: HTMLElement) => el.querySelector<HTMLElement>('[data-testid=backend-tracing]')!;
const keyButton = (el: HTMLElement) => el.querySelector<HTMLButtonElement>('[data-testid=server-key-button]')!;
const envSnippet = (el: HTMLElement) => [...section(el).querySelectorAll('.code-block')].find((b) => b.textContent!.includes('OpenTelemetry'))!.querySelector('code')!.textContent;

beforeEach(() => {
  reloads = 0;
  calls = mockFetch((c) => {
    if (c.url.endsWith('/server-key')) return { body: { server_key: 'fsk_new_key' } };
    if (c.url.endsWith('/sourcemaps')) return { body: { sourcemaps: [] } };
    if (c.method === 'PATCH') {
      const t = (c.body as { trace_url_template?: string | null }).trace_url_template;
      if (t != null && !t.includes('{trace_id}')) return { status: 400, body: { error: 'invalid', message: 'trace_url_template: needs {trace_id}' } };
      return { body: { ...APP, trace_url_template: t } };
    }
    return { status: 404, body: { error: 'not_found' } };
  });
});
afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('Backend tracing settings', () => {
  it('rotates an existing key only after a confirmation, then shows the new one once with a copy button', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const el = settings({ ...APP, has_server_key: true });
    expect(section(el).querySelector('[data-testid=server-key-status]')!.textContent).toContain('set');
    expect(keyButton(el).textContent).toBe('Rotate server key');
    expect(envSnippet(el)).toContain('x-fovea-key=<server key>');

    act(() => keyButton(el).click());
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(confirm.mock.calls[0]![0]).toContain('stops working at once');
    expect(calls.filter((c) => c.url.endsWith('/server-key'))).toEqual([]);

    confirm.mockReturnValue(true);
    act(() => keyButton(el).click());
    await until(() => el.querySelector('[data-testid=new-server-key]') != null, 'the new key');
    const post = calls.find((c) => c.url.endsWith('/server-key'))!;
    expect(post.url).toBe('/api/v1/apps/shop/server-key');
    expect(post.method).toBe('POST');
    expect(post.headers['X-Fovea-Csrf']).toBe('1');
    const shown = el.querySelector('[data-testid=new-server-key]')!;
    expect(shown.querySelector('[data-testid=server-key]')!.textContent).toBe('fsk_new_key');
    expect(shown.textContent).toContain('it will not be shown again');
    expect(shown.querySelector('button')!.textContent).toBe('Copy');
    expect(envSnippet(el)).toContain('OTEL_EXPORTER_OTLP_HEADERS=x-fovea-key=fsk_new_key');
    expect(reloads).toBe(1);
  });

  it('creates the first key without asking', async () => {
    const confirm = vi.spyOn(window, 'confirm');
    const el = settings({ ...APP, has_server_key: false });
    expect(section(el).querySelector('[data-testid=server-key-status]')!.textContent).toContain('none yet');
    expect(keyButton(el).textContent).toBe('Create server key');
    act(() => keyButton(el).click());
    await until(() => el.querySelector('[data-testid=server-key]') != null, 'the new key');
    expect(confirm).not.toHaveBeenCalled();
    expect(keyButton(el).textContent).toBe('Rotate server key');
  });

  it('shows the server key an app was created with, once', async () => {
    handOverServerKey('shop', 'fsk_first');
    const el = settings({ ...APP, has_server_key: true }, '/apps/shop/settings?created=1');
    expect(el.querySelector('[data-testid=server-key]')!.textContent).toBe('fsk_first');
    expect(el.querySelector('.notice.good')!.textContent).toContain('server key');
    const again = settings({ ...APP, has_server_key: true }, '/apps/shop/settings?created=1');
    expect(again.querySelector('[data-testid=server-key]')).toBeNull();
  });

  it('saves the trace link template, and shows the server message when it refuses one', async () => {
    const el = settings({ ...APP, trace_url_template: null });
    const form = el.querySelector<HTMLFormElement>('[data-testid=trace-link-form]')!;
    const input = form.querySelector<HTMLInputElement>('input[name=trace_url_template]')!;
    // its label names it
    expect(input.closest('label')!.textContent).toContain('Trace link template');

    const type = (v: string) =>
      act(() => {
        input.value = v;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
    type('https://jaeger.example/trace/');
    act(() => form.requestSubmit());
    await until(() => form.querySelector('[data-testid=trace-link-message]') != null, 'the answer');
    const msg = form.querySelector('[data-testid=trace-link-message]')!;
    expect(msg.textContent).toBe('trace_url_template: needs {trace_id}');
    expect(msg.getAttribute('role')).toBe('alert');

    type('  https://jaeger.example/trace/{trace_id}  ');
    act(() => form.requestSubmit());
    await until(() => form.querySelector('[data-testid=trace-link-message]')?.textContent === 'Saved.', 'saved');
    const patches = calls.filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => c.body)).toEqual([
      { trace_url_template: 'https://jaeger.example/trace/' },
      { trace_url_template: 'https://jaeger.example/trace/{trace_id}' },
    ]);
    expect(patches[0]!.url).toBe('/api/v1/apps/shop');
  });

  it('removes the link with an empty template', async () => {
    const el = settings({ ...APP, trace_url_template: 'https://jaeger.example/trace/{trace_id}' });
    const form = el.querySelector<HTMLFormElement>('[data-testid=trace-link-form]')!;
    const input = form.querySelector<HTMLInputElement>('input[name=trace_url_template]')!;
    expect(input.value).toBe('https://jaeger.example/trace/{trace_id}');
    act(() => {
      input.value = ' ';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => form.requestSubmit());
    await until(() => calls.some((c) => c.method === 'PATCH'), 'the PATCH');
    expect(calls.find((c) => c.method === 'PATCH')!.body).toEqual({ trace_url_template: null });
  });
});

describe('server key hand-over and the OTLP environment', () => {
  it('hands a key to its own app once', () => {
    handOverServerKey('a', 'fsk_1');
    expect(takeServerKey('b')).toBeNull();
    expect(takeServerKey('a')).toBe('fsk_1');
    expect(takeServerKey('a')).toBeNull();
  });

  it('writes the endpoint without /v1/traces (the SDKs append it), http/protobuf and the key header', () => {
    expect(otlpEnvSnippet('https://fovea.example/', 'fsk_abc')).toBe(
      ['OTEL_EXPORTER_OTLP_ENDPOINT=https://fovea.example', 'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf', 'OTEL_EXPORTER_OTLP_HEADERS=x-fovea-key=fsk_abc'].join('\n'),
    );
    expect(otlpEnvSnippet('http://127.0.0.1:8080', null)).toContain('x-fovea-key=<server key>');
    expect(otlpEnvSnippet('http://h', 'a,b=c')).toContain('x-fovea-key=a%2Cb%3Dc');
  });
});
