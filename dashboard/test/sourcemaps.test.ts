import { describe, expect, it } from 'vitest';
import { groupByRelease, shellWord, uploadCommand } from '../src/lib/sourcemaps';
import type { SourceFile } from '../src/lib/types';

function file(over: Partial<SourceFile>): SourceFile {
  return { id: 'x', release: '1.0.0', url: '~/app.js', kind: 'source', debug_id: null, sha256: 'ab', bytes: 100, uploaded_at: 1000, ...over };
}

describe('groupByRelease', () => {
  it('groups by release, newest upload first, files by URL with each bundle before its map', () => {
    const files = [
      file({ id: 'a', release: '1.0.0', url: '~/b.js.map', kind: 'map', bytes: 300, uploaded_at: 1000 }),
      file({ id: 'b', release: '1.1.0', url: '~/app.js', bytes: 50, uploaded_at: 5000 }),
      file({ id: 'c', release: '1.0.0', url: '~/a.js', bytes: 100, uploaded_at: 2000 }),
      file({ id: 'd', release: '1.0.0', url: '~/a.js', kind: 'map', bytes: 200, uploaded_at: 1500 }),
    ];
    const groups = groupByRelease(files);
    expect(groups.map((g) => [g.release, g.files.map((f) => f.id), g.bytes, g.uploaded_at])).toEqual([
      ['1.1.0', ['b'], 50, 5000],
      ['1.0.0', ['c', 'd', 'a'], 600, 2000],
    ]);
  });
  it('orders releases uploaded at the same moment by name', () => {
    const groups = groupByRelease([file({ release: 'b' }), file({ release: 'a' })]);
    expect(groups.map((g) => g.release)).toEqual(['a', 'b']);
  });
  it('is empty for no files', () => {
    expect(groupByRelease([])).toEqual([]);
  });
});

describe('uploadCommand', () => {
  it('names this server and app', () => {
    expect(uploadCommand('https://fovea.example/', '3f2a9c1b7d0e')).toBe(
      'fovea sourcemaps upload --server https://fovea.example --token $FOVEA_TOKEN --app 3f2a9c1b7d0e --release <release> ./dist',
    );
  });
  it('quotes what a shell would split or expand', () => {
    expect(shellWord('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(shellWord('my app')).toBe("'my app'");
    expect(shellWord("it's$x")).toBe(`'it'\\''s$x'`);
  });
});
