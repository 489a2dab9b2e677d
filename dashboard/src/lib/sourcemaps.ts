// The settings page's source-map list and upload command, kept pure for unit tests.

import type { SourceFile } from './types';

export interface ReleaseFiles {
  release: string;
  files: SourceFile[];
  bytes: number;
  /** the newest upload of the release, ms since the epoch */
  uploaded_at: number;
}

/** Files by release, the most recently uploaded release first; files by URL, each bundle before its map. */
export function groupByRelease(files: readonly SourceFile[]): ReleaseFiles[] {
  const byRelease = new Map<string, SourceFile[]>();
  for (const f of files) {
    const list = byRelease.get(f.release);
    if (list) list.push(f);
    else byRelease.set(f.release, [f]);
  }
  const groups = [...byRelease].map(([release, list]) => ({
    release,
    files: list.sort((a, b) => cmp(a.url, b.url) || cmp(kindOrder(a), kindOrder(b))),
    bytes: list.reduce((s, f) => s + f.bytes, 0),
    uploaded_at: Math.max(...list.map((f) => f.uploaded_at)),
  }));
  return groups.sort((a, b) => b.uploaded_at - a.uploaded_at || cmp(a.release, b.release));
}

function kindOrder(f: SourceFile): number {
  return f.kind === 'source' ? 0 : 1;
}

function cmp(a: string | number, b: string | number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A word for a POSIX shell: as is when it is plain, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The CLI call that uploads a build's maps to this server (docs/errors.md). */
export function uploadCommand(origin: string, appId: string): string {
  const server = origin.replace(/\/+$/, '');
  return `fovea sourcemaps upload --server ${shellWord(server)} --token $FOVEA_TOKEN --app ${shellWord(appId)} --release <release> ./dist`;
}
