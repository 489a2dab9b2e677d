// The one answer to "may this user write app X / is admin": what the pages
// ask before they offer a control (the server checks every request anyway).
import { describe, expect, it } from 'vitest';
import { isAdmin, mayCreateApp, mayWrite, roleOf, tokenAccesses } from '../src/lib/role';
import type { Me } from '../src/lib/types';

const admin: Me = { username: 'root', role: 'admin', apps: [], read_only: false };
const member: Me = { username: 'mia', role: 'member', apps: ['shop', 'blog'], read_only: false };
const viewer: Me = { username: 'val', role: 'viewer', apps: ['shop'], read_only: false };

describe('roleOf', () => {
  it('reads the role the server sent', () => {
    expect(roleOf(admin)).toBe('admin');
    expect(roleOf(member)).toBe('member');
    expect(roleOf(viewer)).toBe('viewer');
  });
  it('gives a role it does not know the least rights', () => {
    expect(roleOf({ ...admin, username: 'x', role: 'owner' as Me['role'] })).toBe('viewer');
  });
});

describe('mayWrite', () => {
  it('lets an admin write every app, even one not in its list', () => {
    expect(mayWrite(admin, 'shop')).toBe(true);
    expect(mayWrite(admin, 'anything')).toBe(true);
  });
  it('lets a member write the apps it was given, and no other', () => {
    expect(mayWrite(member, 'shop')).toBe(true);
    expect(mayWrite(member, 'blog')).toBe(true);
    expect(mayWrite(member, 'crm')).toBe(false);
    expect(mayWrite({ ...member, username: 'm', apps: [] }, 'shop')).toBe(false);
  });
  it('never lets a viewer write, not even the apps it may see', () => {
    expect(mayWrite(viewer, 'shop')).toBe(false);
  });
});

describe('admin pages, app creation, token access', () => {
  it('are for admins only', () => {
    expect([admin, member, viewer].map(isAdmin)).toEqual([true, false, false]);
    expect([admin, member, viewer].map(mayCreateApp)).toEqual([true, false, false]);
  });
  it('offers a viewer read tokens only', () => {
    expect(tokenAccesses(viewer)).toEqual(['read']);
    expect(tokenAccesses(member)).toEqual(['read', 'read-write']);
    expect(tokenAccesses(admin)).toEqual(['read', 'read-write']);
  });
});
