// crates/schema/scrub.json, the one list of sensitive query keys (and the
// placeholder) that the server and the SDK read. Read at run time, so the
// tests follow whatever it holds (test/ and .test-build/ are at the same depth).
import { readFileSync } from 'node:fs';

export const scrubList: { placeholder: string; query_key_parts: string[]; query_keys_exact: string[] } = JSON.parse(
  readFileSync(new URL('../../crates/schema/scrub.json', import.meta.url), 'utf8'),
);

export const P = scrubList.placeholder;
