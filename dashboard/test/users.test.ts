// The users page's forms (what a PATCH sends, when the add form may be sent),
// the Apps cell, the audit log's order and the token's usage line.
import { describe, expect, it } from 'vitest';
import { newestFirst } from '../src/lib/audit';
import { bearerHeader } from '../src/lib/tokens';
import type { App, AuditEntry, User } from '../src/lib/types';
import { newUserProblem, sortUsers, toggleApp, userAppsText, userPatch } from '../src/lib/users';

const app = (id: string, name = id): App => ({ id, name, ingest_key: 'k', origins: [], sample_rate: 100, retention_days: 30, created_at: 0, has_server_key: false });
const APPS = [app('shop', 'Shop'), app('blog', 'Blog'), app('crm', 'CRM')];
const user = (over: Partial<User> = {}): User => ({ username: 'mia', role: 'member', apps: ['shop'], created_at: 0, ...over });

describe('userPatch', () => {
  it('is null when nothing changed, apps compared as a set', () => {
    expect(userPatch(user({ apps: ['shop', 'blog'] }), { role: 'member', apps: ['blog', 'shop'] })).toBeNull();
  });
  it('sends only what changed', () => {
    expect(userPatch(user(), { role: 'viewer', apps: ['shop'] })).toEqual({ role: 'viewer' });
    expect(userPatch(user(), { role: 'member', apps: ['shop', 'crm'] })).toEqual({ apps: ['shop', 'crm'] });
    expect(userPatch(user(), { role: 'viewer', apps: [] })).toEqual({ role: 'viewer', apps: [] });
  });
  it('never sends the apps of an admin, who sees every app', () => {
    expect(userPatch(user(), { role: 'admin', apps: [] })).toEqual({ role: 'admin' });
    expect(userPatch(user({ role: 'admin', apps: [] }), { role: 'admin', apps: ['crm'] })).toBeNull();
  });
  it('sends the apps when an admin becomes a member', () => {
    expect(userPatch(user({ role: 'admin', apps: [] }), { role: 'member', apps: ['blog'] })).toEqual({ role: 'member', apps: ['blog'] });
  });
});

describe('toggleApp', () => {
  it('keeps the apps in the order the server lists them', () => {
    expect(toggleApp(['crm'], 'shop', true, APPS)).toEqual(['shop', 'crm']);
    expect(toggleApp(['shop', 'crm'], 'shop', false, APPS)).toEqual(['crm']);
    expect(toggleApp(['shop'], 'shop', true, APPS)).toEqual(['shop']);
  });
  it('keeps the id of an app that is gone, so saving does not drop it silently', () => {
    expect(toggleApp(['old'], 'blog', true, APPS)).toEqual(['blog', 'old']);
  });
});

describe('newUserProblem', () => {
  it('asks for a username and a password, and leaves the rest to the server', () => {
    expect(newUserProblem('  ', 'pw')).toBe('Enter a username.');
    expect(newUserProblem('mia', '')).toBe('Enter a password.');
    expect(newUserProblem('mia', 'x')).toBeNull();
  });
});

describe('userAppsText', () => {
  it('names the apps, an admin sees all, a gone app shows its id', () => {
    expect(userAppsText({ role: 'admin', apps: [] }, APPS)).toBe('All apps');
    expect(userAppsText({ role: 'viewer', apps: [] }, APPS)).toBe('None');
    expect(userAppsText({ role: 'member', apps: ['blog', 'gone'] }, APPS)).toBe('Blog, gone');
  });
});

describe('sortUsers', () => {
  it('sorts by name without changing the list it was given', () => {
    const list = [user({ username: 'zoe' }), user({ username: 'adam' })];
    expect(sortUsers(list).map((u) => u.username)).toEqual(['adam', 'zoe']);
    expect(list[0]!.username).toBe('zoe');
  });
});

describe('newestFirst', () => {
  it('orders audit entries newest first; entries of the same ms keep the server order', () => {
    const e = (ts: number, action: string): AuditEntry => ({ ts, actor: 'a', action, target: null, detail: null });
    expect(newestFirst([e(1, 'old'), e(3, 'new'), e(2, 'mid'), e(3, 'new2')]).map((x) => x.action)).toEqual(['new', 'new2', 'mid', 'old']);
  });
});

describe('bearerHeader', () => {
  it('is the Authorization header of docs/api.md', () => {
    expect(bearerHeader('fat_1')).toBe('Authorization: Bearer fat_1');
  });
});
