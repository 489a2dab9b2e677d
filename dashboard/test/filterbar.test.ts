// @vitest-environment jsdom
// The filter bar's attribute filters: chips `key = value` from the URL, each
// removable, "Clear all" clearing them too, and the form's "Attribute"
// choice, which checks the key as the server does before it goes in the URL.
import { h } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FilterBar } from '../src/components/FilterBar';
import { choose, mockFetch, mountPage, pageCtx, type, unmountPage } from './page';

const HOSTILE = '<img src=x onerror=alert(1)>';

function open(path: string) {
  window.history.replaceState(null, '', path);
  vi.stubGlobal('scrollTo', () => {});
  mockFetch(() => ({ body: { metric: 'lcp', p: 75, groups: [] } }));
  return mountPage(pageCtx(path), h(FilterBar, {}));
}

afterEach(() => {
  unmountPage();
  vi.unstubAllGlobals();
});

const here = () => window.location.pathname + window.location.search;
const button = (el: HTMLElement, text: string) => [...el.querySelectorAll('button')].find((b) => b.textContent === text)!;
const click = (b: HTMLElement) => act(() => b.click());

function startAttr(el: HTMLElement) {
  click(button(el, '+ Filter'));
  choose(el.querySelector<HTMLSelectElement>('select[aria-label="Filter by"]')!, 'attr');
  return {
    key: el.querySelector<HTMLInputElement>('[data-testid=filter-attr-key]')!,
    value: el.querySelector<HTMLInputElement>('[data-testid=filter-value]')!,
    apply: button(el, 'Apply'),
    error: () => el.querySelector('[data-testid=filter-error]'),
  };
}

describe('FilterBar attribute filters', () => {
  it('shows each attribute filter as a chip `key = value`, as text, and removes one', () => {
    const q = new URLSearchParams({ page: '/cart', 'attrs.plan': 'pro', 'attrs.tier': HOSTILE });
    const el = open(`/apps/shop/vitals?${q}`);
    const chips = [...el.querySelectorAll('[data-testid=attr-chip]')];
    expect(chips.map((c) => [c.querySelector('.chip-attr')!.textContent, c.querySelector('.chip-value')!.textContent])).toEqual([
      ['plan', 'pro'],
      ['tier', HOSTILE],
    ]);
    expect(chips[0]!.textContent).toBe('Attribute plan =pro×');
    expect(chips[0]!.getAttribute('data-filter')).toBe('attrs.plan');
    expect(el.querySelector('img')).toBeNull();
    const remove = chips[0]!.querySelector('button')!;
    expect(remove.getAttribute('aria-label')).toBe('Remove filter plan = pro');
    click(remove);
    expect(new URLSearchParams(window.location.search).get('attrs.plan')).toBeNull();
    expect(new URLSearchParams(window.location.search).get('attrs.tier')).toBe(HOSTILE);
    expect(new URLSearchParams(window.location.search).get('page')).toBe('/cart');
  });

  it('clears attribute filters with "Clear all", and keeps the time range', () => {
    const el = open('/apps/shop/vitals?range=7d&attrs.plan=pro&attrs.beta=true&metric=inp');
    click(button(el, 'Clear all'));
    expect(here()).toBe('/apps/shop/vitals?range=7d&metric=inp');
  });

  it('offers "Clear all" for two filters of any kind', () => {
    expect(button(open('/apps/shop/vitals?attrs.plan=pro'), 'Clear all')).toBeUndefined();
    expect(button(open('/apps/shop/vitals?page=%2Fa&attrs.plan=pro'), 'Clear all')).toBeDefined();
  });

  it('adds an attribute filter the user types, key and value trimmed', () => {
    const el = open('/apps/shop/vitals?page=%2Fcart');
    const f = startAttr(el);
    expect(f.value.getAttribute('aria-label')).toBe('Attribute value');
    type(f.key, ' plan_2 ');
    type(f.value, ' pro plus ');
    click(f.apply);
    expect(new URLSearchParams(window.location.search).get('attrs.plan_2')).toBe('pro plus');
    expect(el.querySelector('.filter-form')).toBeNull();
  });

  it('refuses a key the server would, with an inline error tied to the field', () => {
    const el = open('/apps/shop/vitals');
    const f = startAttr(el);
    type(f.key, 'user.id');
    // said at once, while typing
    expect(f.error()!.textContent).toMatch(/1 to 64 letters/);
    expect(f.error()!.getAttribute('role')).toBe('alert');
    expect(f.key.getAttribute('aria-invalid')).toBe('true');
    expect(f.key.getAttribute('aria-describedby')).toBe(f.error()!.id);
    type(f.value, 'x');
    click(f.apply);
    expect(here()).toBe('/apps/shop/vitals');
    // fixed: the error goes
    type(f.key, 'user_id');
    expect(f.error()).toBeNull();
    expect(f.key.hasAttribute('aria-invalid')).toBe(false);
  });

  it('asks for the key and the value on Apply, and caps the value at 256 bytes', () => {
    const el = open('/apps/shop/vitals');
    const f = startAttr(el);
    expect(f.error()).toBeNull();
    click(f.apply);
    expect(f.error()!.textContent).toMatch(/key/);
    type(f.key, 'plan');
    expect(f.error()!.textContent).toBe('Enter a value.');
    expect(f.value.getAttribute('aria-invalid')).toBe('true');
    type(f.value, 'é'.repeat(129));
    expect(f.error()!.textContent).toMatch(/256 bytes/);
    click(f.apply);
    expect(here()).toBe('/apps/shop/vitals');
  });

  it('takes at most 5 attribute filters, but lets one be replaced', () => {
    const five = Array.from({ length: 5 }, (_, i) => `attrs.k${i}=${i}`).join('&');
    const el = open(`/apps/shop/vitals?${five}`);
    const f = startAttr(el);
    type(f.key, 'k9');
    type(f.value, 'x');
    click(f.apply);
    expect(f.error()!.textContent).toMatch(/At most 5/);
    expect(here()).toBe(`/apps/shop/vitals?${five}`);
    type(f.key, 'k2');
    click(f.apply);
    expect(new URLSearchParams(window.location.search).get('attrs.k2')).toBe('x');
  });

  it('still adds the built-in filters', () => {
    const el = open('/apps/shop/vitals');
    click(button(el, '+ Filter'));
    const value = el.querySelector<HTMLInputElement>('[data-testid=filter-value]')!;
    expect(value.getAttribute('aria-label')).toBe('Value');
    expect(el.querySelector('[data-testid=filter-attr-key]')).toBeNull();
    type(value, '/checkout');
    click(button(el, 'Apply'));
    expect(here()).toBe('/apps/shop/vitals?page=%2Fcheckout');
  });
});
