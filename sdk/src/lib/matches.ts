/**
 * Whether one of `s` matches a pattern of `list`: a string must be contained
 * (or with `how` = 'startsWith' be a prefix), a RegExp found (`search`, not
 * `test`: a /g pattern's `lastIndex` does not carry over). Anything else
 * matches nothing, so an unset `undefined` entry cannot match everything.
 */
export const matches = (list: unknown[] | undefined, how: 'includes' | 'startsWith', ...s: string[]): boolean =>
  !!list && list.some((p) => s.some((x) => (typeof p == 'string' ? x[how](p) : p instanceof RegExp && x.search(p) > -1)));
