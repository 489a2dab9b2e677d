/**
 * A short CSS selector for an element: up to four levels of
 * `tag#id` / `tag.class.class`, stopping at the first id.
 */
export const selector = (el: Element | null | undefined): string | undefined => {
  const parts: string[] = [];
  for (let n = 0; el && el.nodeType == 1 && n < 4; n++, el = el.parentElement) {
    if (el.id) {
      parts.unshift(`${el.localName}#${el.id}`);
      break;
    }
    parts.unshift([el.localName, ...Array.from(el.classList).slice(0, 2)].join('.'));
  }
  return parts.join('>') || undefined;
};
