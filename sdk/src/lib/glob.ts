/**
 * Whether `s` matches the route glob `p`, as the server matches it: `*` is
 * any run of characters (`/` included), everything else literal, the whole
 * string, case-sensitive.
 */
export const glob = (p: string, s: string): boolean =>
  RegExp(`^${p.split('*').map((x) => x.replace(/[$()+.?[\\\]^{|}]/g, '\\$&')).join('[^]*')}$`).test(s);
