// @vitest-environment jsdom
// Settings by role and the two new sections: rotating the ingest key (with a
// grace period; the notice says until when the old key works), and erasing a
// user's or a session's data (confirmed first, then followed until done).
// A viewer, or a member on an app not given to it, gets none of the controls.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettingsPage } from '../src/pages/Settings';
import { formatDateTime } from '../src/lib/format';
import type { Erasure, Me, SourceFile } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmountPage, until, type Call } from './page';

const EXPIRES = Date.UTC(2030, 0, 2, 10, 0);
const FILE: SourceFile = { id: 'f1', release: '1.0', url: 'https://shop.test/app.js', kind: 'source', debug_id: null, sha256: 'x', bytes: 10, uploaded_at: 1 };

let calls: Call[];
let reloads: number;
let statuses: Erasure[];

function settings(me: Me = { username: 'root', role: 'admin', apps: [] }) {
  const ctx = { ...pageCtx('/apps/shop/settings'), me, reloadApps: () => (reloads += 1) };
  return mountPage(ctx, h(SettingsPage, {}));
}

function type(input: HTMLInputElement, value: string) {
  act(() => {
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

beforeEach(() => {
  reloads = 0;
  statuses = [];
  calls = mockFetch((c) => {
    if (c.url.endsWith('/sourcemaps')) return { body: { sourcemaps: [FILE] } };
    if (c.url.endsWith('/rotate-key')) return { body: { ingest_key: 'fik_new', previous_key: 'fik_test', previous_key_expires_at: EXPIRES } };
    if (c.method === 'DELETE' && c.url.includes('/sessions/')) return { status: 404, body: { error: 'not_found', message: 'no such session' } };
    if (c.method === 'DELETE' && c.url.includes('/users/')) return { status: 202, body: { erasure_id: 'er1' } };
    if (c.url === '/api/v1/erasures/er1') return { body: statuses.shift() ?? { id: 'er1', status: 'done', rows_removed: 42 } };
    return { status: 404, body: { error: 'not_found' } };
  });
});
afterEach(() => {
  unmountPage();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('ingest key rotation', () => {
  it('asks first, sends the grace period, then shows the new key and until when the old one works', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const el = settings();
    const form = el.querySelector<HTMLFormElement>('[data-testid=rotate-key-form]')!;
    const grace = form.querySelector<HTMLInputElement>('input[name=grace_hours]')!;
    expect(grace.value).toBe('24');
    expect(grace.closest('label')!.textContent).toContain('Grace period (hours, 0–720)');

    type(grace, '721');
    expect(el.querySelector<HTMLButtonElement>('[data-testid=rotate-key-button]')!.disabled).toBe(true);
    type(grace, '48');
    act(() => form.requestSubmit());
    expect(confirm.mock.calls[0]![0]).toContain('keeps working for 48 hours');
    expect(calls.some((c) => c.url.endsWith('/rotate-key'))).toBe(false);

    confirm.mockReturnValue(true);
    act(() => form.requestSubmit());
    await until(() => el.querySelector('[data-testid=rotated-key]') != null, 'the new key');
    const post = calls.find((c) => c.url.endsWith('/rotate-key'))!;
    expect(post.url).toBe('/api/v1/apps/shop/rotate-key');
    expect(post.method).toBe('POST');
    expect(post.body).toEqual({ grace_hours: 48 });
    const notice = el.querySelector('[data-testid=rotated-key]')!;
    expect(notice.getAttribute('role')).toBe('status');
    expect(notice.querySelector('[data-testid=new-ingest-key]')!.textContent).toBe('fik_new');
    expect(notice.querySelector('button')!.textContent).toBe('Copy');
    const note = notice.querySelector('[data-testid=previous-key-note]')!.textContent!;
    expect(note).toContain(`keeps working until ${formatDateTime(EXPIRES)}`);
    expect(note).toContain('The snippets on this page now carry the new key');
    // the app is fetched again, so the snippets show the new key
    expect(reloads).toBe(1);
  });
});

describe('erasure', () => {
  it('erases a user after a confirmation and follows the job until it is done', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    statuses = [
      { id: 'er1', status: 'pending', rows_removed: 0 },
      { id: 'er1', status: 'running', rows_removed: 1200 },
    ];
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(true);
    const el = settings();
    const form = el.querySelector<HTMLFormElement>('[data-testid=erase-user-form]')!;
    const input = form.querySelector<HTMLInputElement>('input[name=user_id]')!;
    expect(input.closest('label')!.textContent).toContain('User id');
    type(input, ' u@example.com ');
    act(() => form.requestSubmit());
    expect(confirm.mock.calls[0]![0]).toContain('user “u@example.com”');
    expect(confirm.mock.calls[0]![0]).toContain('cannot be undone');

    const status = el.querySelector<HTMLElement>('[data-testid=erasure-status]')!;
    expect(status.getAttribute('role')).toBe('status');
    const wait = async (ms: number) => act(async () => void (await vi.advanceTimersByTimeAsync(ms)));
    const polls = () => calls.filter((c) => c.url.startsWith('/api/v1/erasures/')).length;

    await wait(0);
    await wait(0);
    const del = calls.find((c) => c.method === 'DELETE')!;
    expect(del.url).toBe('/api/v1/apps/shop/users/u%40example.com');
    expect(del.headers['X-Fovea-Csrf']).toBe('1');
    // the first status request goes out at once
    expect(polls()).toBe(1);
    expect(status.textContent).toBe('Erasure of user “u@example.com” queued (id er1)…');

    await wait(1900);
    expect(polls()).toBe(1);
    await wait(100);
    expect(polls()).toBe(2);
    expect(status.textContent).toBe('Erasing user “u@example.com”: 1,200 rows removed so far…');

    await wait(2000);
    expect(polls()).toBe(3);
    expect(status.textContent).toBe('Erased user “u@example.com”: 42 rows removed.');
    expect(status.dataset.erasureStatus).toBe('done');
    // done: no more requests
    await wait(10_000);
    expect(polls()).toBe(3);
  });

  it('shows the server message when it refuses, and sends nothing without a confirmation', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValue(false);
    const el = settings();
    const form = el.querySelector<HTMLFormElement>('[data-testid=erase-session-form]')!;
    type(form.querySelector<HTMLInputElement>('input[name=session_id]')!, 's1');
    act(() => form.requestSubmit());
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);

    confirm.mockReturnValue(true);
    act(() => form.requestSubmit());
    const status = el.querySelector<HTMLElement>('[data-testid=erasure-status]')!;
    await until(() => status.dataset.phase === 'refused', 'the refusal');
    expect(calls.find((c) => c.method === 'DELETE')!.url).toBe('/api/v1/apps/shop/sessions/s1');
    expect(status.textContent).toBe('Could not erase session “s1”: no such session');
    expect(status.classList.contains('form-error')).toBe(true);
  });
});

describe('write controls by role', () => {
  const controls = (el: HTMLElement) => ({
    save: [...el.querySelectorAll('[data-testid=settings-form] button[type=submit]')].length,
    serverKey: el.querySelector('[data-testid=server-key-button]') != null,
    rotate: el.querySelector('[data-testid=ingest-key-rotation]') != null,
    privacy: el.querySelector('[data-testid=privacy]') != null,
    saveLink: el.querySelector('[data-testid=trace-link-form] button[type=submit]') != null,
    deletes: [...el.querySelectorAll('[data-testid=sourcemaps] button')].filter((b) => b.textContent!.startsWith('Delete')).length,
    readOnly: el.querySelector('[data-testid=read-only]') != null,
  });

  it('gives a member every control on an app it was given', async () => {
    const el = settings({ username: 'mia', role: 'member', apps: ['shop'] });
    await until(() => el.querySelector('[data-testid=sourcemap-release]') != null, 'the source maps');
    expect(controls(el)).toEqual({ save: 1, serverKey: true, rotate: true, privacy: true, saveLink: true, deletes: 2, readOnly: false });
  });

  it.each<[string, Me]>([
    ['a viewer', { username: 'val', role: 'viewer', apps: ['shop'] }],
    ['a member on an app not given to it', { username: 'mia', role: 'member', apps: ['blog'] }],
  ])('shows %s the settings read-only, without a control that changes anything', async (_, me) => {
    const el = settings(me);
    await until(() => el.querySelector('[data-testid=sourcemap-release]') != null, 'the source maps');
    expect(controls(el)).toEqual({ save: 0, serverKey: false, rotate: false, privacy: false, saveLink: false, deletes: 0, readOnly: true });
    const name = el.querySelector<HTMLInputElement>('[data-testid=settings-form] input[name=name]')!;
    expect(name.readOnly).toBe(true);
    expect(name.value).toBe('Shop');
    // what it may read is still there: the key and the snippets
    expect(el.querySelector('[data-testid=ingest-key]')!.textContent).toBe('fik_test');
  });
});
