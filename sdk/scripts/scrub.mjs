// The sensitive query keys and the placeholder, from the list the server
// reads too (crates/schema/scrub.json), as esbuild `define`s for
// src/lib/scrub.ts: one pattern tested against the lowercased, decoded key,
// built here so the bundle carries a string rather than the lists and the
// code to match them.
import { readFileSync } from 'node:fs';

const file = new URL('../../crates/schema/scrub.json', import.meta.url);
const { placeholder, query_key_parts: parts, query_keys_exact: exact } = JSON.parse(readFileSync(file, 'utf8'));
const esc = (k) => k.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const scrubDefine = {
  __SCRUB_KEYS__: JSON.stringify([...parts.map(esc), `^(?:${exact.map(esc).join('|')})$`].join('|')),
  __SCRUB_PLACEHOLDER__: JSON.stringify(placeholder),
};
