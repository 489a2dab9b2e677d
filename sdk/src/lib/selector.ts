/**
 * A short CSS selector for an element: up to four levels of
 * `tag#id` / `tag.class.class`, stopping at the first id.
 */
export const selector = (el: Element | null | undefined): string | undefined => {
  const parts: string[] = [];
  for (let n = 0; el && el.nodeType == 1 && n < 4; n++, el = el.parentElement) {
    let p = el.localName;
    if (el.id) {
      parts.unshift(`${p}#${el.id}`);
      break;
    }
    const c = el.getAttribute('class');
    if (c && c.trim()) p += '.' + c.trim().split(/\s+/).slice(0, 2).join('.');
    parts.unshift(p);
  }
  return parts.join('>') || undefined;
};
