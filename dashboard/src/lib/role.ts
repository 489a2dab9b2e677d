// The one place that answers "what may the signed-in user do here", so the
// pages hide controls the server would refuse. It never grants anything: the
// server checks every request itself; this only keeps a viewer from being
// offered buttons that end in a 403. Unit tested in test/role.test.ts.
//
// - admin: every app, the users, the audit log, creating apps.
// - member: reads and manages the apps an admin gave them (settings, keys,
//   issue status, source maps, erasure).
// - viewer: reads the apps an admin gave them; changes nothing.

import type { Me, Role, TokenAccess } from './types';

export const ROLES: readonly Role[] = ['admin', 'member', 'viewer'];

export const ROLE_LABEL: Readonly<Record<Role, string>> = {
  admin: 'Admin',
  member: 'Member',
  viewer: 'Viewer',
};

export const ROLE_HINT: Readonly<Record<Role, string>> = {
  admin: 'every app, users and the audit log',
  member: 'reads and manages the apps given',
  viewer: 'reads the apps given, changes nothing',
};

/** The user's role; a role this dashboard does not know gets the least rights. */
export function roleOf(me: Me): Role {
  return (ROLES as readonly string[]).includes(me.role) ? me.role : 'viewer';
}

export function isAdmin(me: Me): boolean {
  return roleOf(me) === 'admin';
}

/** Whether `me` may change app `appId`: its settings, keys, issues, source maps and data. */
export function mayWrite(me: Me, appId: string): boolean {
  switch (roleOf(me)) {
    case 'admin':
      return true;
    case 'member':
      return me.apps.includes(appId);
    case 'viewer':
      return false;
  }
}

/** Whether `me` may create apps (and is offered "New app"). */
export function mayCreateApp(me: Me): boolean {
  return isAdmin(me);
}

/** The accesses `me` may give an API token of their own: a viewer's tokens can only read. */
export function tokenAccesses(me: Me): TokenAccess[] {
  return roleOf(me) === 'viewer' ? ['read'] : ['read', 'read-write'];
}
