// The users page's forms and table, kept pure for unit tests (test/users.test.ts).

import type { App, Role, User, UserPatch } from './types';

/** What the edit form holds for one user. */
export interface UserDraft {
  role: Role;
  apps: string[];
}

/** Admins see every app: their list of apps is neither shown nor sent. */
export function appsMatter(role: Role): boolean {
  return role !== 'admin';
}

/** `list` with `id` in or out, in the order of `all` (the apps as the server lists them). */
export function toggleApp(list: readonly string[], id: string, on: boolean, all: readonly App[]): string[] {
  const set = new Set(list);
  if (on) set.add(id);
  else set.delete(id);
  const known = all.map((a) => a.id).filter((a) => set.has(a));
  // ids of apps that no longer exist stay, last, so saving does not drop them silently
  return [...known, ...[...set].filter((a) => !known.includes(a))];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** The `PATCH /users/{username}` body that turns `user` into `draft`: only what changed, null when nothing did. */
export function userPatch(user: User, draft: UserDraft): UserPatch | null {
  const patch: UserPatch = {};
  if (draft.role !== user.role) patch.role = draft.role;
  if (appsMatter(draft.role) && !sameSet(draft.apps, user.apps)) patch.apps = [...draft.apps];
  return Object.keys(patch).length === 0 ? null : patch;
}

/** Why the add-user form cannot be sent yet, or null. The server checks the rest (length, characters, taken). */
export function newUserProblem(username: string, password: string): string | null {
  if (username.trim() === '') return 'Enter a username.';
  if (password === '') return 'Enter a password.';
  return null;
}

/** The Apps cell of a user: "All apps" for an admin, else the apps' names (an id when the app is gone). */
export function userAppsText(user: Pick<User, 'role' | 'apps'>, apps: readonly App[]): string {
  if (!appsMatter(user.role)) return 'All apps';
  if (user.apps.length === 0) return 'None';
  return user.apps.map((id) => apps.find((a) => a.id === id)?.name ?? id).join(', ');
}

/** Users by name, as people look them up. */
export function sortUsers(users: readonly User[]): User[] {
  return [...users].sort((a, b) => a.username.localeCompare(b.username));
}
