// @vitest-environment jsdom
// Settings → Sampling: the rules load into labelled fields, are edited,
// added, moved and removed (from the keyboard too: focus follows a moved
// rule), and saved as the exact body of the contract; saving shows first what
// the new rules would cost per day (what-if), the server's 400 names the
// field, and a viewer reads the rules without a control. Then the pure parts
// (lib/sampling.ts).
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SettingsPage } from '../src/pages/Settings';
import { bodyOf, changeText, draftOf, matchText, moveRule, parseList, shadowNote } from '../src/lib/sampling';
import type { App, Me, Sampling, WhatIf } from '../src/lib/types';
import { APP, choose, mockFetch, mountPage, pageCtx, type, unmountPage, until, type Call } from './page';

/** What the server answers to GET: the contract's example. */
const SAMPLING = {
  rules: [{ match: { route: '/checkout*', env: 'prod', release: '1.2.0', device: 'mobile', country: 'FR' }, session_rate: 100, replay_rate: 20, keep: true }],
  default: { session_rate: 10, replay_rate: 0 },
  exclude: { envs: ['staging'], routes: ['/health*', '/admin/*'], ip_ranges: ['10.0.0.0/8', '2001:db8::/32'] },
  bots: 'drop',
} satisfies Sampling;

const WHAT_IF: WhatIf = { days: 7, current: { sessions: 12000, events: 480000, bytes: 52428800 }, proposed: { sessions: 3000, events: 120000, bytes: 10485760 } };

let calls: Call[];
let reloads: number;
/** What PUT answers when set (else the body it was given). */
let putAnswer: { status: number; body: unknown } | null;

const ADMIN: Me = { username: 'root', role: 'admin', apps: [], read_only: false };

function settings(me: Me = ADMIN, app: App = { ...APP, sample_rate: 10 }) {
  const ctx = { ...pageCtx('/apps/shop/settings', app), me, reloadApps: () => (reloads += 1) };
  return mountPage(ctx, h(SettingsPage, {}));
}

beforeEach(() => {
  reloads = 0;
  putAnswer = null;
  calls = mockFetch((c) => {
    if (c.url === '/api/v1/apps/shop/sampling' && c.method === 'GET') return { body: SAMPLING };
    if (c.url === '/api/v1/apps/shop/sampling' && c.method === 'PUT') return putAnswer ?? { body: c.body };
    if (c.url === '/api/v1/apps/shop/usage/what-if' && c.method === 'POST') {
      const b = c.body as Sampling;
      if (b.exclude?.ip_ranges?.includes('10.0.0.0/33')) return { status: 400, body: { error: 'invalid', message: 'exclude.ip_ranges[2] is not a CIDR range' } };
      return { body: WHAT_IF };
    }
    if (c.url.endsWith('/sourcemaps')) return { body: { sourcemaps: [] } };
    return { status: 404, body: { error: 'not_found' } };
  });
});
afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const section = (el: HTMLElement) => el.querySelector<HTMLElement>('[data-testid=sampling]')!;
const field = <T extends HTMLElement = HTMLInputElement>(el: HTMLElement, name: string) => section(el).querySelector<T>(`[name="${name}"]`)!;
const button = (el: HTMLElement, label: string) => section(el).querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)!;
const save = (el: HTMLElement) => section(el).querySelector<HTMLButtonElement>('[data-testid=sampling-save]')!;
const message = (el: HTMLElement) => section(el).querySelector<HTMLElement>('[data-testid=sampling-message]');
const click = (b: HTMLElement) => act(() => b.click());
const check = (box: HTMLInputElement) =>
  act(() => {
    box.click();
  });
const loaded = (el: HTMLElement) => until(() => section(el).querySelector('[data-testid=sampling-form]') != null, 'the sampling rules');
const puts = () => calls.filter((c) => c.method === 'PUT');
const whatIfs = () => calls.filter((c) => c.url.endsWith('/usage/what-if'));

describe('sampling editor', () => {
  it('loads the rules, the default, the exclusions and the bots policy into labelled fields', async () => {
    const el = settings();
    await loaded(el);
    expect(calls.find((c) => c.url.endsWith('/sampling'))!.url).toBe('/api/v1/apps/shop/sampling');
    expect(section(el).querySelectorAll('[data-testid=sampling-rule]')).toHaveLength(1);
    expect(section(el).querySelector('legend')!.textContent).toBe('Rule 1: route /checkout* · environment prod · release 1.2.0 · device mobile · country FR');
    const values = Object.fromEntries(
      ['rules[0].match.route', 'rules[0].match.env', 'rules[0].match.release', 'rules[0].match.device', 'rules[0].match.country', 'rules[0].session_rate', 'rules[0].replay_rate', 'default.session_rate', 'default.replay_rate', 'exclude.envs', 'exclude.routes', 'exclude.ip_ranges'].map((n) => [
        n,
        field<HTMLInputElement>(el, n).value,
      ]),
    );
    expect(values).toEqual({
      'rules[0].match.route': '/checkout*',
      'rules[0].match.env': 'prod',
      'rules[0].match.release': '1.2.0',
      'rules[0].match.device': 'mobile',
      'rules[0].match.country': 'FR',
      'rules[0].session_rate': '100',
      'rules[0].replay_rate': '20',
      'default.session_rate': '10',
      'default.replay_rate': '0',
      'exclude.envs': 'staging',
      'exclude.routes': '/health*\n/admin/*',
      'exclude.ip_ranges': '10.0.0.0/8\n2001:db8::/32',
    });
    const keep = field(el, 'rules[0].keep');
    expect(keep.checked).toBe(true);
    expect(keep.closest('label')!.textContent).toContain('Key page');
    expect(section(el).querySelector<HTMLInputElement>('input[name=bots][value=drop]')!.checked).toBe(true);
    // every field is named by its label
    for (const [name, label] of [
      ['rules[0].match.route', 'Route'],
      ['rules[0].match.env', 'Environment'],
      ['rules[0].match.release', 'Release'],
      ['rules[0].match.device', 'Device'],
      ['rules[0].match.country', 'Country'],
      ['rules[0].session_rate', 'Sessions kept (%)'],
      ['rules[0].replay_rate', 'Replayed (%)'],
      ['exclude.envs', 'Environments'],
      ['exclude.routes', 'Routes'],
      ['exclude.ip_ranges', 'IP ranges'],
    ]) {
      expect(field(el, name!).closest('label')!.textContent, name).toContain(label);
    }
    expect(section(el).querySelector('input[name=bots][value=tag]')!.closest('label')!.textContent).toBe('Keep them, stored with device “bot”');
  });

  it('edits, adds, reorders and saves the exact body, after showing what it would cost', async () => {
    const el = settings();
    await loaded(el);
    type(field(el, 'rules[0].session_rate'), '50');
    click(section(el).querySelector<HTMLButtonElement>('[data-testid=sampling-add]')!);
    expect(section(el).querySelectorAll('[data-testid=sampling-rule]')).toHaveLength(2);
    type(field(el, 'rules[1].match.route'), ' /pricing ');
    type(field(el, 'rules[1].match.country'), 'de');
    choose(field<HTMLSelectElement>(el, 'rules[1].match.device'), 'desktop');
    check(field(el, 'rules[1].keep'));

    // the new rule goes first; the focus stays with it (at the top, on its other arrow)
    const up = button(el, 'Move rule 2 up');
    act(() => up.focus());
    click(up);
    expect(field(el, 'rules[0].match.route').value).toBe(' /pricing ');
    expect(field(el, 'rules[1].match.route').value).toBe('/checkout*');
    expect(document.activeElement!.getAttribute('aria-label')).toBe('Move rule 1 down');
    expect(button(el, 'Move rule 1 up').disabled).toBe(true);
    expect(button(el, 'Move rule 2 down').disabled).toBe(true);

    type(field(el, 'exclude.envs'), 'staging, dev\n');
    type(field(el, 'exclude.ip_ranges'), '10.0.0.0/8\n2001:db8::/32, 192.168.0.0/16');
    choose(field<HTMLSelectElement>(el, 'rules[1].match.device'), 'mobile');
    act(() => field(el, 'bots').form!.querySelector<HTMLInputElement>('input[name=bots][value=tag]')!.click());

    const want: Sampling = {
      rules: [
        { match: { route: '/pricing', device: 'desktop', country: 'DE' }, session_rate: 100, keep: true },
        { match: { route: '/checkout*', env: 'prod', release: '1.2.0', device: 'mobile', country: 'FR' }, session_rate: 50, replay_rate: 20, keep: true },
      ],
      default: { session_rate: 10, replay_rate: 0 },
      exclude: { envs: ['staging', 'dev'], routes: ['/health*', '/admin/*'], ip_ranges: ['10.0.0.0/8', '2001:db8::/32', '192.168.0.0/16'] },
      bots: 'tag',
    };

    // first press: the estimate, nothing saved
    expect(save(el).textContent).toBe('Save sampling');
    click(save(el));
    await until(() => section(el).querySelector('[data-testid=what-if]') != null, 'the what-if');
    expect(whatIfs()).toHaveLength(1);
    expect(whatIfs()[0]!.method).toBe('POST');
    expect(whatIfs()[0]!.url).toBe('/api/v1/apps/shop/usage/what-if');
    expect(whatIfs()[0]!.headers['X-Fovea-Csrf']).toBe('1');
    expect(whatIfs()[0]!.body).toEqual(want);
    expect(puts()).toEqual([]);
    expect(save(el).textContent).toBe('Confirm and save');

    // second press: saved, exactly that body
    click(save(el));
    await until(() => message(el)?.textContent?.startsWith('Saved') === true, 'saved');
    expect(puts()).toHaveLength(1);
    expect(puts()[0]!.url).toBe('/api/v1/apps/shop/sampling');
    expect(puts()[0]!.headers['X-Fovea-Csrf']).toBe('1');
    expect(puts()[0]!.body).toEqual(want);
    expect(JSON.stringify(puts()[0]!.body)).toBe(JSON.stringify(whatIfs()[0]!.body));
    expect(message(el)!.getAttribute('role')).toBe('status');
    // the default's session rate is the app's sample rate: the app is read again
    expect(reloads).toBe(1);
    // the form shows what was saved, and the estimate is gone
    expect(field(el, 'rules[0].match.route').value).toBe('/pricing');
    expect(field(el, 'rules[0].match.country').value).toBe('DE');
    expect(section(el).querySelector('[data-testid=what-if]')).toBeNull();
    click(save(el));
    expect(message(el)!.textContent).toBe('Nothing to save.');
    expect(puts()).toHaveLength(1);
  });

  it('shows current vs proposed per day, and an edit takes the estimate away', async () => {
    const el = settings();
    await loaded(el);
    type(field(el, 'default.session_rate'), '2.5');
    click(section(el).querySelector<HTMLButtonElement>('[data-testid=sampling-estimate]')!);
    await until(() => section(el).querySelector('[data-testid=what-if]') != null, 'the what-if');
    const table = section(el).querySelector<HTMLElement>('[data-testid=what-if]')!;
    expect(table.querySelector('caption')!.textContent).toBe('Current vs proposed per day (averaged over the last 7 days of stored sessions)');
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.textContent));
    expect(rows).toEqual([
      ['Sessions', '12,000', '3,000', '−75%'],
      ['Events', '480,000', '120,000', '−75%'],
      ['Bytes stored', '50.0 MiB', '10.0 MiB', '−80%'],
    ]);
    expect([...table.querySelectorAll('thead th')].map((th) => th.textContent)).toEqual(['Per day', 'Current', 'Proposed', 'Change']);
    expect((whatIfs()[0]!.body as Sampling).default).toEqual({ session_rate: 2.5, replay_rate: 0 });
    expect(message(el)!.textContent).toContain('Estimated');

    type(field(el, 'default.session_rate'), '3');
    expect(section(el).querySelector('[data-testid=what-if]')).toBeNull();
    expect(save(el).textContent).toBe('Save sampling');
  });

  it('shows the server message, which names the field, when it refuses', async () => {
    putAnswer = { status: 400, body: { error: 'invalid', message: 'rules[0].match.route must not be empty' } };
    const el = settings();
    await loaded(el);
    type(field(el, 'rules[0].match.route'), '/checkout/*');
    click(save(el));
    await until(() => section(el).querySelector('[data-testid=what-if]') != null, 'the what-if');
    click(save(el));
    await until(() => message(el)?.textContent === 'rules[0].match.route must not be empty', 'the refusal');
    expect(message(el)!.getAttribute('role')).toBe('alert');
    expect(message(el)!.classList.contains('form-error')).toBe(true);
    expect(reloads).toBe(0);
    // the edits stay
    expect(field(el, 'rules[0].match.route').value).toBe('/checkout/*');

    // a body the what-if refuses is not saved either
    type(field(el, 'exclude.ip_ranges'), '10.0.0.0/8\n2001:db8::/32\n10.0.0.0/33');
    click(save(el));
    await until(() => message(el)?.textContent === 'exclude.ip_ranges[2] is not a CIDR range', 'the what-if refusal');
    expect(message(el)!.getAttribute('role')).toBe('alert');
    expect(section(el).querySelector('[data-testid=what-if]')).toBeNull();
    expect(puts()).toHaveLength(1);
  });

  it('names what it would refuse before sending anything', async () => {
    const el = settings();
    await loaded(el);
    type(field(el, 'rules[0].session_rate'), '150');
    type(field(el, 'rules[0].match.country'), 'FRA');
    const problems = section(el).querySelector('[data-testid=sampling-problems]')!;
    expect([...problems.querySelectorAll('li')].map((li) => li.textContent)).toEqual([
      'rules[0].match.country must be a two-letter country code (ISO 3166), e.g. FR',
      'rules[0].session_rate must be a percentage from 0 to 100',
    ]);
    expect(field(el, 'rules[0].session_rate').getAttribute('aria-invalid')).toBe('true');
    expect(field(el, 'rules[0].replay_rate').getAttribute('aria-invalid')).toBeNull();
    expect(save(el).disabled).toBe(true);
    act(() => section(el).querySelector<HTMLFormElement>('[data-testid=sampling-form]')!.requestSubmit());
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('removes a rule, moves the focus to the next control, and warns of a rule that matches every session', async () => {
    const el = settings();
    await loaded(el);
    click(section(el).querySelector<HTMLButtonElement>('[data-testid=sampling-add]')!);
    // a new rule matches every session, after the first: nothing after it applies but the default
    expect(section(el).querySelector('[data-testid=sampling-shadow]')!.textContent).toBe('Rule 2 matches every session: the default never applies.');
    click(button(el, 'Move rule 2 up'));
    expect(section(el).querySelector('[data-testid=sampling-shadow]')!.textContent).toBe('Rule 1 matches every session: the rule after it and the default never apply.');
    const remove = button(el, 'Remove rule 1');
    act(() => remove.focus());
    click(remove);
    expect(section(el).querySelectorAll('[data-testid=sampling-rule]')).toHaveLength(1);
    expect(field(el, 'rules[0].match.route').value).toBe('/checkout*');
    expect(document.activeElement!.getAttribute('aria-label')).toBe('Remove rule 1');
    click(button(el, 'Remove rule 1'));
    expect(section(el).querySelector('[data-testid=sampling-no-rules]')!.textContent).toContain('the default decides for every session');
    expect(document.activeElement!.getAttribute('data-testid')).toBe('sampling-add');
  });

  it.each<[string, Me]>([
    ['a viewer', { username: 'val', role: 'viewer', apps: ['shop'], read_only: false }],
    ['a member on an app not given to it', { username: 'mia', role: 'member', apps: ['blog'], read_only: false }],
  ])('shows %s the rules read-only, with no control that changes them', async (_, me) => {
    const el = settings(me);
    await loaded(el);
    const s = section(el);
    expect(s.querySelectorAll('button')).toHaveLength(0);
    for (const input of s.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input:not([type=checkbox]):not([type=radio]), textarea')) {
      expect(input.readOnly, input.name).toBe(true);
    }
    for (const c of s.querySelectorAll<HTMLInputElement | HTMLSelectElement>('select, input[type=checkbox], input[type=radio]')) {
      expect(c.disabled, c.name).toBe(true);
    }
    // still readable
    expect(field(el, 'rules[0].match.route').value).toBe('/checkout*');
    act(() => s.querySelector<HTMLFormElement>('[data-testid=sampling-form]')!.requestSubmit());
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([]);
  });

  it('renders user-supplied strings as text', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    mockFetch((c) => {
      if (c.url.endsWith('/sampling')) return { body: { ...SAMPLING, rules: [{ match: { route: evil }, session_rate: 1, replay_rate: 0, keep: false }] } };
      return { body: { sourcemaps: [] } };
    });
    const el = settings();
    await loaded(el);
    expect(section(el).querySelector('img')).toBeNull();
    expect(section(el).querySelector('legend')!.textContent).toBe(`Rule 1: route ${evil}`);
  });
});

describe('lib/sampling', () => {
  it('round-trips the server body through the draft', () => {
    expect(bodyOf(draftOf(SAMPLING))).toEqual({ body: SAMPLING, problems: [] });
    // optional parts come back filled; an absent replay rate stays absent
    const { body } = bodyOf(draftOf({ rules: [{ match: {}, session_rate: 5 }], default: { session_rate: 1, replay_rate: 0 } }));
    expect(body).toEqual({ rules: [{ match: {}, session_rate: 5, keep: false }], default: { session_rate: 1, replay_rate: 0 }, exclude: { envs: [], routes: [], ip_ranges: [] }, bots: 'drop' });
  });

  it('splits lists on commas and lines, trimmed, without empties or repeats', () => {
    expect(parseList(' a, b\n\nc ,a\r\n')).toEqual(['a', 'b', 'c']);
    expect(parseList('')).toEqual([]);
  });

  it('moves a rule within the list only', () => {
    expect(moveRule(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveRule(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveRule(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
    expect(moveRule(['a', 'b'], 1, 1)).toEqual(['a', 'b']);
  });

  it('names the field of each problem as the server does', () => {
    const d = draftOf(SAMPLING);
    d.rules[0]!.replay_rate = '-1';
    d.rules[0]!.match.device = 'toaster';
    d.default_replay_rate = '';
    expect(bodyOf(d).problems.map((p) => p.path)).toEqual(['rules[0].match.device', 'rules[0].replay_rate', 'default.replay_rate']);
    d.rules = Array.from({ length: 101 }, () => draftOf(SAMPLING).rules[0]!);
    expect(bodyOf(d).problems[0]).toEqual({ path: 'rules', message: 'at most 100 rules (101 given)' });
  });

  it('says what a rule matches, which rule shadows the rest, and the change of a figure', () => {
    expect(matchText({})).toBe('every session');
    expect(matchText({ env: 'prod', route: '/a*' })).toBe('route /a* · environment prod');
    expect(shadowNote(SAMPLING)).toBeNull();
    expect(shadowNote({ ...SAMPLING, rules: [{ match: {}, session_rate: 1 }, ...SAMPLING.rules, ...SAMPLING.rules] })).toBe('Rule 1 matches every session: the 2 rules after it and the default never apply.');
    expect(changeText(100, 100)).toBe('±0%');
    expect(changeText(0, 5)).toBe('new');
    expect(changeText(200, 50)).toBe('−75%');
    expect(changeText(1000, 1050)).toBe('+5%');
    expect(changeText(1000, 1055)).toBe('+5.5%');
    expect(changeText(10, 0)).toBe('−100%');
  });
});
