// API tokens: labels and the usage line shown with a new token.

import type { TokenAccess } from './types';

export const ACCESS_LABEL: Readonly<Record<TokenAccess, string>> = {
  read: 'Read',
  'read-write': 'Read and write',
};

/** How a script sends the token (docs/api.md, "Authentication"). */
export function bearerHeader(token: string): string {
  return `Authorization: Bearer ${token}`;
}
