// @vitest-environment jsdom
// Settings by role and the two new sections: rotating the ingest key (with a
// grace period; the notice says until when the old key works), and Privacy:
// the app's user id mode, scrub patterns and query keys, and erasing a user's
// or a session's data (confirmed first, then followed until done).
// A viewer, or a member on an app not given to it, gets none of the controls
// and reads the privacy settings.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettingsPage } from '../src/pages/Settings';
import { formatDateTime } from '../src/lib/format';
import type { App, Erasure, Me, SourceFile } from '../src/lib/types';
import { APP, mockFetch, mountPage, pageCtx, unmountPage, until, type, choose, type Call } from './page';

const EXPIRES = Date.UTC(2030, 0, 2, 10, 0);
const FILE: SourceFile = { id: 'f1', release: '1.0', url: 'https://shop.test/app.js', kind: 'source', debug_id: null, sha256: 'x', bytes: 10, uploaded_at: 1 };

let calls: Call[];
let reloads: number;
let statuses: Erasure[];
const ERASURE: Erasure = { id: 'er1', status: 'pending', rows_removed: 0, app: 'shop', subject: 'user', requested_by: 'root', created_at: 0, updated_at: 0 };

function settings(me: Me = { username: 'root', role: 'admin', apps: [], read_only: false }, app: App = APP) {
  const ctx = { ...pageCtx('/apps/shop/settings', app), me, reloadApps: () => (reloads += 1) };
  return mountPage(ctx, h(SettingsPage, {}));
}

beforeEach(() => {
  reloads = 0;
  statuses = [];
  calls = mockFetch((c) => {
    if (c.url.endsWith('/sourcemaps')) return { body: { sourcemaps: [FILE] } };
    if (c.url.endsWith('/rotate-key')) return { body: { ingest_key: 'fik_new', previous_key: 'fik_test', previous_key_expires_at: EXPIRES } };
    if (c.method === 'DELETE' && c.url.includes('/sessions/')) return { status: 404, body: { error: 'not_found', message: 'no such session' } };
    if (c.method === 'DELETE' && c.url.includes('/users/')) return { status: 202, body: { erasure_id: 'er1' } };
    if (c.method === 'PATCH') {
      const patch = c.body as Partial<App>;
      const bad = patch.scrub_patterns?.find((p) => p.includes('('));
      if (bad != null) return { status: 400, body: { error: 'invalid', message: `scrub_patterns: regex parse error: unclosed group in ${bad}` } };
      return { body: { ...APP, ...patch } };
    }
    if (c.url === '/api/v1/erasures/er1') return { body: statuses.shift() ?? { ...ERASURE, status: 'done', rows_removed: 42 } };
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
      { ...ERASURE, status: 'pending', rows_removed: 0 },
      { ...ERASURE, status: 'running', rows_removed: 1200 },
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
    privacySave: el.querySelector('[data-testid=privacy-save]') != null,
    erase: el.querySelector('[data-testid=erase-user-form]') != null || el.querySelector('[data-testid=erase-session-form]') != null,
    saveLink: el.querySelector('[data-testid=trace-link-form] button[type=submit]') != null,
    deletes: [...el.querySelectorAll('[data-testid=sourcemaps] button')].filter((b) => b.textContent!.startsWith('Delete')).length,
    readOnly: el.querySelector('[data-testid=read-only]') != null,
  });

  it('gives a member every control on an app it was given', async () => {
    const el = settings({ username: 'mia', role: 'member', apps: ['shop'], read_only: false });
    await until(() => el.querySelector('[data-testid=sourcemap-release]') != null, 'the source maps');
    expect(controls(el)).toEqual({ save: 1, serverKey: true, rotate: true, privacySave: true, erase: true, saveLink: true, deletes: 2, readOnly: false });
  });

  it.each<[string, Me]>([
    ['a viewer', { username: 'val', role: 'viewer', apps: ['shop'], read_only: false }],
    ['a member on an app not given to it', { username: 'mia', role: 'member', apps: ['blog'], read_only: false }],
  ])('shows %s the settings read-only, without a control that changes anything', async (_, me) => {
    const el = settings(me);
    await until(() => el.querySelector('[data-testid=sourcemap-release]') != null, 'the source maps');
    expect(controls(el)).toEqual({ save: 0, serverKey: false, rotate: false, privacySave: false, erase: false, saveLink: false, deletes: 0, readOnly: true });
    const name = el.querySelector<HTMLInputElement>('[data-testid=settings-form] input[name=name]')!;
    expect(name.readOnly).toBe(true);
    expect(name.value).toBe('Shop');
    // what it may read is still there: the key and the snippets, the privacy settings
    expect(el.querySelector('[data-testid=ingest-key]')!.textContent).toBe('fik_test');
    expect(el.querySelector<HTMLSelectElement>('[data-testid=user-id-mode]')!.disabled).toBe(true);
    expect(el.querySelector<HTMLTextAreaElement>('[data-testid=scrub-patterns]')!.readOnly).toBe(true);
    expect(el.querySelector<HTMLTextAreaElement>('[data-testid=scrub-keys]')!.readOnly).toBe(true);
  });
});

describe('privacy settings', () => {
  const PRIVATE: App = { ...APP, user_id_mode: 'hash', scrub_patterns: ['ORD-\\d{6}'], scrub_keys: ['coupon'] };
  const parts = (el: HTMLElement) => ({
    form: el.querySelector<HTMLFormElement>('[data-testid=privacy-form]')!,
    mode: el.querySelector<HTMLSelectElement>('[data-testid=user-id-mode]')!,
    patterns: el.querySelector<HTMLTextAreaElement>('[data-testid=scrub-patterns]')!,
    keys: el.querySelector<HTMLTextAreaElement>('[data-testid=scrub-keys]')!,
    save: el.querySelector<HTMLButtonElement>('[data-testid=privacy-save]')!,
    message: () => el.querySelector<HTMLElement>('[data-testid=privacy-message]'),
  });
  const patches = () => calls.filter((c) => c.method === 'PATCH');

  it('shows the app\'s settings, each control named by its label, above the erasure forms', () => {
    const el = settings(undefined, PRIVATE);
    const p = parts(el);
    expect(p.mode.value).toBe('hash');
    expect([...p.mode.options].map((o) => o.value)).toEqual(['raw', 'hash', 'drop']);
    // each option says what it does
    expect([...p.mode.options].map((o) => o.textContent)).toEqual([
      'Raw: stored as your pages send them',
      'Hashed: keyed hash: users still counted and erasable by id, but ids cannot be read',
      'Dropped: not stored at all',
    ]);
    expect(p.patterns.value).toBe('ORD-\\d{6}');
    expect(p.keys.value).toBe('coupon');
    expect(p.mode.closest('label')!.textContent).toContain('User ids');
    expect(p.patterns.closest('label')!.textContent).toContain('Scrub patterns');
    expect(p.patterns.closest('label')!.textContent).toContain('one regular expression per line');
    expect(p.keys.closest('label')!.textContent).toContain('Redacted query keys');
    expect(p.keys.closest('label')!.textContent).toContain('one per line');
    expect(p.save.textContent).toBe('Save privacy settings');
    expect(p.form.compareDocumentPosition(el.querySelector('[data-testid=erase-user-form]')!) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it('reads an app without these settings (the API document lets the server leave them out) as raw, with no patterns or keys', () => {
    const p = parts(settings());
    expect(p.mode.value).toBe('raw');
    expect(p.patterns.value).toBe('');
    expect(p.keys.value).toBe('');
  });

  it('saves only the three fields, the lists one entry per line, and says it saved', async () => {
    const el = settings(undefined, PRIVATE);
    const p = parts(el);
    choose(p.mode, 'drop');
    type(p.patterns, ' ORD-\\d{6}\n\nINV-[0-9]+ \n');
    type(p.keys, 'coupon\n  ref \n\n');
    act(() => p.form.requestSubmit());
    await until(() => p.message()?.textContent?.startsWith('Saved') === true, 'saved');
    expect(patches()).toHaveLength(1);
    expect(patches()[0]!.url).toBe('/api/v1/apps/shop');
    expect(patches()[0]!.headers['X-Fovea-Csrf']).toBe('1');
    expect(patches()[0]!.body).toEqual({ user_id_mode: 'drop', scrub_patterns: ['ORD-\\d{6}', 'INV-[0-9]+'], scrub_keys: ['coupon', 'ref'] });
    expect(p.message()!.getAttribute('role')).toBe('status');
    expect(p.message()!.classList.contains('form-ok')).toBe(true);
    // the fields show what the server stored
    expect(p.patterns.value).toBe('ORD-\\d{6}\nINV-[0-9]+');
    expect(p.keys.value).toBe('coupon\nref');
    expect(reloads).toBe(1);
  });

  it('shows the server\'s message when it refuses a pattern', async () => {
    const el = settings(undefined, PRIVATE);
    const p = parts(el);
    type(p.patterns, 'ORD-(\\d');
    act(() => p.form.requestSubmit());
    await until(() => p.message() != null, 'the refusal');
    expect(p.message()!.textContent).toBe('scrub_patterns: regex parse error: unclosed group in ORD-(\\d');
    expect(p.message()!.getAttribute('role')).toBe('alert');
    expect(p.message()!.classList.contains('form-error')).toBe(true);
    expect(reloads).toBe(0);
  });

  it('sends nothing when nothing changed, nor lists over the server\'s limits', () => {
    const el = settings(undefined, PRIVATE);
    const p = parts(el);
    type(p.keys, '  coupon \n');
    act(() => p.form.requestSubmit());
    expect(p.message()!.textContent).toBe('Nothing to save.');

    type(p.keys, Array.from({ length: 101 }, (_, i) => `k${i}`).join('\n'));
    expect(p.save.disabled).toBe(true);
    expect(p.form.textContent).toContain('At most 100 query keys (101 given).');
    act(() => p.form.requestSubmit());
    expect(patches()).toEqual([]);
  });
});
