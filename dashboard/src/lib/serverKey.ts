// A server key is shown once: the answer that created it is the only place it
// is ever in the clear. The new-app page hands it to the settings page through
// memory, never the URL (it would stay in the history and in logs).

let pending: { app: string; key: string } | null = null;

/** Keeps `key`, the server key `app` was created with, for the settings page to show once. */
export function handOverServerKey(app: string, key: string): void {
  pending = { app, key };
}

/** The key handed over for `app`, once; null after that or for any other app. */
export function takeServerKey(app: string): string | null {
  if (pending == null || pending.app !== app) return null;
  const { key } = pending;
  pending = null;
  return key;
}
