// Parsing of the settings forms, kept pure for unit tests.

/** Splits a textarea of origins (lines, commas or spaces) and checks each is `*` or scheme://host[:port]. */
export function parseOrigins(text: string): { origins: string[]; invalid: string[] } {
  const origins: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    const s = raw.trim();
    if (s === '') continue;
    if (s === '*') {
      origins.push(s);
      continue;
    }
    let u: URL | null = null;
    try {
      u = new URL(s);
    } catch {
      u = null;
    }
    if (u == null || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== s.replace(/\/$/, '')) {
      invalid.push(s);
    } else if (!origins.includes(u.origin)) {
      origins.push(u.origin);
    }
  }
  return { origins, invalid };
}

/** An integer within [min, max] from a form field, or null. */
export function parseIntIn(text: string, min: number, max: number): number | null {
  if (!/^\s*\d+\s*$/.test(text)) return null;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : null;
}

/** A quota field: null when empty (unlimited), undefined when not a whole number from 0. */
export function parseQuota(text: string): number | null | undefined {
  if (text.trim() === '') return null;
  return parseIntIn(text, 0, Number.MAX_SAFE_INTEGER) ?? undefined;
}

/** A number (decimals allowed) within [min, max] from a form field, or null. */
export function parseNumberIn(text: string, min: number, max: number): number | null {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text)) return null;
  const n = Number(text.trim());
  return n >= min && n <= max ? n : null;
}
