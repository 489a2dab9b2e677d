/** Whether `url` matches a list of prefixes (strings) or regular expressions. */
export const matchUrl = (url: string, list?: (string | RegExp)[]): boolean =>
  !!list && list.some((p) => (typeof p == 'string' ? url.startsWith(p) : p.test(url)));
