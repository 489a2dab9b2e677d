// web-vitals' getSelector (web-vitals 6.2, src/lib/getSelector.ts; Copyright
// 2022 Google LLC, Apache License 2.0), which its package does not export.
// Kept line for line as the original: the copy of it that the CLS
// attribution build brings compresses against this one (about 30 bytes gzip
// less than a reworded copy).
const getName = (node: Node) => {
  const name = node.nodeName;
  return node.nodeType === 1 ? name.toLowerCase() : name.toUpperCase().replace(/^#/, '');
};

/**
 * A node as web-vitals' attribution builds name it: the path from the node up
 * to the nearest id, classes sorted, at most 100 characters. `lcp_element`
 * is named by it, as it was when LCP came from the attribution build.
 */
export const vitalsSelector = (node: Node | null | undefined): string => {
  let sel = '';
  try {
    while (node?.nodeType !== 9) {
      const el = node as Element;
      const part = el.id ? '#' + el.id : [getName(el), ...Array.from(el.classList ?? []).sort()].join('.');
      if (sel.length + part.length > 100 - 1) {
        return sel || part;
      }
      sel = sel ? part + '>' + sel : part;
      if (el.id) {
        break;
      }
      node = el.parentNode;
    }
  } catch {
    /* as web-vitals: the path so far */
  }
  return sel;
};
