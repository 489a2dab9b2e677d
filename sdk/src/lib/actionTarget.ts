const INTERACTIVE =
  '[data-fovea-action],button,a,input,select,textarea,label,summary,[role=button],[role=link],[role=tab],[role=menuitem],[onclick]';

/** Elements whose text is what users typed or chose: a textarea's value, a select's options, editable content. */
const TYPED = 'select,textarea,[contenteditable]:not([contenteditable=false])';

/** Form fields and editable content. */
export const FIELD = `${TYPED},input`;

/**
 * Text never used for a name: typed text, and what the page masks with
 * replay's `data-fovea-privacy` (`block` hides more than `mask`, so it masks
 * too). An input's value is no text, so it needs no entry here.
 */
const PRIVATE = `${TYPED},[data-fovea-privacy=mask],[data-fovea-privacy=block]`;

/**
 * The element a click is "about" (the nearest interactive ancestor, else the
 * clicked element) and its action name: `data-fovea-action`, else
 * `aria-label`, else visible text (whitespace collapsed, at most 100
 * characters), else `title`, else the tag name. Text and `title` are skipped
 * when `mask` is set, and when a PRIVATE element is the element, an ancestor
 * or a descendant: a `<label>` around a `<textarea>` or `<select>`, or a
 * button around a masked price, would otherwise be named by what is inside.
 */
export const actionTarget = (el: Element, mask?: boolean): [Element, string] => {
  const t = el.closest(INTERACTIVE) || el;
  const name =
    t.getAttribute('data-fovea-action') ||
    t.getAttribute('aria-label') ||
    (!mask && !t.closest(PRIVATE) && !t.querySelector(PRIVATE) && (((t as HTMLElement).innerText ?? t.textContent) || t.getAttribute('title'))) ||
    '';
  return [t, name.replace(/\s+/g, ' ').trim().slice(0, 100) || t.localName];
};
